package io.gleaner.bench.harvest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.resources.Resources;
import org.junit.jupiter.api.Test;

class HarvestLedgerTest {
  private static final Resources NODE = Resources.of("cpu", "32", "memory", "128Gi");

  /**
   * Default policy: idle at most 20 % requested, headroom 200m, IDLE margin 10 %. Node A (4 CPUs
   * online, 12.5 %) for 1 h lends (32 − 4 − 0.2) × 0.9 = 25.02 core-h; node B (8 CPUs, 25 %) lends
   * nothing; node A at exactly 20 % CPU (6.4 CPUs, inclusive) for 30 min lends (32 − 6.4 − 0.2) ×
   * 0.9 / 2 = 11.43. Pods: 2 CPUs completed after 90 min (3 core-h), 4 CPUs evicted after 30 min (2
   * core-h, all wasted), 1 CPU still running after 10 min (1/6 core-h).
   */
  @Test
  void handComputedDay() {
    HarvestLedger l = new HarvestLedger(EffectivePolicy.DEFAULTS);
    l.node(NODE, Resources.of("cpu", "4", "memory", "16Gi"), 3600);
    l.node(NODE, Resources.of("cpu", "8", "memory", "16Gi"), 3600);
    l.node(NODE, Resources.of("cpu", "6400m", "memory", "16Gi"), 1800);
    l.completed(2000, 5400);
    l.evicted(4000, 1800);
    l.stillRunning(1000, 600);
    l.reclaim();
    l.onlineDelay(31);
    l.onlineDelay(31);
    l.onlineDelay(300);
    l.memberPending(2, 60);
    l.memberPending(0, 60);

    assertThat(l.lendableCoreHours()).isCloseTo(25.02 + 11.43, within(1e-9));
    assertThat(l.harvestedCoreHours()).isCloseTo(3 + 2 + 1.0 / 6, within(1e-9));
    assertThat(l.harvestRatio()).isCloseTo((3 + 2 + 1.0 / 6) / 36.45, within(1e-9));
    assertThat(l.wastedCoreHours()).isCloseTo(2, within(1e-9));
    assertThat(l.podsEvicted()).isEqualTo(1);
    assertThat(l.podsCompleted()).isEqualTo(1);
    assertThat(l.reclaims()).isEqualTo(1);
    assertThat(l.onlinePodsDelayed()).isEqualTo(3);
    assertThat(l.onlineDelayQuantile(0.5)).isEqualTo(31);
    assertThat(l.onlineDelayQuantile(0.99)).isEqualTo(300);
    assertThat(l.memberPendingMean()).isCloseTo(1, within(1e-9));
    assertThat(l.memberPendingMax()).isEqualTo(2);
    assertThat(l.memberPendingPodHours()).isCloseTo(120 / 3600.0, within(1e-9));
  }

  @Test
  void memoryAboveTheThresholdMakesANodeBusy() {
    HarvestLedger l = new HarvestLedger(EffectivePolicy.DEFAULTS);
    l.node(NODE, Resources.of("cpu", "1", "memory", "64Gi"), 3600);
    assertThat(l.lendableCoreHours()).isZero();
    assertThat(l.harvestRatio()).isZero();
  }
}
