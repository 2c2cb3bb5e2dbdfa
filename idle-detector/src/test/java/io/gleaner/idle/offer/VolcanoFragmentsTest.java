package io.gleaner.idle.offer;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VolcanoFragmentsTest {
  private static final Instant T = Instant.parse("2024-01-01T00:00:00Z");

  private static MemberNodeInfo node(String name, String cpu, String gpu) {
    return MemberNodeInfo.of(
        name, Resources.of("cpu", cpu, "memory", "64Gi", "nvidia.com/gpu", gpu));
  }

  private static MemberPodInfo running(String name, String node, String cpu, String gpu) {
    return new MemberPodInfo(
        name,
        "train",
        name,
        node,
        Resources.of("cpu", cpu, "memory", "8Gi", "nvidia.com/gpu", gpu),
        false,
        false,
        false,
        false,
        "pg");
  }

  private static PodGroupInfo gang(
      String name, String phase, int min, String cpu, String gpu, int prio, long ageSeconds) {
    return new PodGroupInfo(
        "train",
        name,
        phase,
        min,
        Resources.of("cpu", cpu, "memory", min * 4 + "Gi", "nvidia.com/gpu", gpu),
        prio,
        T.minusSeconds(ageSeconds));
  }

  @Test
  void withoutWaitingGangsEveryFreeFragmentIsOffered() {
    List<MemberNodeInfo> nodes = List.of(node("a", "32", "8"), node("b", "32", "8"));
    Map<String, List<MemberPodInfo>> pods = Map.of("a", List.of(running("p1", "a", "30", "7")));
    VolcanoFragments.Plan plan =
        VolcanoFragments.plan(nodes, pods, List.of(gang("done", "Running", 2, "8", "2", 0, 10)));
    assertThat(plan.fragment("a"))
        .isEqualTo(Resources.of("cpu", "2", "memory", "56Gi", "nvidia.com/gpu", "1"));
    assertThat(plan.fragment("b"))
        .isEqualTo(Resources.of("cpu", "32", "memory", "64Gi", "nvidia.com/gpu", "8"));
    assertThat(plan.held()).isEmpty();
  }

  @Test
  void aWaitingGangThatFitsIsHeldOnTheNodesWhereItFitsTightest() {
    List<MemberNodeInfo> nodes =
        List.of(node("a", "32", "8"), node("b", "32", "8"), node("c", "32", "8"));
    Map<String, List<MemberPodInfo>> pods =
        Map.of(
            "a", List.of(running("p1", "a", "20", "4")),
            "b", List.of(running("p2", "b", "28", "7")));
    // Two tasks of 6 CPU / 2 GPU each: b has only 4 CPU free, so a (12 free) is the tightest fit
    // for both.
    VolcanoFragments.Plan plan =
        VolcanoFragments.plan(nodes, pods, List.of(gang("g", "Inqueue", 2, "12", "4", 0, 10)));
    assertThat(plan.held()).containsOnlyKeys("a");
    assertThat(plan.fragment("a")).isEqualTo(Resources.of("cpu", "0", "memory", "48Gi"));
    assertThat(plan.fragment("b"))
        .isEqualTo(Resources.of("cpu", "4", "memory", "56Gi", "nvidia.com/gpu", "1"));
    assertThat(plan.fragment("c"))
        .isEqualTo(Resources.of("cpu", "32", "memory", "64Gi", "nvidia.com/gpu", "8"));
    assertThat(plan.gangsBlocked()).isEmpty();
  }

  @Test
  void fragmentsShrinkWhenAGangIsWaitingAndComeBackWhenItRuns() {
    List<MemberNodeInfo> nodes = List.of(node("a", "16", "4"), node("b", "16", "4"));
    Map<String, List<MemberPodInfo>> none = Map.of();
    Resources before =
        VolcanoFragments.plan(nodes, none, List.of()).fragments().values().stream()
            .reduce(Resources.ZERO, Resources::plus);
    PodGroupInfo g = gang("g", "Pending", 4, "16", "4", 0, 1);
    Resources during =
        VolcanoFragments.plan(nodes, none, List.of(g)).fragments().values().stream()
            .reduce(Resources.ZERO, Resources::plus);
    assertThat(before.minus(during))
        .isEqualTo(Resources.of("cpu", "16", "memory", "16Gi", "nvidia.com/gpu", "4"));
    PodGroupInfo running =
        new PodGroupInfo("train", "g", "Running", 4, g.minResources(), 0, g.created());
    assertThat(VolcanoFragments.plan(nodes, none, List.of(running)).held()).isEmpty();
  }

  @Test
  void aGangTooBigForAnyNodeIsHeldOutOfTheClusterTotal() {
    List<MemberNodeInfo> nodes =
        List.of(node("a", "16", "4"), node("b", "16", "4"), node("c", "16", "0"));
    Map<String, List<MemberPodInfo>> pods =
        Map.of(
            "a", List.of(running("p1", "a", "8", "2")), "b", List.of(running("p2", "b", "8", "2")));
    // One task needing 6 GPUs: no node has 6 free. The gang waits; the 4 free GPUs all go to it.
    VolcanoFragments.Plan plan =
        VolcanoFragments.plan(nodes, pods, List.of(gang("big", "Inqueue", 1, "4", "6", 0, 1)));
    assertThat(plan.gangsBlocked()).containsExactly("train/big");
    long gpusOffered = plan.fragments().values().stream().mapToLong(Resources::gpus).sum();
    assertThat(gpusOffered).isZero();
    long cpuOffered = plan.fragments().values().stream().mapToLong(Resources::cpuMillis).sum();
    assertThat(cpuOffered).isEqualTo(32_000 - 4_000);
    // CPU comes out of the node with the most free CPU first.
    assertThat(plan.fragment("c").cpuMillis()).isEqualTo(12_000);
  }

  @Test
  void higherPriorityThenOlderGangsComeFirst() {
    List<MemberNodeInfo> nodes = List.of(node("a", "8", "2"));
    PodGroupInfo young = gang("young", "Pending", 1, "8", "2", 0, 1);
    PodGroupInfo old = gang("old", "Pending", 1, "8", "2", 0, 100);
    PodGroupInfo vip = gang("vip", "Pending", 1, "8", "2", 1000, 0);
    VolcanoFragments.Plan plan = VolcanoFragments.plan(nodes, Map.of(), List.of(young, old, vip));
    assertThat(plan.gangsBlocked()).containsExactly("train/old", "train/young");
    // Every gang's memory is held too: 64Gi - 3 x 4Gi.
    assertThat(plan.fragment("a")).isEqualTo(Resources.of("memory", "52Gi"));
  }

  @Test
  void cordonedAndNotReadyNodesOfferNothingAndHoldNothing() {
    List<MemberNodeInfo> nodes =
        List.of(
            node("a", "16", "4").withUnschedulable(true),
            node("b", "16", "4").withReady(false),
            node("c", "16", "4"));
    VolcanoFragments.Plan plan =
        VolcanoFragments.plan(nodes, Map.of(), List.of(gang("g", "Pending", 1, "4", "1", 0, 1)));
    assertThat(plan.fragment("a").isZero()).isTrue();
    assertThat(plan.fragment("b").isZero()).isTrue();
    assertThat(plan.held()).containsOnlyKeys("c");
  }

  @Test
  void gleanerPodsDoNotReduceFreeCapacity() {
    MemberPodInfo lent =
        new MemberPodInfo(
            "x", "gl", "x", "a", Resources.of("cpu", "8"), true, false, false, false, "");
    VolcanoFragments.Plan plan =
        VolcanoFragments.plan(List.of(node("a", "16", "0")), Map.of("a", List.of(lent)), List.of());
    assertThat(plan.fragment("a").cpuMillis()).isEqualTo(16_000);
  }

  @Test
  void tasksAreEqualSharesRoundedUp() {
    PodGroupInfo g =
        new PodGroupInfo("ns", "g", "Pending", 3, Resources.of("cpu", "10", "memory", "1"), 0, T);
    assertThat(VolcanoFragments.tasks(g))
        .hasSize(3)
        .allMatch(r -> r.cpuMillis() == 3334 && r.memoryBytes() == 1);
    PodGroupInfo noMin = new PodGroupInfo("ns", "g", "Pending", 0, Resources.of("cpu", "10"), 0, T);
    assertThat(VolcanoFragments.tasks(noMin)).containsExactly(Resources.of("cpu", "10"));
    assertThat(
            VolcanoFragments.tasks(new PodGroupInfo("ns", "g", "Pending", 2, Resources.ZERO, 0, T)))
        .isEmpty();
  }

  @Test
  void onlyPendingAndInqueueGroupsWait() {
    for (String p : List.of("Pending", "Inqueue", "inqueue", "")) {
      assertThat(new PodGroupInfo("ns", "g", p, 1, Resources.ZERO, 0, T).waiting()).as(p).isTrue();
    }
    for (String p : List.of("Running", "Unknown", "Completed")) {
      assertThat(new PodGroupInfo("ns", "g", p, 1, Resources.ZERO, 0, T).waiting()).as(p).isFalse();
    }
  }
}
