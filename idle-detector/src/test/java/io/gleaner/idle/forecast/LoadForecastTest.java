package io.gleaner.idle.forecast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LoadForecastTest {
  private static final long NOW = 1_000_000;

  private static HourlyPeaks history(long... hourValuePairs) {
    HourlyPeaks h = new HourlyPeaks();
    for (int i = 0; i < hourValuePairs.length; i += 2) {
      h.record(hourValuePairs[i], hourValuePairs[i + 1]);
    }
    return h;
  }

  @Test
  void theCurrentHourMixesWeekDayAndTheHourBefore() {
    HourlyPeaks h = history(NOW - 168, 1000, NOW - 24, 2000, NOW - 1, 4000, NOW, 9000);
    LoadForecast f = new LoadForecast(new PeakForecast(0.1, 0.3, 0.6, 0.15));
    // (0.1·1000 + 0.3·2000 + 0.6·4000) × 1.15; the hour in progress (9000) is not its own forecast
    assertThat(f.peak(h, NOW, NOW).getAsDouble()).isCloseTo(3100 * 1.15, within(1e-6));
  }

  @Test
  void laterHoursUseTheirOwnWeekAndDayAndTheHourInProgress() {
    HourlyPeaks h = history(NOW + 3 - 168, 500, NOW + 3 - 24, 8000, NOW - 1, 4000, NOW, 1000);
    LoadForecast f = new LoadForecast(new PeakForecast(0.1, 0.3, 0.6, 0));
    // 0.1·500 + 0.3·8000 + 0.6·1000 (the hour in progress is the last one seen)
    assertThat(f.peak(h, NOW, NOW + 3).getAsDouble()).isCloseTo(3050, within(1e-6));
  }

  @Test
  void withoutTheHourInProgressTheHourBeforeIsTheLastOneSeen() {
    HourlyPeaks h = history(NOW - 1, 4000);
    LoadForecast f = new LoadForecast(new PeakForecast(0.1, 0.3, 0.6, 0));
    assertThat(f.peak(h, NOW, NOW + 2).getAsDouble()).isEqualTo(4000);
  }

  @Test
  void missingTermsAreRenormalizedAndNoTermIsNoForecast() {
    HourlyPeaks h = history(NOW - 24, 2000);
    LoadForecast f = new LoadForecast(new PeakForecast(0.1, 0.3, 0.6, 0));
    assertThat(f.peak(h, NOW, NOW).getAsDouble()).isEqualTo(2000);
    assertThat(f.peak(new HourlyPeaks(), NOW, NOW)).isEmpty();
  }

  @Test
  void thePastIsNotForecast() {
    LoadForecast f = new LoadForecast(PeakForecast.DEFAULT);
    assertThatThrownBy(() -> f.peak(new HourlyPeaks(), NOW, NOW - 1))
        .hasMessageContaining("before the current hour");
  }
}
