package io.gleaner.sim.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LoadCurveTest {
  static final Instant T0 = Instant.parse("1970-01-01T08:00:00Z");

  @Test
  void interpolatesLinearlyAndWrapsTowardsTheFirstSample() {
    LoadCurve c =
        LoadCurve.of(
            new double[] {0.2, 0.4, 0.8},
            new double[] {0.5, 0.5, 0.5},
            Duration.ofSeconds(100),
            Duration.ofSeconds(400));
    assertThat(c.cpu(T0)).isCloseTo(0.2, within(1e-9));
    assertThat(c.cpu(T0.plusSeconds(50))).isCloseTo(0.3, within(1e-9));
    assertThat(c.cpu(T0.plusSeconds(200))).isCloseTo(0.8, within(1e-9));
    // 200..400 s: from the last sample (0.8) back to the first (0.2)
    assertThat(c.cpu(T0.plusSeconds(300))).isCloseTo(0.5, within(1e-9));
    assertThat(c.cpu(T0.plusSeconds(400))).isCloseTo(0.2, within(1e-9));
    assertThat(c.cpu(T0.plusSeconds(450))).isCloseTo(0.3, within(1e-9));
    assertThat(c.cpu(T0.minusSeconds(350))).isCloseTo(0.3, within(1e-9));
  }

  @Test
  void scalingMultipliesClampsAndShifts() {
    LoadCurve c =
        LoadCurve.of(
            new double[] {0.2, 0.6},
            new double[] {0.5, 0.9},
            Duration.ofSeconds(100),
            Duration.ofSeconds(200));
    LoadCurve s = c.scaled(2.0, Duration.ofSeconds(100));
    assertThat(s.cpu(T0.plusSeconds(100))).isCloseTo(0.4, within(1e-9));
    assertThat(s.cpu(T0)).isCloseTo(1.0, within(1e-9));
    assertThat(s.memory(T0.plusSeconds(200))).isCloseTo(1.0, within(1e-9));
    assertThat(s.peakCpu()).isCloseTo(1.0, within(1e-9));
    assertThatThrownBy(() -> c.scaled(-1, Duration.ZERO)).hasMessageContaining("-1");
  }

  @Test
  void thePeriodStartAtOrBeforeAnInstantIsTheLatestFirstSampleNotAfterIt() {
    LoadCurve c =
        LoadCurve.of(
            new double[] {0.2, 0.6},
            new double[] {0.5, 0.9},
            Duration.ofSeconds(100),
            Duration.ofSeconds(400));
    assertThat(c.periodStartAtOrBefore(T0)).isEqualTo(T0);
    assertThat(c.periodStartAtOrBefore(T0.plusMillis(399_999))).isEqualTo(T0);
    assertThat(c.periodStartAtOrBefore(T0.plusSeconds(400))).isEqualTo(T0.plusSeconds(400));
    assertThat(c.periodStartAtOrBefore(T0.minusMillis(1))).isEqualTo(T0.minusSeconds(400));
    LoadCurve later = c.scaled(1.0, Duration.ofSeconds(100));
    assertThat(later.periodStartAtOrBefore(T0.plusSeconds(99))).isEqualTo(T0.minusSeconds(300));
    assertThat(later.periodStartAtOrBefore(T0.plusSeconds(100))).isEqualTo(T0.plusSeconds(100));
    assertThat(later.cpu(later.periodStartAtOrBefore(T0.plusSeconds(777))))
        .isCloseTo(0.2, within(1e-9));
  }

  @Test
  void bundledAlibabaCurveIsBusyByDayAndQuietAtNight() {
    LoadCurve c = LoadCurve.alibaba2018();
    assertThat(c.period()).isEqualTo(Duration.ofDays(8));
    assertThat(c.step()).isEqualTo(Duration.ofSeconds(300));
    double day = 0;
    double night = 0;
    for (int d = 0; d < 8; d++) {
      Instant midnight = Instant.parse("2024-01-01T00:00:00Z").plus(Duration.ofDays(d));
      for (int h = 0; h < 4; h++) {
        day += c.cpu(midnight.plus(Duration.ofHours(9 + h)));
        night += c.cpu(midnight.plus(Duration.ofHours(21 + h)));
      }
    }
    assertThat(day).isGreaterThan(night * 1.15);
    assertThat(c.peakCpu()).isBetween(0.5, 1.0);
  }
}
