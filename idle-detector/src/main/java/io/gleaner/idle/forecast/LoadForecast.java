package io.gleaner.idle.forecast;

import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Forecasts the peak of a future clock hour from {@link HourlyPeaks} (an {@link OnlineHistory}'s
 * requests, in the detector) with a {@link PeakForecast} mix: the same hour 7 days and 1 day before
 * the target, and the last hour observed (the hour before the target, or the hour in progress when
 * the target lies further ahead, since later hours have not been seen yet).
 *
 * @param mix weights and safety margin
 */
public record LoadForecast(PeakForecast mix) {
  public LoadForecast {
    Objects.requireNonNull(mix, "mix");
  }

  /**
   * The forecast peak (millicores) of epoch hour {@code target}, seen during hour {@code current};
   * empty when the history holds none of the terms.
   *
   * @throws IllegalArgumentException when the target lies before the current hour
   */
  public OptionalDouble peak(HourlyPeaks history, long current, long target) {
    if (target < current) {
      throw new IllegalArgumentException(
          "target hour " + target + " lies before the current hour " + current);
    }
    OptionalLong last = target == current ? OptionalLong.empty() : history.peak(current);
    if (last.isEmpty()) {
      last = history.peak(current - 1);
    }
    return mix.forecast(
        d(history.peak(target - PeakForecast.WEEK)),
        d(history.peak(target - PeakForecast.DAY)),
        d(last));
  }

  private static OptionalDouble d(OptionalLong v) {
    return v.isPresent() ? OptionalDouble.of(v.getAsLong()) : OptionalDouble.empty();
  }
}
