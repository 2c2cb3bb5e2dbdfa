package io.gleaner.descheduler.trigger;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.descheduler.plan.LentNode;
import io.gleaner.descheduler.plan.NodePod;
import io.gleaner.descheduler.plan.NodeReclaim;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.PlanInput;
import io.gleaner.descheduler.plan.Planner;
import io.gleaner.descheduler.plan.PlannerConfig;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A member pod whose requests cannot be counted is left out of the pass; reclaim still happens. */
class BadMemberPodsTest {
  static final Instant NOW = TriggersTest.NOW;

  /** Two containers of 5Ei memory each: each parses, their sum overflows a long of bytes. */
  static Pod overflowing(String name, String node) {
    Pod p = TriggersTest.online(name, "1", 0, false);
    p.getSpec().setNodeName(node);
    p.getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .setRequests(Map.of("memory", new Quantity("5Ei")));
    p.getSpec()
        .getContainers()
        .add(
            new ContainerBuilder()
                .withName("d")
                .withNewResources()
                .addToRequests("memory", new Quantity("5Ei"))
                .endResources()
                .build());
    return p;
  }

  static Pod unparseable(String name, String node) {
    Pod p = TriggersTest.online(name, "1", 0, false);
    p.getSpec().setNodeName(node);
    p.getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .getRequests()
        .put("cpu", new Quantity("lots"));
    return p;
  }

  @Test
  void badPodsOnALentNodeAndPendingAreSkippedAndTheReclaimStillHappens() {
    Pod g1 = TriggersTest.gleaner("g1", "n1", "6", null);
    Pod web = TriggersTest.online("web1", "4", 100, true);
    Pod badPending = unparseable("bad-pending", null);
    badPending.setStatus(web.getStatus());
    List<Pod> pods =
        List.of(g1, overflowing("bad1", "n1"), unparseable("bad2", "n1"), badPending, web);
    PlanInput in =
        Snapshot.build(
            new Snapshot.Inputs(
                "c1",
                false,
                0,
                List.of(TriggersTest.node("n1", "8", true)),
                pods,
                Map.of(),
                Map.of(),
                Set.of(),
                Set.of(),
                NOW,
                "gleaner"));
    LentNode n1 = in.nodes().get(0);
    assertThat(n1.pods()).extracting(NodePod::name).containsExactly("g1");
    assertThat(in.demands()).hasSize(1);

    Plan plan = new Planner(PlannerConfig.DEFAULT).plan(in);
    assertThat(plan.reclaims()).extracting(NodeReclaim::node).containsExactly("n1");
    assertThat(plan.reclaims().get(0).victims())
        .extracting(v -> v.pod().name())
        .containsExactly("g1");
  }

  @Test
  void eachSkipIsCountedUnderOneNameWithTheMemberAndReasonInTags() {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    io.gleaner.meta.kube.SkippedPods skipped =
        new io.gleaner.meta.kube.SkippedPods(
            registry, io.gleaner.descheduler.DeschedulerMetrics.SKIPPED_PODS);
    Snapshot.build(
        new Snapshot.Inputs(
            "c1",
            false,
            0,
            List.of(TriggersTest.node("n1", "8", true)),
            List.of(
                TriggersTest.gleaner("g1", "n1", "6", null),
                overflowing("bad1", "n1"),
                unparseable("bad2", "n1")),
            Map.of(),
            Map.of(),
            Set.of(),
            Set.of(),
            NOW,
            new RequestsCache(),
            "gleaner",
            (p, e) -> skipped.skipped("c1", p, e)));
    assertThat(
            registry
                .get("gleaner.descheduler.skipped_pods")
                .tags("cluster", "c1", "reason", "overflow")
                .counter()
                .count())
        .isEqualTo(1.0);
    assertThat(
            registry
                .get("gleaner.descheduler.skipped_pods")
                .tags("cluster", "c1", "reason", "invalid_quantity")
                .counter()
                .count())
        .isEqualTo(1.0);
  }

  static Pod bound(String name, String node, String memory) {
    Pod p = TriggersTest.online(name, "1", 0, false);
    p.getSpec().setNodeName(node);
    p.getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .setRequests(Map.of("memory", new Quantity(memory)));
    return p;
  }

  @Test
  void podsEachCountableButOverflowingOnceSummedOnANodeDoNotStopTheReclaim() {
    // 2Ei + 7Ei fit a long each, not summed: the planner's node accounting would overflow
    Pod g1 = TriggersTest.gleaner("g1", "n1", "6", null);
    Pod web = TriggersTest.online("web1", "4", 100, true);
    PlanInput in =
        Snapshot.build(
            new Snapshot.Inputs(
                "c1",
                false,
                0,
                List.of(TriggersTest.node("n1", "8", true)),
                List.of(g1, bound("big1", "n1", "2Ei"), bound("big2", "n1", "7Ei"), web),
                Map.of(),
                Map.of(),
                Set.of(),
                Set.of(),
                NOW,
                "gleaner"));
    Plan plan = new Planner(PlannerConfig.DEFAULT).plan(in);
    assertThat(plan.reclaims()).extracting(NodeReclaim::node).containsExactly("n1");
  }
}
