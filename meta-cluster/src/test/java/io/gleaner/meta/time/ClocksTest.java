package io.gleaner.meta.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClocksTest {
  private static final Instant T0 = Instant.parse("2024-05-01T00:00:00Z");

  @Test
  void fakeClockAdvancesAndSets() {
    FakeClock clock = new FakeClock(T0);
    assertThat(clock.instant()).isEqualTo(T0);
    assertThat(clock.advance(Duration.ofMinutes(10))).isEqualTo(T0.plusSeconds(600));
    assertThat(clock.millis()).isEqualTo(T0.plusSeconds(600).toEpochMilli());
    clock.set(T0.minusSeconds(5));
    assertThat(clock.instant()).isEqualTo(T0.minusSeconds(5));
  }

  @Test
  void fakeClockRejectsNegativeAdvance() {
    assertThatThrownBy(() -> new FakeClock().advance(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-1S");
  }

  @Test
  void fakeClockZonedViewSharesTime() {
    FakeClock clock = new FakeClock(T0);
    var zoned = clock.withZone(ZoneId.of("Asia/Shanghai"));
    clock.advance(Duration.ofHours(1));
    assertThat(zoned.instant()).isEqualTo(T0.plusSeconds(3600));
    assertThat(zoned.getZone()).isEqualTo(ZoneId.of("Asia/Shanghai"));
  }

  @Test
  void fakeClockIsThreadSafe() throws Exception {
    FakeClock clock = new FakeClock(T0);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th =
          new Thread(
              () -> {
                for (int i = 0; i < 1000; i++) {
                  clock.advance(Duration.ofMillis(1));
                }
              });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    assertThat(clock.instant()).isEqualTo(T0.plusSeconds(4));
  }

  @Test
  void acceleratedClockRunsSpeedTimesFaster() {
    FakeClock real = new FakeClock(T0);
    Instant simStart = Instant.parse("2018-01-01T00:00:00Z");
    AcceleratedClock clock = new AcceleratedClock(real, simStart, 60);
    assertThat(clock.instant()).isEqualTo(simStart);
    real.advance(Duration.ofSeconds(1));
    assertThat(clock.instant()).isEqualTo(simStart.plusSeconds(60));
    real.advance(Duration.ofMillis(500));
    assertThat(clock.instant()).isEqualTo(simStart.plusSeconds(90));
    real.advance(Duration.ofDays(2));
    assertThat(clock.instant()).isEqualTo(simStart.plusSeconds(90).plus(Duration.ofDays(120)));
  }

  @Test
  void acceleratedClockKeepsSubMillisecondPrecisionForFractionalSpeeds() {
    FakeClock real = new FakeClock(T0);
    AcceleratedClock clock = new AcceleratedClock(real, T0, 2.5);
    real.advance(Duration.ofNanos(400));
    assertThat(clock.instant()).isEqualTo(T0.plusNanos(1000));
  }

  @Test
  void toRealAndToSimulatedAreInverse() {
    AcceleratedClock clock = new AcceleratedClock(new FakeClock(T0), T0, 100);
    assertThat(clock.toReal(Duration.ofMinutes(10))).isEqualTo(Duration.ofSeconds(6));
    assertThat(clock.toSimulated(Duration.ofSeconds(6))).isEqualTo(Duration.ofMinutes(10));
    assertThat(clock.toReal(Duration.ofNanos(1))).isEqualTo(Duration.ofNanos(1));
    assertThat(clock.toReal(Duration.ZERO)).isZero();
  }

  @Test
  void speedOneIsIdentity() {
    FakeClock real = new FakeClock(T0);
    AcceleratedClock clock = new AcceleratedClock(real, T0, 1);
    real.advance(Duration.ofSeconds(7));
    assertThat(clock.instant()).isEqualTo(real.instant());
    assertThat(clock.toReal(Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void rejectsBadSpeed() {
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> new AcceleratedClock(new FakeClock(), T0, bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("clock speed");
    }
  }
}
