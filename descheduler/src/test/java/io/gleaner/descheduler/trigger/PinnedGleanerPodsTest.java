package io.gleaner.descheduler.trigger;

import static io.gleaner.descheduler.trigger.TriggersTest.NOW;
import static io.gleaner.descheduler.trigger.TriggersTest.gleaner;
import static io.gleaner.descheduler.trigger.TriggersTest.node;
import static io.gleaner.descheduler.trigger.TriggersTest.online;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.gleaner.descheduler.plan.LentNode;
import io.gleaner.descheduler.plan.NodePod;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.PlanInput;
import io.gleaner.descheduler.plan.Planner;
import io.gleaner.descheduler.plan.PlannerConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A Gleaner pod the virtual-kubelet created in a member but the member's scheduler has not bound
 * yet (it waits for room on the node it is pinned to, e.g. room a team's guarantee is freeing)
 * takes that node's room as soon as it frees: the member's scheduler binds it the moment it fits,
 * ahead of a larger online pod that still does not. A reclaim for online work must count it on its
 * node and take it too, or the online pod waits for a second reclaim.
 */
class PinnedGleanerPodsTest {
  private final Planner planner = new Planner(PlannerConfig.DEFAULT);

  private static PlanInput snapshot(List<Pod> pods) {
    return Snapshot.build(
        new Snapshot.Inputs(
            "c1",
            false,
            0,
            List.of(node("n1", "8", true)),
            pods,
            Map.of(),
            Map.of(),
            Set.of(),
            Set.of(),
            NOW,
            null));
  }

  /** A Gleaner pod not bound yet, pinned to {@code node} as the virtual-kubelet pins it. */
  private static Pod waiting(String name, String node, String cpu) {
    Pod p = gleaner(name, null, cpu, null);
    p.getSpec().setNodeName(null);
    p.getSpec()
        .setAffinity(
            new AffinityBuilder()
                .withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .withNodeSelectorTerms(
                    new NodeSelectorTerm(
                        null,
                        List.of(new NodeSelectorRequirement("metadata.name", "In", List.of(node)))))
                .endRequiredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity()
                .build());
    p.setStatus(
        new PodStatusBuilder()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .endCondition()
            .build());
    return p;
  }

  @Test
  void aGleanerPodWaitingForItsPinnedNodeCountsThereAndIsTakenWithTheOthers() {
    // n1 (8 CPU) runs a 4-CPU Gleaner pod; a 3-CPU one waits to be bound there; a 7-CPU online
    // pod needs the node: evicting the running pod alone frees 8, but the waiting one would then be
    // bound into it and leave 5
    Pod running = gleaner("running", "n1", "4", null);
    Pod next = waiting("next", "n1", "3");
    Pod web = online("web", "7", 100, true);

    PlanInput in = snapshot(List.of(running, next, web));

    LentNode n1 = in.nodes().get(0);
    assertThat(n1.pods()).extracting(NodePod::name).containsExactlyInAnyOrder("running", "next");
    Plan plan = planner.plan(in);
    assertThat(plan.reclaims()).hasSize(1);
    assertThat(plan.reclaims().get(0).victims())
        .extracting(v -> v.pod().name())
        .containsExactlyInAnyOrder("running", "next");
  }

  @Test
  void anUnboundGleanerPodPinnedNowhereOrToAnotherNodeIsNotCountedHere() {
    Pod running = gleaner("running", "n1", "4", null);
    Pod elsewhere = waiting("elsewhere", "n2", "3");
    Pod loose = gleaner("loose", null, "3", null);
    loose.getSpec().setNodeName(null);
    Pod web = online("web", "3", 100, true);

    PlanInput in = snapshot(List.of(running, elsewhere, loose, web));

    assertThat(in.nodes().get(0).pods()).extracting(NodePod::name).containsExactly("running");
  }

  @Test
  void aWaitingPodCostsNoWorkSoItGoesBeforeARunningOneWhenEitherMakesRoom() {
    // 8 CPU: a 2-CPU pod runs, a 2-CPU pod waits to be bound; a 6-CPU online pod needs 2 more
    Pod running = gleaner("running", "n1", "2", null);
    Pod next = waiting("next", "n1", "2");
    Pod web = online("web", "6", 100, true);

    Plan plan = planner.plan(snapshot(List.of(running, next, web)));

    assertThat(plan.reclaims()).hasSize(1);
    assertThat(plan.reclaims().get(0).victims())
        .extracting(v -> v.pod().name())
        .containsExactly("next");
  }
}
