package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.noFit;
import static io.gleaner.broker.placement.Engines.node;
import static io.gleaner.broker.placement.Engines.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.NoFit;
import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import org.junit.jupiter.api.Test;

/** A refusal is final when no known node could ever hold the pod. */
class LendingBoundsTest {
  private static NodeOffer sized(String name, CapacitySource src, String free, String alloc) {
    return node("a", name, src, "cpu", free, "memory", "16Gi")
        .withAllocatable(Resources.of("cpu", alloc, "memory", "64Gi", "pods", "110"));
  }

  @Test
  void theMarginIsTakenOffCpuMemoryAndExtendedResourcesButNotSlotsOrGpus() {
    Resources lendable =
        LendingBounds.lendable(
            Resources.of(
                "cpu",
                "10",
                "memory",
                "10Gi",
                "pods",
                "110",
                "nvidia.com/gpu",
                "3",
                "example.com/fpga",
                "10"),
            CapacitySource.IDLE,
            10);
    assertThat(lendable)
        .isEqualTo(
            Resources.of(
                "cpu",
                "9",
                "memory",
                "9Gi",
                "pods",
                "110",
                "nvidia.com/gpu",
                "3",
                "example.com/fpga",
                "9"));
  }

  @Test
  void aColocationNodesBatchResourcesStandInForCpuAndMemory() {
    Resources batch =
        Resources.of("kubernetes.io/batch-cpu", "8000", "kubernetes.io/batch-memory", "8Gi");
    assertThat(LendingBounds.lendable(batch, CapacitySource.COLOCATION, 50))
        .isEqualTo(Resources.of("cpu", "4", "memory", "4Gi"));
    assertThat(LendingBounds.lendable(batch, CapacitySource.IDLE, 50))
        .isEqualTo(
            Resources.of("kubernetes.io/batch-cpu", "4000", "kubernetes.io/batch-memory", "4Gi"));
  }

  @Test
  void aPodLargerThanEveryNodesAllocatableIsRefusedForGood() {
    PlacementEngine e = new PlacementEngine(PlacementPolicy.defaults());
    e.offer(sized("n1", CapacitySource.IDLE, "4", "16"));
    e.offer(sized("n2", CapacitySource.VOLCANO, "2", "8"));
    NoFit huge = noFit(e, pod("huge", "cpu", "5000"));
    assertThat(huge.never()).isNotNull();
    assertThat(huge.never().resource()).isEqualTo("cpu");
    // the idle margin (10%) is never lent: 16 CPU allocatable hold at most 14400m
    assertThat(huge.message())
        .isEqualTo(
            "no member node has enough resource: cpu, requested: 5000,"
                + " largest member node: 14400m (a/n1)");
    assertThat(noFit(e, pod("over-margin", "cpu", "15")).never()).isNotNull();
    NoFit fpga = noFit(e, pod("fpga", "cpu", "1", "example.com/fpga", "1"));
    assertThat(fpga.never().resource()).isEqualTo("example.com/fpga");
    assertThat(fpga.message()).startsWith("no member node has resource example.com/fpga");
  }

  @Test
  void aPodThatFitsSomeNodesAllocatableOnlyWaits() {
    PlacementEngine e = new PlacementEngine(PlacementPolicy.defaults());
    e.offer(sized("n1", CapacitySource.IDLE, "4", "16"));
    NoFit later = noFit(e, pod("later", "cpu", "12"));
    assertThat(later.never()).isNull();
    assertThat(later.message())
        .isEqualTo("largest free node offers 3600m CPU, pod requests 12 CPU");
    // the same answer through the refused-shapes cache
    assertThat(noFit(e, pod("later2", "cpu", "13")).never()).isNull();
    assertThat(noFit(e, pod("never2", "cpu", "15")).never()).isNotNull();
  }

  @Test
  void aNodeWithoutReportedAllocatableCouldHoldAnything() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(sized("n1", CapacitySource.IDLE, "4", "16"));
    e.offer(node("a", "unreported", "cpu", "2", "memory", "2Gi"));
    assertThat(noFit(e, pod("huge", "cpu", "5000")).never()).isNull();
    assertThat(noFit(e, pod("fpga", "example.com/fpga", "1")).never()).isNull();
  }

  @Test
  void withdrawnNodesStillCountAndANewAllocatableIsSeen() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(sized("n1", CapacitySource.IDLE, "4", "16"));
    e.offer(sized("n2", CapacitySource.IDLE, "4", "32"));
    e.withdraw(new NodeKey("a", "n2"));
    // 20 CPU fits n2 once it is lent again
    assertThat(noFit(e, pod("p", "cpu", "20")).never()).isNull();
    e.offer(sized("n2", CapacitySource.IDLE, "4", "8"));
    NoFit now = noFit(e, pod("p", "cpu", "20"));
    assertThat(now.never()).isNotNull();
    assertThat(now.never().largestNode()).isEqualTo("a/n1");
    e.withdraw(new NodeKey("a", "n1"));
    e.withdraw(new NodeKey("a", "n2"));
    assertThat(noFit(e, pod("q", "cpu", "20")).never()).isNotNull();
  }

  @Test
  void eachNodeIsJudgedAsAWhole() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(
        node("a", "cpu", "cpu", "2").withAllocatable(Resources.of("cpu", "16", "memory", "64Gi")));
    e.offer(
        node("a", "gpu", "cpu", "2", "nvidia.com/gpu", "4")
            .withAllocatable(Resources.of("cpu", "8", "memory", "64Gi", "nvidia.com/gpu", "4")));
    NoFit n = noFit(e, pod("p", "cpu", "12", "nvidia.com/gpu", "2"));
    assertThat(n.never()).isNotNull();
    assertThat(noFit(e, pod("q", "cpu", "6", "nvidia.com/gpu", "2")).never()).isNull();
  }

  @Test
  void aNewPolicysMarginsMoveTheBounds() {
    PlacementEngine e =
        new PlacementEngine(PlacementPolicy.defaults().withMargin(CapacitySource.IDLE, 10));
    e.offer(sized("n1", CapacitySource.IDLE, "4", "16"));
    assertThat(noFit(e, pod("p", "cpu", "14")).never()).isNull();
    e.policy(e.policy().withMargin(CapacitySource.IDLE, 50));
    NoFit now = noFit(e, pod("p", "cpu", "14"));
    assertThat(now.never()).isNotNull();
    assertThat(now.never().largestQuantity()).isEqualTo("8");
  }
}
