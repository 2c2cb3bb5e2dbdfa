package io.gleaner.bench.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PlacementProgressTest {
  @Test
  void timeToTargetAverageAndPeakRate() {
    PlacementProgress p = new PlacementProgress();
    p.record(0, 0);
    p.record(10, 50); // 5/s
    p.record(20, 250); // 20/s
    p.record(30, 300); // 5/s
    p.record(40, 400);
    assertThat(p.secondsTo(250)).isEqualTo(20);
    assertThat(p.secondsTo(251)).isEqualTo(30);
    assertThat(p.secondsTo(401)).isEqualTo(-1);
    assertThat(p.averageRate(300)).isCloseTo(10.0, within(1e-9));
    assertThat(p.averageRate(10_000)).isCloseTo(10.0, within(1e-9));
    assertThat(p.peakRate(10)).isCloseTo(20.0, within(1e-9));
    assertThat(p.peakRate(20)).isCloseTo(12.5, within(1e-9));
    assertThat(p.peakRate(100)).isZero();
  }

  @Test
  void tooFewSamplesGiveNoRateAndTimeGoesForward() {
    PlacementProgress p = new PlacementProgress();
    assertThat(p.averageRate(1)).isZero();
    p.record(5, 3);
    assertThat(p.averageRate(1)).isZero();
    assertThatThrownBy(() -> p.record(4, 4)).isInstanceOf(IllegalArgumentException.class);
  }
}
