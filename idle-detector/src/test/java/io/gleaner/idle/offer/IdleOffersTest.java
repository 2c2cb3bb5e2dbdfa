package io.gleaner.idle.offer;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.resources.Resources;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdleOffersTest {
  private static final Resources HEADROOM = Resources.of("cpu", "200m", "memory", "256Mi");
  private final MemberNodeInfo node =
      MemberNodeInfo.of(
          "n1", Resources.of("cpu", "8", "memory", "32Gi", "pods", "110", "nvidia.com/gpu", "1"));

  private static MemberPodInfo pod(
      String name, String cpu, String mem, boolean gleaner, boolean ds, boolean terminated) {
    return new MemberPodInfo(
        name,
        "ns",
        name,
        "n1",
        Resources.of("cpu", cpu, "memory", mem, "pods", "1"),
        gleaner,
        ds,
        terminated,
        false,
        "");
  }

  @Test
  void allocatableMinusMemberRequestsIncludingDaemonSetsMinusHeadroom() {
    List<MemberPodInfo> pods =
        List.of(
            pod("online", "1", "2Gi", false, false, false),
            pod("ds", "100m", "128Mi", false, true, false),
            pod("lent", "3", "8Gi", true, false, false),
            pod("done", "4", "8Gi", false, false, true));
    Resources usable = IdleOffers.usable(node, pods, HEADROOM);
    assertThat(usable)
        .isEqualTo(
            Resources.of(
                "cpu", "6700m", "memory", "30336Mi", "pods", "108", "nvidia.com/gpu", "1"));
  }

  @Test
  void gleanerRequestsCountOnlyThisInstallationsPodsStillRunningOnANode() {
    MemberPodInfo unbound =
        new MemberPodInfo(
            "p", "ns", "p", "", Resources.of("cpu", "5"), true, false, false, false, "");
    List<MemberPodInfo> pods =
        List.of(
            pod("online", "1", "2Gi", false, false, false),
            pod("ds", "100m", "128Mi", false, true, false),
            pod("lent", "3", "8Gi", true, false, false),
            pod("lent-2", "500m", "1Gi", true, false, false),
            pod("lent-done", "2", "1Gi", true, false, true),
            unbound);
    assertThat(IdleOffers.gleanerRequests(pods).cpuMillis()).isEqualTo(3500);
    assertThat(IdleOffers.gleanerRequests(List.of())).isEqualTo(Resources.ZERO);
  }

  @Test
  void onlinePodLandingOnALentNodeShrinksTheOffer() {
    Resources before = IdleOffers.usable(node, List.of(), HEADROOM);
    Resources after =
        IdleOffers.usable(node, List.of(pod("web", "2", "4Gi", false, false, false)), HEADROOM);
    assertThat(before.minus(after))
        .isEqualTo(Resources.of("cpu", "2", "memory", "4Gi", "pods", "1"));
  }

  @Test
  void clampedAtZeroAndBatchResourcesAreNotOffered() {
    MemberNodeInfo small =
        MemberNodeInfo.of(
            "n1", Resources.of("cpu", "1", "memory", "1Gi", "kubernetes.io/batch-cpu", "5000"));
    Resources usable =
        IdleOffers.usable(small, List.of(pod("big", "2", "512Mi", false, false, false)), HEADROOM);
    assertThat(usable.hasNegative()).isFalse();
    assertThat(usable.cpuMillis()).isZero();
    assertThat(usable.get(Resources.BATCH_CPU)).isZero();
    assertThat(usable.memoryBytes()).isEqualTo(256L << 20);
  }

  @Test
  void onlineRequestsLeaveOutDaemonSetsGleanerAndTerminatedPods() {
    List<MemberPodInfo> pods =
        List.of(
            pod("online", "1", "2Gi", false, false, false),
            pod("ds", "100m", "128Mi", false, true, false),
            pod("lent", "3", "8Gi", true, false, false),
            pod("done", "4", "8Gi", false, false, true));
    assertThat(IdleOffers.onlineRequests(pods))
        .isEqualTo(Resources.of("cpu", "1", "memory", "2Gi", "pods", "1"));
  }

  @Test
  void podsWhoseRequestsOverflowOnceSummedLeaveTheNodeNoRoomOfThatResource() {
    // each pod's requests fit a long; their sum on the node does not: the node has no memory to
    // lend
    List<MemberPodInfo> pods =
        List.of(
            pod("a", "1", "5Ei", false, false, false), pod("b", "1", "5Ei", false, false, false));
    Resources usable = IdleOffers.usable(node, pods, HEADROOM);
    assertThat(usable.memoryBytes()).isZero();
    assertThat(usable.cpuMillis()).isEqualTo(8000 - 2000 - 200);
    assertThat(IdleOffers.onlineRequests(pods).memoryBytes()).isEqualTo(1L << 61);
  }

  @Test
  void aTrainingNodeWhoseRequestsOverflowHasNoFragmentAndTheOthersStillHave() {
    MemberNodeInfo other =
        MemberNodeInfo.of("n2", Resources.of("cpu", "8", "memory", "32Gi", "pods", "110"));
    var plan =
        VolcanoFragments.plan(
            List.of(node, other),
            java.util.Map.of(
                "n1",
                List.of(
                    pod("a", "1", "5Ei", false, false, false),
                    pod("b", "1", "5Ei", false, false, false))),
            List.of());
    assertThat(plan.fragment("n1").memoryBytes()).isZero();
    assertThat(plan.fragment("n2").memoryBytes()).isEqualTo(32L << 30);
  }
}
