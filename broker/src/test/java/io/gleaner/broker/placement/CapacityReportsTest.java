package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Engines.NO_MARGINS;
import static io.gleaner.broker.placement.Engines.node;
import static io.gleaner.broker.placement.Engines.place;
import static io.gleaner.broker.placement.Engines.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What is advertised, free, placed and estimated, outside of a decision. */
class CapacityReportsTest {
  @Test
  void estimateCountsPodsNodeByNodeCappedByPodSlots() {
    PlacementEngine e = new PlacementEngine(NO_MARGINS);
    e.offer(node("a", "n1", "cpu", "10", "memory", "4Gi", "pods", "100")); // min(10/2, 4/1) = 4
    e.offer(node("a", "n2", "cpu", "9", "memory", "100Gi", "pods", "3")); // min(4, 100, 3) = 3
    e.offer(node("b", "n3", "cpu", "1", "memory", "100Gi")); // 0
    Map<String, Long> est = e.estimate(pod("s", "cpu", "2", "memory", "1Gi"));
    assertThat(est).containsExactly(Map.entry("a", 7L));
    // aggregate would say 20 cpu / 2 = 10 pods
    e.offer(
        new NodeOffer(
            new NodeKey("c", "g"),
            CapacitySource.IDLE,
            Resources.of("cpu", "64", "nvidia.com/gpu", "2"),
            Map.of(),
            List.of(),
            0,
            "",
            List.of(1000, 300),
            0));
    assertThat(e.estimate(pod("s", "cpu", "1").withGpuMilli(250))).containsEntry("c", 5L);
    assertThat(e.estimate(pod("s", "cpu", "1", "nvidia.com/gpu", "1")))
        .containsExactly(Map.entry("c", 1L));
  }

  @Test
  void largestFreeAndTotalsReportPerClusterAndSource() {
    PlacementEngine e = new PlacementEngine(PlacementPolicy.defaults());
    e.offer(node("a", "n1", "cpu", "10", "memory", "10Gi"));
    e.offer(node("b", "n2", CapacitySource.VOLCANO, "cpu", "20", "memory", "10Gi"));
    Placement p = place(e, pod("p", "cpu", "2"));
    e.confirm(p);
    // volcano's margin is 10 %
    assertThat(e.largestFree(WorkloadClass.NEAR_LINE).cpuMillis()).isEqualTo(18000);
    List<CapacityTotals> totals = e.totals();
    assertThat(totals).extracting(CapacityTotals::cluster).containsExactly("a", "b");
    assertThat(totals.get(0).offered().cpuMillis()).isEqualTo(10000);
    assertThat(totals.get(0).placed().cpuMillis()).isEqualTo(2000);
    assertThat(totals.get(0).free().cpuMillis()).isEqualTo(7000);
  }
}
