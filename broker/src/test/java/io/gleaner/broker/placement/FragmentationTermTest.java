package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.fit;
import static io.gleaner.broker.placement.Engines.node;
import static io.gleaner.broker.placement.Engines.place;
import static io.gleaner.broker.placement.Engines.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The fragmentation term's score, and the choice it makes between two nodes. */
class FragmentationTermTest {
  @Test
  void growthCountsInStepsAndImbalanceOnlyOrdersEqualSteps() {
    // -150 milli-GPU: -3 steps; free cpu 75 %, free GPU 50 %: imbalance 0.25
    assertThat(FragmentationTerm.score(-150, 0.75, 0.5)).isCloseTo(-3 + 0.125, within(1e-12));
    // 20 milli-GPU rounds to no step
    assertThat(FragmentationTerm.score(20, 0.5, 0.5)).isZero();
    assertThat(FragmentationTerm.score(30, 0.5, 0.5)).isEqualTo(1);
    // the worst imbalance does not reach the next step
    assertThat(FragmentationTerm.score(0, 1, 0)).isLessThan(FragmentationTerm.score(50, 0.5, 0.5));
  }

  @Test
  void aGpuPodAvoidsTheNodeWhereItWouldStrandGpusThatBestFitWouldPick() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    // tight: after a 1-GPU, 4-cpu pod, 1 GPU is left without cpu (growth 1000 for the mix)
    e.offer(node("a", "tight", "cpu", "4", "memory", "16Gi", "nvidia.com/gpu", "2"));
    // roomy: 2 GPUs and plenty of cpu stay (growth 0); best fit would prefer tight (1 GPU left)
    e.offer(node("b", "roomy", "cpu", "64", "memory", "64Gi", "nvidia.com/gpu", "3"));
    assertThat(fit(e, pod("p", "cpu", "4", "memory", "1Gi", "nvidia.com/gpu", "1")).node().node())
        .isEqualTo("roomy");
  }

  @Test
  void withEqualGrowthTheNodeLeftMoreBalancedWins() {
    for (boolean balancedFirst : new boolean[] {true, false}) {
      PlacementEngine e = new PlacementEngine(NO_MARGINS);
      var balanced = node("a", "balanced", "cpu", "8", "memory", "16Gi", "nvidia.com/gpu", "1");
      var cpuHeavy = node("b", "cpu-heavy", "cpu", "64", "memory", "16Gi", "nvidia.com/gpu", "1");
      e.offer(balancedFirst ? balanced : cpuHeavy);
      e.offer(balancedFirst ? cpuHeavy : balanced);
      // half a device, 2 cpu: growth 0 on both; left free: 6/8 cpu vs 62/64 cpu, half the GPU
      var half = pod("h", "cpu", "2", "memory", "1Gi", "nvidia.com/gpu", "1").withGpuMilli(500);
      assertThat(fit(e, half).node().node()).isEqualTo("balanced");
    }
  }

  @Test
  void aShareCompletesAUsedDeviceWhenWholeGpuPodsAreAskedFor() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n1", "cpu", "32", "memory", "64Gi", "nvidia.com/gpu", "1"));
    e.offer(node("b", "n2", "cpu", "32", "memory", "64Gi", "nvidia.com/gpu", "1"));
    String used =
        place(e, pod("h1", "cpu", "1", "memory", "1Gi", "nvidia.com/gpu", "1").withGpuMilli(500))
            .node()
            .node();
    // asked for (and counted) but not reserved: a whole GPU
    fit(e, pod("w", "cpu", "1", "memory", "1Gi", "nvidia.com/gpu", "1"));
    // mix: half 2/3, whole 1/3. On the used device: 500 of fragment for whole goes: -167 (-3
    // steps). On the free device: the whole device is split: +167 (+3 steps). Best fit agrees here.
    var h2 = pod("h2", "cpu", "1", "memory", "1Gi", "nvidia.com/gpu", "1").withGpuMilli(500);
    assertThat(fit(e, h2).node().node()).isEqualTo(used);
  }

  @Test
  void cpuPodsOnGpuNodesBeforeAnyGpuPodUseBestFit() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "big", "cpu", "64", "memory", "64Gi", "nvidia.com/gpu", "1"));
    e.offer(node("b", "small", "cpu", "8", "memory", "64Gi", "nvidia.com/gpu", "1"));
    assertThat(fit(e, pod("c", "cpu", "4")).node().node()).isEqualTo("small");
  }

  @Test
  void aCpuPodOnGpuNodesLeavesCpuWhereGpuPodsNeedIt() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "small", "cpu", "8", "memory", "64Gi", "nvidia.com/gpu", "1"));
    e.offer(node("b", "big", "cpu", "16", "memory", "64Gi", "nvidia.com/gpu", "1"));
    // the mix: whole-GPU pods with 6 cpu (asked for, not reserved)
    fit(e, pod("g", "cpu", "6", "memory", "1Gi", "nvidia.com/gpu", "1"));
    // 4 cpu on small leaves 4 < 6: its GPU becomes a fragment (+1000); on big 12 stay (0).
    // Best fit alone would take small.
    assertThat(fit(e, pod("c", "cpu", "4")).node().node()).isEqualTo("big");
  }

  @Test
  void aCpuPodOnGpuNodesLooksPastTheBestFitsUntilOneStrandsNothing() {
    // two best-fit candidates at most: the walk used to stop after a few nodes
    PlacementPolicy two = NO_MARGINS.withBestFitCandidates(2);
    PlacementEngine e = new PlacementEngine(two);
    for (int i = 0; i < 20; i++) {
      e.offer(node("a", "tight-" + i, "cpu", "8", "memory", "64Gi", "nvidia.com/gpu", "1"));
    }
    e.offer(node("b", "gpus-taken", "cpu", "64", "memory", "64Gi", "nvidia.com/gpu", "1"));
    place(e, pod("taker", "cpu", "40", "memory", "1Gi", "nvidia.com/gpu", "1"));
    // the mix: whole-GPU pods with 6 cpu. 4 cpu on any tight node leaves 4 < 6 and strands its GPU
    // (+1000); on gpus-taken there is no free GPU to strand (0), though 24 cpu stay free there
    fit(e, pod("g", "cpu", "6", "memory", "1Gi", "nvidia.com/gpu", "1"));
    assertThat(fit(e, pod("c", "cpu", "4")).node().node()).isEqualTo("gpus-taken");
  }
}
