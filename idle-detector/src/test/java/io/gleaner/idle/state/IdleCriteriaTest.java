package io.gleaner.idle.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.meta.resources.Resources;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class IdleCriteriaTest {
  private static final Resources ALLOC = Resources.of("cpu", "10", "memory", "10Gi", "pods", "110");
  private final IdleCriteria criteria = IdleCriteria.DEFAULTS;

  private static NodeLoad load(String cpu, String mem, OptionalLong usage) {
    return new NodeLoad(true, false, false, ALLOC, Resources.of("cpu", cpu, "memory", mem), usage);
  }

  @Test
  void underEveryThresholdIsIdle() {
    IdleVerdict v = criteria.evaluate(load("1", "1Gi", OptionalLong.of(500)));
    assertThat(v.idle()).isTrue();
    assertThat(v.pressure()).isEqualTo(0.5);
  }

  @Test
  void exactlyAtTheThresholdIsStillIdle() {
    assertThat(criteria.evaluate(load("2", "2Gi", OptionalLong.of(1000))).idle()).isTrue();
  }

  @Test
  void eachThresholdBreachIsNamed() {
    assertThat(criteria.evaluate(load("2001m", "1Gi", OptionalLong.empty())).breaches())
        .containsExactly(Breach.CPU_REQUESTS);
    assertThat(criteria.evaluate(load("1", "3Gi", OptionalLong.empty())).breaches())
        .containsExactly(Breach.MEMORY_REQUESTS);
    assertThat(criteria.evaluate(load("1", "1Gi", OptionalLong.of(1001))).breaches())
        .containsExactly(Breach.CPU_USAGE);
  }

  @Test
  void missingMetricsDoNotBlockIdleness() {
    assertThat(criteria.evaluate(load("0", "0", OptionalLong.empty())).idle()).isTrue();
  }

  @Test
  void notReadyCordonedAndExcludedNodesAreNeverIdle() {
    NodeLoad n = new NodeLoad(false, true, true, ALLOC, Resources.ZERO, OptionalLong.empty());
    assertThat(criteria.evaluate(n).breaches())
        .containsExactlyInAnyOrder(Breach.NOT_READY, Breach.UNSCHEDULABLE, Breach.EXCLUDED);
    assertThat(criteria.evaluate(n).pressure()).isEqualTo(1);
  }

  @Test
  void nodeWithoutAllocatableIsNeverIdle() {
    NodeLoad n =
        new NodeLoad(true, false, false, Resources.ZERO, Resources.ZERO, OptionalLong.empty());
    assertThat(criteria.evaluate(n).idle()).isFalse();
  }

  @Test
  void zeroThresholdMeansNoOnlineRequestsAtAll() {
    IdleCriteria strict = new IdleCriteria(0, 0, 0);
    assertThat(strict.evaluate(load("0", "0", OptionalLong.of(0))).idle()).isTrue();
    assertThat(strict.evaluate(load("1m", "0", OptionalLong.of(0))).idle()).isFalse();
  }

  @Test
  void thresholdsOutsideZeroToOneAreRejectedByName() {
    assertThatThrownBy(() -> new IdleCriteria(1.5, 0.2, 0.1))
        .hasMessageContaining("cpuRequestFraction")
        .hasMessageContaining("1.5");
    assertThatThrownBy(() -> new IdleCriteria(0.2, -0.1, 0.1))
        .hasMessageContaining("memoryRequestFraction");
    assertThatThrownBy(() -> new IdleCriteria(0.2, 0.2, Double.NaN))
        .hasMessageContaining("cpuUsageFraction");
  }
}
