package io.gleaner.idle.forecast;

import io.gleaner.meta.crd.EffectivePolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Forecasts the next hour's peak of online usage as a weighted mix of the peak of the same hour 7
 * days ago, of the same hour 1 day ago and of the last hour, raised by a safety margin:
 *
 * <pre>
 *   forecast(h) = (w7 · peak(h − 168) + w1 · peak(h − 24) + wLast · peak(h − 1)) / (w7 + w1 + wLast) × (1 + margin)
 * </pre>
 *
 * Terms the history does not reach yet drop out and the remaining weights are renormalized, so a
 * young history falls back to the last hour. Peaks are in any unit (cores, a utilization share).
 *
 * <p>{@link #DEFAULT} is the GleanerPolicy's default ({@code spec.forecast}, declared once in
 * {@code ForecastSettings}); its weights and margin come from a backtest on the bundled 8-day
 * Alibaba 2018 curve ({@code PeakForecastBacktestTest}, figures in docs/figures.md).
 *
 * @param weekWeight weight of the same hour 7 days ago, at least 0
 * @param dayWeight weight of the same hour 1 day ago, at least 0
 * @param lastHourWeight weight of the last hour, at least 0
 * @param safetyMargin fraction added to the mix, at least 0
 */
public record PeakForecast(
    double weekWeight, double dayWeight, double lastHourWeight, double safetyMargin) {
  /** Hours in the look-backs. */
  public static final int WEEK = 168;

  public static final int DAY = 24;

  /** The policy's default: mostly the last hour, corrected by yesterday and last week. */
  public static final PeakForecast DEFAULT = of(EffectivePolicy.DEFAULTS.forecast());

  public PeakForecast {
    if (!(weekWeight >= 0) || !(dayWeight >= 0) || !(lastHourWeight >= 0)) {
      throw new IllegalArgumentException(
          "forecast weights must be at least 0, got week="
              + weekWeight
              + " day="
              + dayWeight
              + " lastHour="
              + lastHourWeight);
    }
    if (weekWeight + dayWeight + lastHourWeight <= 0) {
      throw new IllegalArgumentException("at least one forecast weight must be positive");
    }
    if (!(safetyMargin >= 0)) {
      throw new IllegalArgumentException("safetyMargin must be at least 0, got " + safetyMargin);
    }
  }

  /** The weights and margin of a GleanerPolicy's {@code spec.forecast}. */
  public static PeakForecast of(EffectivePolicy.Forecast f) {
    return new PeakForecast(f.weekWeight(), f.dayWeight(), f.lastHourWeight(), f.safetyMargin());
  }

  /**
   * The weighted mix of the terms that are present (renormalized over their weights), raised by the
   * margin; empty when no weighted term is present.
   *
   * @param week the peak of the same hour 7 days ago, if known
   * @param day the peak of the same hour 1 day ago, if known
   * @param lastHour the peak of the last hour, if known
   */
  public OptionalDouble forecast(OptionalDouble week, OptionalDouble day, OptionalDouble lastHour) {
    double sum = 0;
    double weights = 0;
    if (weekWeight > 0 && week.isPresent()) {
      sum += weekWeight * week.getAsDouble();
      weights += weekWeight;
    }
    if (dayWeight > 0 && day.isPresent()) {
      sum += dayWeight * day.getAsDouble();
      weights += dayWeight;
    }
    if (lastHourWeight > 0 && lastHour.isPresent()) {
      sum += lastHourWeight * lastHour.getAsDouble();
      weights += lastHourWeight;
    }
    return weights == 0
        ? OptionalDouble.empty()
        : OptionalDouble.of(sum / weights * (1 + safetyMargin));
  }

  /**
   * The forecast peak of hour {@code hour} from the hourly peaks before it ({@code peaks[0..hour)}
   * are read; hour 0 is the oldest); empty when no weighted term is available.
   */
  public OptionalDouble forecast(double[] peaks, int hour) {
    if (hour > peaks.length) {
      throw new IllegalArgumentException(
          "hour " + hour + " is beyond the history of " + peaks.length + " hours");
    }
    return forecast(
        hour >= WEEK ? OptionalDouble.of(peaks[hour - WEEK]) : OptionalDouble.empty(),
        hour >= DAY ? OptionalDouble.of(peaks[hour - DAY]) : OptionalDouble.empty(),
        hour >= 1 ? OptionalDouble.of(peaks[hour - 1]) : OptionalDouble.empty());
  }

  /**
   * Scores the forecast of every hour in {@code [from, to)} against the actual peak: mean absolute
   * percentage error and the share of hours whose forecast was below the actual peak. Hours without
   * a forecast or with a zero peak are not scored.
   */
  public Score backtest(double[] peaks, int from, int to) {
    double errors = 0;
    int scored = 0;
    int under = 0;
    for (int h = Math.max(0, from); h < Math.min(to, peaks.length); h++) {
      OptionalDouble f = forecast(peaks, h);
      if (f.isEmpty() || peaks[h] == 0) {
        continue;
      }
      errors += Math.abs(f.getAsDouble() - peaks[h]) / peaks[h];
      if (f.getAsDouble() < peaks[h]) {
        under++;
      }
      scored++;
    }
    return new Score(
        scored, scored == 0 ? 0 : 100 * errors / scored, scored == 0 ? 0 : (double) under / scored);
  }

  /**
   * How a forecast did.
   *
   * @param hours hours scored
   * @param mapePercent mean absolute percentage error, in percent
   * @param underPredictedShare share 0..1 of hours whose forecast was below the actual peak
   */
  public record Score(int hours, double mapePercent, double underPredictedShare) {}

  /**
   * Hourly peaks of a series sampled {@code samplesPerHour} times an hour; a partial last hour is
   * dropped.
   */
  public static double[] hourlyPeaks(List<Double> samples, int samplesPerHour) {
    if (samplesPerHour <= 0) {
      throw new IllegalArgumentException("samplesPerHour must be positive, got " + samplesPerHour);
    }
    List<Double> peaks = new ArrayList<>();
    for (int start = 0; start + samplesPerHour <= samples.size(); start += samplesPerHour) {
      double peak = Double.NEGATIVE_INFINITY;
      for (int i = start; i < start + samplesPerHour; i++) {
        peak = Math.max(peak, samples.get(i));
      }
      peaks.add(peak);
    }
    return peaks.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
