package io.gleaner.descheduler.trigger;

import static io.gleaner.descheduler.trigger.TriggersTest.NOW;
import static io.gleaner.descheduler.trigger.TriggersTest.gleaner;
import static io.gleaner.descheduler.trigger.TriggersTest.node;
import static io.gleaner.descheduler.trigger.TriggersTest.online;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.descheduler.plan.LentNode;
import io.gleaner.descheduler.plan.NodePod;
import io.gleaner.descheduler.plan.NodeReclaim;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.PlanInput;
import io.gleaner.descheduler.plan.Planner;
import io.gleaner.descheduler.plan.PlannerConfig;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Two installations, {@code a} (planning) and {@code b}, share a member: {@code a} evicts, counts
 * and hands back only what is its own; {@code b}'s pods are load to it.
 */
class InstancesTest {
  private static final String A = "a";
  private final Planner planner = new Planner(PlannerConfig.DEFAULT);

  private static Pod of(String instance, Pod p) {
    p.getMetadata().getLabels().put(GleanerKeys.INSTANCE, instance);
    return p;
  }

  private static Node lentBy(String instance, Node n) {
    n.getMetadata().getLabels().put(GleanerKeys.LENT_BY, instance);
    n.getMetadata()
        .setAnnotations(Map.of(GleanerKeys.LENT_RENEWED_AT, NOW.minusSeconds(60).toString()));
    return n;
  }

  private static PlanInput snapshot(List<Node> nodes, List<Pod> pods) {
    return Snapshot.build(
        new Snapshot.Inputs(
            "c1", false, 0, nodes, pods, Map.of(), Map.of(), Set.of(), Set.of(), NOW, A));
  }

  @Test
  void anotherInstancesPodsOnOwnLentNodeAreLoadNeverVictims() {
    // n1 (8 CPU, lent by a) holds a's 2-CPU pod and b's two 3-CPU pods: a 4-CPU online pod needs
    // more than a's pod frees, so a frees what it can and never touches b's pods
    Pod mine = of(A, gleaner("mine", "n1", "2", null));
    Pod b1 = of("b", gleaner("b1", "n1", "3", null));
    Pod b2 = of("b", gleaner("b2", "n1", "3", null));
    Pod web = online("web", "2", 100, true);
    PlanInput in = snapshot(List.of(lentBy(A, node("n1", "8", true))), List.of(mine, b1, b2, web));

    LentNode n1 = in.nodes().get(0);
    assertThat(n1.pods())
        .filteredOn(NodePod::gleaner)
        .extracting(NodePod::name)
        .containsExactly("mine");
    assertThat(n1.handBack()).isTrue();

    Plan plan = planner.plan(in);
    assertThat(plan.reclaims()).hasSize(1);
    assertThat(plan.reclaims().get(0).victims())
        .extracting(v -> v.pod().name())
        .containsExactly("mine");
  }

  @Test
  void noVictimWhenOnlyAnotherInstancesPodsCouldMakeRoom() {
    Pod b1 = of("b", gleaner("b1", "n1", "4", null));
    Pod b2 = of("b", gleaner("b2", "n1", "4", null));
    Pod web = online("web", "2", 100, true);
    PlanInput in = snapshot(List.of(lentBy(A, node("n1", "8", true))), List.of(b1, b2, web));

    assertThat(in.demands()).hasSize(1);
    assertThat(planner.plan(in).victimCount()).isZero();
  }

  @Test
  void aNodeAnotherInstanceLendsIsNoCandidate() {
    Pod b1 = of("b", gleaner("b1", "n1", "4", null));
    Pod web = online("web", "6", 100, true);
    PlanInput in = snapshot(List.of(lentBy("b", node("n1", "8", true))), List.of(b1, web));

    assertThat(in.nodes()).isEmpty();
    assertThat(planner.plan(in).victimCount()).isZero();
  }

  @Test
  void ownPodsOnANodeAnotherInstanceLendsAreReclaimedButTheNodeIsNotHandedBack() {
    Pod mine = of(A, gleaner("mine", "n1", "4", null));
    Pod b1 = of("b", gleaner("b1", "n1", "2", null));
    Pod web = online("web", "4", 100, true);
    PlanInput in = snapshot(List.of(lentBy("b", node("n1", "8", true))), List.of(mine, b1, web));

    assertThat(in.nodes()).extracting(LentNode::name).containsExactly("n1");
    assertThat(in.nodes().get(0).handBack()).isFalse();
    Plan plan = planner.plan(in);
    assertThat(plan.reclaims()).extracting(NodeReclaim::handBack).containsExactly(false);
    assertThat(plan.reclaims().get(0).victims())
        .extracting(v -> v.pod().name())
        .containsExactly("mine");
  }

  @Test
  void anotherInstancesPendingPodIsNoDemand() {
    Pod pendingOfB = online("pb", "2", 100, true);
    pendingOfB
        .getMetadata()
        .setLabels(Map.of(GleanerKeys.MANAGED, "true", GleanerKeys.INSTANCE, "b"));
    Pod mine = of(A, gleaner("mine", "n1", "8", null));
    PlanInput in = snapshot(List.of(lentBy(A, node("n1", "8", true))), List.of(mine, pendingOfB));
    assertThat(in.demands()).isEmpty();
  }

  @Test
  void aGleanerPodWithoutInstancePredatesTheLabelAndCountsAsOwn() {
    Pod legacy = gleaner("old", "n1", "4", null);
    Pod web = online("web", "6", 100, true);
    PlanInput in = snapshot(List.of(node("n1", "8", true)), List.of(legacy, web));
    assertThat(planner.plan(in).reclaims().get(0).victims())
        .extracting(v -> v.pod().name())
        .containsExactly("old");
  }

  @Test
  void colocationPressureCountsAnotherInstancesPodsAsLoadAndAsksBackAtMostOwnPods() {
    Node n =
        new NodeBuilder()
            .withNewMetadata()
            .withName("c1")
            .endMetadata()
            .withNewStatus()
            .addToAllocatable("kubernetes.io/batch-cpu", new Quantity("3000"))
            .endStatus()
            .build();
    Pod mine = batch(of(A, gleaner("mine", "c1", "0", null)), "2000");
    Pod small = batch(of(A, gleaner("small", "c1", "0", null)), "500");
    Pod theirs = batch(of("b", gleaner("theirs", "c1", "0", null)), "2000");
    Pod big = batch(of("b", gleaner("big", "c1", "0", null)), "3000");

    assertThat(ColocationPressure.excess(n, List.of(mine, theirs), A).get(BATCH_CPU))
        .as("together 1000 over: a gives back 1000")
        .isEqualTo(1000);
    assertThat(ColocationPressure.excess(n, List.of(small, big), A).get(BATCH_CPU))
        .as("3500 requested, 500 over: a's 500 at most")
        .isEqualTo(500);
    assertThat(ColocationPressure.excess(n, List.of(theirs, big), A).isZero())
        .as("only b's pods over: nothing a can give back")
        .isTrue();
    assertThat(ColocationPressure.excess(n, List.of(mine), A).isZero()).isTrue();
  }

  private static final String BATCH_CPU = "kubernetes.io/batch-cpu";

  private static Pod batch(Pod p, String milli) {
    p.getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .setRequests(Map.of(BATCH_CPU, new Quantity(milli)));
    return p;
  }
}
