package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.idle.forecast.HourlyPeaks;
import io.gleaner.idle.forecast.OnlineHistory;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HistoryWarmupTest {
  private static final Instant NOW = Instant.parse("2026-12-05T08:40:00Z");
  private static final long H = HourlyPeaks.hourOf(NOW);

  @Test
  void eachCompleteHourBeforeNowHoldsItsPeakCappedAtTheMembersCapacity() {
    // 10 replicas at minute 0 of even hours and 30 at minute 59 of odd hours, else 5
    OnlineHistory h =
        HistoryWarmup.memberHistory(
            t -> {
              long hour = HourlyPeaks.hourOf(t);
              int minute = t.atZone(java.time.ZoneOffset.UTC).getMinute();
              if (hour % 2 == 0 && minute == 0) {
                return 10;
              }
              return hour % 2 == 1 && minute == 59 ? 30 : 5;
            },
            1000,
            20_000,
            NOW);
    for (long hour = H - HourlyPeaks.HOURS; hour < H; hour++) {
      assertThat(h.requests().peak(hour))
          .as("hour %d", hour)
          .hasValue(hour % 2 == 0 ? 10_000 : 20_000);
    }
    assertThat(h.requests().peak(H)).as("the hour in progress is the detector's").isEmpty();
    assertThat(h.usage().isEmpty()).isTrue();
  }
}
