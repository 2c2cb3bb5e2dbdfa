package io.gleaner.broker.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimVictim;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.broker.placement.CapacityTotals;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.time.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class HarvestMetricsTest {
  private final FakeClock clock = new FakeClock(Instant.parse("2026-12-05T08:00:00Z"));
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final HarvestMetrics metrics = new HarvestMetrics(registry, clock);

  /**
   * 6 idle cores (two clusters) and 1 Volcano GPU placed for 30 min, then 2 idle cores for 15 min:
   * 6 × 0.5 + 2 × 0.25 = 3.5 idle core-hours; 0.5 GPU-hours; co-location batch CPU counts as CPU.
   */
  @Test
  void integratesPlacedCapacityPerSource() {
    metrics.update(
        List.of(
            totals("a", CapacitySource.IDLE, Resources.of("cpu", "4")),
            totals("b", CapacitySource.IDLE, Resources.of("cpu", "2")),
            totals("t", CapacitySource.VOLCANO, Resources.of("cpu", "1", "nvidia.com/gpu", "1")),
            totals(
                "c", CapacitySource.COLOCATION, Resources.of("kubernetes.io/batch-cpu", "3000"))));
    clock.advance(Duration.ofMinutes(30));
    metrics.update(List.of(totals("a", CapacitySource.IDLE, Resources.of("cpu", "2"))));
    clock.advance(Duration.ofMinutes(15));

    assertThat(counter(HarvestMetrics.CORE_HOURS, "idle")).isCloseTo(3.5, within(1e-9));
    assertThat(counter(HarvestMetrics.GPU_HOURS, "volcano")).isCloseTo(0.5, within(1e-9));
    assertThat(counter(HarvestMetrics.CORE_HOURS, "colocation")).isCloseTo(1.5, within(1e-9));
    assertThat(counter(HarvestMetrics.CORE_HOURS, "elastic")).isZero();
  }

  @Test
  void countsReclaimsAndVictimsButNotDryRuns() {
    ReclaimEvent e =
        ReclaimEvent.newBuilder()
            .setId("r1")
            .setSource(SourceKind.IDLE)
            .addVictims(ReclaimVictim.newBuilder().setName("p1"))
            .addVictims(ReclaimVictim.newBuilder().setName("p2"))
            .build();
    metrics.reclaim(e);
    metrics.reclaim(e.toBuilder().setId("r2").setDryRun(true).build());
    assertThat(counter(HarvestMetrics.RECLAIMS, "idle")).isEqualTo(1.0);
    assertThat(counter(HarvestMetrics.RECLAIMED_PODS, "idle")).isEqualTo(2.0);
  }

  private double counter(String name, String source) {
    var c = registry.find(name).tag("source", source);
    return c.functionCounter() != null ? c.functionCounter().count() : c.counter().count();
  }

  private static CapacityTotals totals(String cluster, CapacitySource source, Resources placed) {
    return new CapacityTotals(
        cluster, source, true, 1, placed, Resources.ZERO, placed, Resources.ZERO);
  }
}
