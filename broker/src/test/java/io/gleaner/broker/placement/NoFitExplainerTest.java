package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.fit;
import static io.gleaner.broker.placement.Engines.noFit;
import static io.gleaner.broker.placement.Engines.node;
import static io.gleaner.broker.placement.Engines.place;
import static io.gleaner.broker.placement.Engines.pod;
import static io.gleaner.broker.placement.Engines.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.NoFit;
import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The messages and reasons of a refusal. */
class NoFitExplainerTest {
  @Test
  void aResourceNoNodeHasIsNamed() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n1", "cpu", "4"));
    assertThat(refusal(e, pod("p", "cpu", "1", "nvidia.com/gpu", "1")))
        .isEqualTo("pod requests nvidia.com/gpu but no lent node has it");
    assertThat(refusal(e, pod("p", "cpu", "1", "example.com/fpga", "1")))
        .isEqualTo("pod requests example.com/fpga but no lent node has it");
  }

  @Test
  void aPodLargerThanOneJustRefusedIsRefusedWithAnExactMessageUntilCapacityGrows() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n1", "cpu", "4", "memory", "4Gi"));
    Placement p = place(e, pod("p", "cpu", "2", "memory", "1Gi"));
    assertThat(refusal(e, pod("big", "cpu", "3")))
        .isEqualTo("largest free node offers 2 CPU, pod requests 3 CPU");
    assertThat(refusal(e, pod("bigger", "cpu", "5", "memory", "1Gi")))
        .isEqualTo("largest free node offers 2 CPU, pod requests 5 CPU");
    e.release(p);
    assertThat(fit(e, pod("big", "cpu", "3")).node().node()).isEqualTo("n1");
  }

  @Test
  void keepsTheSourceMarginFreeAndSaysHowMuchTheLargestNodeOffers() {
    PlacementEngine e = new PlacementEngine(PlacementPolicy.defaults());
    e.offer(node("a", "n1", "cpu", "10", "memory", "10Gi", "pods", "10"));
    assertThat(fit(e, pod("p1", "cpu", "9")).node()).isEqualTo(new NodeKey("a", "n1"));
    assertThat(refusal(e, pod("p2", "cpu", "9500m")))
        .isEqualTo("largest free node offers 9 CPU, pod requests 9500m CPU");
  }

  @Test
  void elasticCapacityIsForNearLineOnly() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "el", CapacitySource.ELASTIC, "cpu", "8", "memory", "8Gi"));
    PodRequest offline = PodRequest.of("o", WorkloadClass.OFFLINE, Resources.of("cpu", "1"));
    assertThat(refusal(e, offline))
        .isEqualTo("only ELASTIC capacity is lent now, and offline pods may not use it");
    assertThat(fit(e, pod("n", "cpu", "1")).source()).isEqualTo(CapacitySource.ELASTIC);
  }

  @Test
  void whenNodesWithTheDominantResourceLackAnotherItSaysWhichAndByHowLittle() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "small-mem", "cpu", "8", "memory", "2Gi"));
    e.offer(
        new NodeOffer(
            new NodeKey("a", "tainted"),
            CapacitySource.IDLE,
            Resources.of("cpu", "8", "memory", "8Gi"),
            Map.of(),
            List.of(KubeTaint.of("dedicated", "ml", "NoSchedule")),
            0,
            "",
            List.of(),
            0));
    // cpu is the dominant resource (8 of 16 lent, memory 3Gi of 10Gi)
    NoFit n = noFit(e, pod("p", "cpu", "8", "memory", "3Gi"));
    assertThat(n.message())
        .isEqualTo(
            "nodes with 8 CPU free lack memory: closest is 1Gi short, pod requests 3Gi memory");
    assertThat(n.reasons())
        .containsExactly("1 nodes: insufficient memory", "1 nodes: taints not tolerated");
  }

  @Test
  void nodesOfUnhealthyMembersAreCountedAndTheyAreWaitedFor() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n1", "cpu", "8"));
    e.setHealthy("a", false);
    NoFit n = noFit(e, pod("p", "cpu", "1"));
    assertThat(n.message())
        .isEqualTo(
            "the only nodes that would fit belong to unhealthy member clusters; the pod waits for"
                + " them");
    assertThat(n.reasons()).containsExactly("1 nodes: member cluster unhealthy");
    assertThat(n.largestFree()).isEqualTo(Resources.ZERO);
  }
}
