package io.gleaner.descheduler.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.descheduler.plan.Demand;
import io.gleaner.descheduler.plan.LentNode;
import io.gleaner.descheduler.plan.NodePod;
import io.gleaner.descheduler.plan.PendingPod;
import io.gleaner.descheduler.plan.PlanInput;
import io.gleaner.descheduler.plan.Pool;
import io.gleaner.descheduler.plan.PreemptionPolicy;
import io.gleaner.descheduler.plan.Reason;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TriggersTest {
  static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");

  static Pod online(String name, String cpu, int priority, boolean unschedulable) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace("web")
            .withName(name)
            .withUid("u-" + name)
            .endMetadata()
            .withNewSpec()
            .withPriority(priority)
            .addNewContainer()
            .withName("c")
            .withNewResources()
            .addToRequests("cpu", new Quantity(cpu))
            .addToRequests("memory", new Quantity("1Gi"))
            .endResources()
            .endContainer()
            .endSpec();
    if (unschedulable) {
      b.withNewStatus()
          .withPhase("Pending")
          .addNewCondition()
          .withType("PodScheduled")
          .withStatus("False")
          .withReason("Unschedulable")
          .endCondition()
          .endStatus();
    }
    return b.build();
  }

  static Pod gleaner(String name, String node, String cpu, String group) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace("gl")
            .withName(name)
            .withUid("u-" + name)
            .addToLabels("gleaner.io/managed", "true")
            .addToLabels("gleaner.io/class", "near-line")
            .addToLabels("gleaner.io/source", "idle")
            .addToLabels("gleaner.io/meta-uid", "m-" + name)
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .withPriority(-10)
            .withTerminationGracePeriodSeconds(7L)
            .addNewContainer()
            .withName("c")
            .withNewResources()
            .addToRequests("cpu", new Quantity(cpu))
            .endResources()
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .withStartTime("2025-01-01T11:00:00Z")
            .endStatus();
    if (group != null) {
      b.editMetadata().addToAnnotations("scheduling.k8s.io/group-name", group).endMetadata();
    }
    return b.build();
  }

  static Node node(String name, String cpu, boolean lent) {
    NodeBuilder b =
        new NodeBuilder()
            .withNewMetadata()
            .withName(name)
            .addToLabels("zone", "a")
            .endMetadata()
            .withNewStatus()
            .addToAllocatable("cpu", new Quantity(cpu))
            .addToAllocatable("memory", new Quantity("32Gi"))
            .addToAllocatable("pods", new Quantity("110"))
            .endStatus();
    if (lent) {
      b.editMetadata().addToLabels("gleaner.io/pool", "idle").endMetadata();
    }
    return b.build();
  }

  @Test
  void onlineUnschedulableNeedsConditionPriorityAndNotGleaner() {
    assertThat(PodViews.isOnlineUnschedulable(online("a", "1", 100, true), 0)).isTrue();
    assertThat(PodViews.isOnlineUnschedulable(online("a", "1", 100, true), 1000)).isFalse();
    assertThat(PodViews.isOnlineUnschedulable(online("a", "1", 100, false), 0)).isFalse();
    Pod g = gleaner("g", null, "1", null);
    g.getSpec().setNodeName(null);
    g.setStatus(online("x", "1", 0, true).getStatus());
    assertThat(PodViews.isOnlineUnschedulable(g, -100)).isFalse();
  }

  @Test
  void requestsFollowKubernetesRules() {
    Pod p = online("a", "1", 0, false);
    p.getSpec()
        .getContainers()
        .add(
            new io.fabric8.kubernetes.api.model.ContainerBuilder()
                .withName("d")
                .withNewResources()
                .addToLimits("cpu", new Quantity("500m"))
                .endResources()
                .build());
    p.getSpec()
        .setInitContainers(
            List.of(
                new io.fabric8.kubernetes.api.model.ContainerBuilder()
                    .withName("i")
                    .withNewResources()
                    .addToRequests("memory", new Quantity("4Gi"))
                    .endResources()
                    .build()));
    p.getSpec().setOverhead(Map.of("cpu", new Quantity("100m")));
    Resources r = PodViews.requests(p);
    assertThat(r.cpuMillis()).isEqualTo(1600);
    assertThat(r.memoryBytes()).isEqualTo(4L << 30);
    assertThat(r.pods()).isEqualTo(1);
  }

  @Test
  void pendingPodCarriesSchedulingConstraints() {
    Pod p = online("a", "2", 500, true);
    p.getSpec().setNodeSelector(Map.of("zone", "a"));
    p.getSpec().setPreemptionPolicy("Never");
    p.getStatus().setNominatedNodeName("n1");
    p.getSpec()
        .setTolerations(
            List.of(
                new io.fabric8.kubernetes.api.model.TolerationBuilder()
                    .withKey("k")
                    .withOperator("Exists")
                    .build()));
    PendingPod pp = PodViews.pending(p, NOW, NOW.plusSeconds(1), Set.of("cpu"));
    assertThat(pp.nodeSelector()).containsEntry("zone", "a");
    assertThat(pp.preemptionPolicy()).isEqualTo(PreemptionPolicy.NEVER);
    assertThat(pp.nominatedNode()).contains("n1");
    assertThat(pp.nominatedSince()).isEqualTo(NOW.plusSeconds(1));
    assertThat(pp.tolerations()).hasSize(1);
    assertThat(pp.insufficient()).containsExactly("cpu");
  }

  @Test
  void failedSchedulingHints() {
    assertThat(
            FailedSchedulingHint.insufficient(
                "0/5 nodes are available: 3 Insufficient cpu, 2 Insufficient memory, 1 Insufficient nvidia.com/gpu. "
                    + "preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod."))
        .containsExactly("cpu", "memory", "nvidia.com/gpu");
    assertThat(
            FailedSchedulingHint.insufficient(
                "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."))
        .isEmpty();
    assertThat(FailedSchedulingHint.mentionsShortage("0/3 nodes are available: 3 Too many pods."))
        .isTrue();
    assertThat(FailedSchedulingHint.insufficient(null)).isEmpty();
  }

  @Test
  void podGroupViewReadsPendingUnschedulable() {
    GenericKubernetesResource pg =
        Serialization.unmarshal(
            """
                {"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup",
                 "metadata":{"namespace":"train","name":"job1"},
                 "spec":{"minMember":4,"minResources":{"cpu":"8","memory":"16Gi"}},
                 "status":{"phase":"Pending","conditions":[{"type":"Unschedulable","status":"True","reason":"NotEnoughResources"}]}}
                """,
            GenericKubernetesResource.class);
    PodGroupView v = PodGroupView.of(pg);
    assertThat(v.key()).isEqualTo("train/job1");
    assertThat(v.pendingUnschedulable()).isTrue();
    assertThat(v.virtualTasks())
        .hasSize(4)
        .allMatch(t -> t.cpuMillis() == 2000 && t.memoryBytes() == 4L << 30);

    GenericKubernetesResource running =
        Serialization.unmarshal(
            """
                {"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"namespace":"t","name":"j"},
                 "spec":{"minMember":"x"},"status":{"phase":"Running"}}""",
            GenericKubernetesResource.class);
    assertThatThrownBy(() -> PodGroupView.of(running))
        .hasMessageContaining("t/j")
        .hasMessageContaining("spec.minMember");
  }

  @Test
  void colocationPressureComparesBatchRequestsWithBatchAllocatable() {
    Node n =
        new NodeBuilder()
            .withNewMetadata()
            .withName("c1")
            .endMetadata()
            .withNewStatus()
            .addToAllocatable("kubernetes.io/batch-cpu", new Quantity("3000"))
            .endStatus()
            .build();
    Pod a = gleaner("a", "c1", "0", null);
    a.getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .setRequests(Map.of("kubernetes.io/batch-cpu", new Quantity("2000")));
    Pod b = gleaner("b", "c1", "0", null);
    b.getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .setRequests(Map.of("kubernetes.io/batch-cpu", new Quantity("2000")));
    assertThat(
            ColocationPressure.excess(n, List.of(a, b), "gleaner").get("kubernetes.io/batch-cpu"))
        .isEqualTo(1000);
    assertThat(ColocationPressure.excess(n, List.of(a), "gleaner").isZero()).isTrue();
  }

  @Test
  void snapshotSeesLentNodesReturnedNodesWithGleanerPodsAndDemands() {
    Pod g1 = gleaner("g1", "n1", "4", null);
    Pod g2 = gleaner("g2", "n2", "4", null);
    Pod web = online("web1", "2", 100, true);
    Pod evicted = gleaner("g3", "n1", "2", null);
    Snapshot.Inputs in =
        new Snapshot.Inputs(
            "c1",
            true,
            0,
            List.of(node("n1", "8", true), node("n2", "8", false), node("n3", "8", false)),
            List.of(g1, g2, web, evicted),
            Map.of(),
            Map.of("web/web1", new Observation(NOW.minusMillis(300), null, null, Set.of("cpu"))),
            Set.of("u-g3"),
            Set.of("u-g2"),
            NOW,
            "gleaner");
    PlanInput pi = Snapshot.build(in);
    assertThat(pi.nodes()).extracting(LentNode::name).containsExactly("n1", "n2");
    LentNode n1 = pi.nodes().get(0);
    assertThat(n1.pool()).isEqualTo(Pool.IDLE);
    NodePod gone = n1.pods().stream().filter(p -> p.name().equals("g3")).findFirst().orElseThrow();
    assertThat(gone.terminating()).isTrue();
    NodePod blocked = pi.nodes().get(1).pods().get(0);
    assertThat(blocked.gleaner()).as("PDB-blocked pods are kept").isFalse();
    assertThat(pi.demands()).hasSize(1);
    Demand.Pods d = (Demand.Pods) pi.demands().get(0);
    assertThat(d.pods().get(0).unschedulableSince()).isEqualTo(NOW.minusMillis(300));
    assertThat(d.pods().get(0).insufficient()).containsExactly("cpu");
  }

  @Test
  void snapshotGroupsGangPodsAndResolvesGleanerGangs() {
    Pod w1 = online("w1", "2", 100, true);
    w1.getMetadata().setAnnotations(Map.of("scheduling.k8s.io/group-name", "train"));
    Pod w2 = online("w2", "2", 100, true);
    w2.getMetadata().setAnnotations(Map.of("scheduling.k8s.io/group-name", "train"));
    Pod m1 = gleaner("m1", "n1", "1", "job");
    Pod m2 = gleaner("m2", "n1", "1", "job");
    m1.getMetadata().getAnnotations().put("gleaner.io/gang-min-member", "1");
    PodGroupView train = new PodGroupView("web/train", 2, Resources.ZERO, "Pending", true);
    PlanInput pi =
        Snapshot.build(
            new Snapshot.Inputs(
                "c1",
                true,
                0,
                List.of(node("n1", "8", true)),
                List.of(w1, w2, m1, m2),
                Map.of("web/train", train),
                Map.of(),
                Set.of(),
                Set.of(),
                NOW,
                "gleaner"));
    assertThat(pi.demands()).hasSize(1);
    Demand.Pods d = (Demand.Pods) pi.demands().get(0);
    assertThat(d.reason()).isEqualTo(Reason.POD_GROUP_PENDING);
    assertThat(d.pods()).hasSize(2);
    assertThat(d.minPlaced()).isEqualTo(2);
    NodePod gm1 =
        pi.nodes().get(0).pods().stream()
            .filter(p -> p.name().equals("m1"))
            .findFirst()
            .orElseThrow();
    assertThat(gm1.gang().orElseThrow().minMember()).isEqualTo(1);
    assertThat(gm1.gang().orElseThrow().members()).isEqualTo(2);
  }

  @Test
  void aGangSplitAcrossMembersIsNeverTakenAsTheWholeOfThePartSeenHere() {
    // A gang of 4 (minMember 4) placed by Gleaner: two members run here, two in another member.
    // The part seen here must not count as the whole gang, or evicting it breaks the gang.
    Pod web = online("web1", "8", 100, true);
    Pod m1 = gleaner("m1", "n1", "4", "train");
    Pod m2 = gleaner("m2", "n1", "4", "train");
    for (Pod m : List.of(m1, m2)) {
      m.getMetadata().getAnnotations().put("gleaner.io/gang", "team/train");
      m.getMetadata().getAnnotations().put("gleaner.io/gang-min-member", "4");
      m.getMetadata().getAnnotations().put("gleaner.io/gang-members", "4");
    }
    PlanInput pi =
        Snapshot.build(
            new Snapshot.Inputs(
                "c1",
                true,
                0,
                List.of(node("n1", "8", true)),
                List.of(web, m1, m2),
                Map.of(),
                Map.of(),
                Set.of(),
                Set.of(),
                NOW,
                "gleaner"));
    io.gleaner.descheduler.plan.Plan plan =
        new io.gleaner.descheduler.plan.Planner(io.gleaner.descheduler.plan.PlannerConfig.DEFAULT)
            .plan(pi);
    assertThat(plan.reclaims()).isEmpty();
    io.gleaner.descheduler.plan.Gang g = pi.nodes().get(0).pods().get(0).gang().orElseThrow();
    assertThat(g.key()).isEqualTo("gleaner.io/gang:team/train");
    assertThat(g.members()).isEqualTo(4);
    assertThat(g.minMember()).isEqualTo(4);
  }

  @Test
  void aGangWholeInThisMemberIsReclaimedWholeAcrossItsNodes() {
    Pod web = online("web1", "8", 100, true);
    List<Pod> gang = new java.util.ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      Pod m = gleaner("m" + i, i <= 2 ? "n1" : "n2", "4", "train");
      m.getMetadata().getAnnotations().put("gleaner.io/gang", "team/train");
      m.getMetadata().getAnnotations().put("gleaner.io/gang-min-member", "4");
      m.getMetadata().getAnnotations().put("gleaner.io/gang-members", "4");
      gang.add(m);
    }
    List<Pod> pods = new java.util.ArrayList<>(gang);
    pods.add(web);
    PlanInput pi =
        Snapshot.build(
            new Snapshot.Inputs(
                "c1",
                true,
                0,
                List.of(node("n1", "8", true), node("n2", "8", true)),
                pods,
                Map.of(),
                Map.of(),
                Set.of(),
                Set.of(),
                NOW,
                "gleaner"));
    io.gleaner.descheduler.plan.Plan plan =
        new io.gleaner.descheduler.plan.Planner(io.gleaner.descheduler.plan.PlannerConfig.DEFAULT)
            .plan(pi);
    assertThat(plan.reclaims().stream().flatMap(r -> r.victims().stream()))
        .extracting(v -> v.pod().name())
        .containsExactlyInAnyOrder("m1", "m2", "m3", "m4");
  }

  @Test
  void aRestartInTheMiddleOfAReclaimFinishesItWithoutEvictingTwice() {
    // Before the crash: node n1 was returned (label gone) and one of the two needed victims evicted
    // (terminating).
    Pod done = gleaner("done", "n1", "4", null);
    done.getMetadata().setDeletionTimestamp("2025-01-01T11:59:59Z");
    Pod left = gleaner("left", "n1", "4", null);
    Pod other = gleaner("other", "n1", "4", null);
    Pod full = gleaner("full", "n1", "4", null);
    Pod web = online("web1", "8", 100, true);
    PlanInput pi =
        Snapshot.build(
            new Snapshot.Inputs(
                "c1",
                true,
                0,
                List.of(node("n1", "16", false)),
                List.of(done, left, other, full, web),
                Map.of(),
                Map.of(),
                Set.of(),
                Set.of(),
                NOW,
                "gleaner"));
    io.gleaner.descheduler.plan.Plan plan =
        new io.gleaner.descheduler.plan.Planner(io.gleaner.descheduler.plan.PlannerConfig.DEFAULT)
            .plan(pi);
    assertThat(plan.victimCount()).as("only the victim still missing").isEqualTo(1);
    assertThat(plan.reclaims().get(0).victims())
        .extracting(v -> v.pod().name())
        .doesNotContain("done");

    // Once that one is evicted too, a second restart evicts nothing more.
    String chosen = plan.reclaims().get(0).victims().get(0).pod().name();
    List<Pod> after =
        java.util.stream.Stream.of(done, left, other, full, web)
            .map(p -> p.getMetadata().getName().equals(chosen) ? terminating(p) : p)
            .toList();
    io.gleaner.descheduler.plan.Plan again =
        new io.gleaner.descheduler.plan.Planner(io.gleaner.descheduler.plan.PlannerConfig.DEFAULT)
            .plan(
                Snapshot.build(
                    new Snapshot.Inputs(
                        "c1",
                        true,
                        0,
                        List.of(node("n1", "16", false)),
                        after,
                        Map.of(),
                        Map.of(),
                        Set.of(),
                        Set.of(),
                        NOW,
                        "gleaner")));
    assertThat(again.victimCount()).isZero();
    assertThat(again.outcomeOf("web/web1").orElseThrow().outcome())
        .isEqualTo(io.gleaner.descheduler.plan.Outcome.AWAITING_TERMINATION);
  }

  private static Pod terminating(Pod p) {
    Pod copy = new PodBuilder(p).build();
    copy.getMetadata().setDeletionTimestamp("2025-01-01T11:59:59Z");
    return copy;
  }

  @Test
  void pendingPodGroupWithoutPodsBecomesVirtualTasks() {
    PodGroupView pg = new PodGroupView("train/big", 2, Resources.of("cpu", "8"), "Pending", true);
    PlanInput pi =
        Snapshot.build(
            new Snapshot.Inputs(
                "c1",
                true,
                0,
                List.of(node("n1", "8", true)),
                List.of(),
                Map.of("train/big", pg),
                Map.of(),
                Set.of(),
                Set.of(),
                NOW,
                "gleaner"));
    Demand.Pods d = (Demand.Pods) pi.demands().get(0);
    assertThat(d.pods()).hasSize(2).allMatch(p -> p.requests().cpuMillis() == 4000);
    assertThat(d.minPlaced()).isEqualTo(2);
  }
}
