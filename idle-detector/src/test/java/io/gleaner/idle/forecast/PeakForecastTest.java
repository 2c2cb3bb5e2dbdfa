package io.gleaner.idle.forecast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class PeakForecastTest {
  @Test
  void mixesWeekDayAndLastHourWithTheMargin() {
    double[] peaks = new double[170];
    peaks[169 - 168] = 10; // same hour a week ago
    peaks[169 - 24] = 20; // a day ago
    peaks[168] = 40; // last hour
    PeakForecast f = new PeakForecast(0.1, 0.3, 0.6, 0.15);
    // (0.1·10 + 0.3·20 + 0.6·40) / 1.0 × 1.15 = 31 × 1.15
    assertThat(f.forecast(peaks, 169).getAsDouble()).isCloseTo(35.65, within(1e-9));
  }

  @Test
  void missingTermsDropOutAndTheRestIsRenormalized() {
    double[] peaks = {4, 8};
    PeakForecast f = new PeakForecast(0.1, 0.3, 0.6, 0);
    assertThat(f.forecast(peaks, 2).getAsDouble()).isEqualTo(8.0);
    assertThat(f.forecast(peaks, 0)).isEmpty();
    assertThat(new PeakForecast(1, 0, 0, 0).forecast(peaks, 2)).isEmpty();
  }

  @Test
  void scoresMapeAndUnderPrediction() {
    // last hour only: forecasts 10 for hour 1 (actual 20: 50 % low), 20 for hour 2 (actual 10: 100
    // % high)
    PeakForecast.Score s = new PeakForecast(0, 0, 1, 0).backtest(new double[] {10, 20, 10}, 1, 3);
    assertThat(s.hours()).isEqualTo(2);
    assertThat(s.mapePercent()).isCloseTo(75.0, within(1e-9));
    assertThat(s.underPredictedShare()).isEqualTo(0.5);
  }

  @Test
  void hourlyPeaksDropAPartialHour() {
    assertThat(PeakForecast.hourlyPeaks(List.of(1.0, 3.0, 2.0, 5.0, 4.0), 2))
        .containsExactly(3.0, 5.0);
  }

  @Test
  void rejectsNegativeWeights() {
    assertThatThrownBy(() -> new PeakForecast(-1, 0, 1, 0)).hasMessageContaining("at least 0");
    assertThatThrownBy(() -> new PeakForecast(0, 0, 0, 0)).hasMessageContaining("positive");
  }
}
