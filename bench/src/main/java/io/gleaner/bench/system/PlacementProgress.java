package io.gleaner.bench.system;

import java.util.ArrayList;
import java.util.List;

/**
 * How many pods were placed over time, sampled: when a target count was first reached, and the best
 * rate over a sliding window. Not thread-safe; one sampler owns it.
 */
public final class PlacementProgress {
  private record Sample(double seconds, long placed) {}

  private final List<Sample> samples = new ArrayList<>();

  /** Records that {@code placed} pods were placed at {@code seconds} (non-decreasing). */
  public void record(double seconds, long placed) {
    if (!samples.isEmpty() && seconds < samples.get(samples.size() - 1).seconds()) {
      throw new IllegalArgumentException("samples must come in time order");
    }
    samples.add(new Sample(seconds, placed));
  }

  /** The first sampled time at which at least {@code target} pods were placed, or -1. */
  public double secondsTo(long target) {
    for (Sample s : samples) {
      if (s.placed() >= target) {
        return s.seconds();
      }
    }
    return -1;
  }

  /**
   * Pods per second from the first sample to the first reaching {@code target} (or to the last
   * sample), 0 with fewer than two samples.
   */
  public double averageRate(long target) {
    if (samples.size() < 2) {
      return 0;
    }
    Sample first = samples.get(0);
    Sample end = samples.get(samples.size() - 1);
    for (Sample s : samples) {
      if (s.placed() >= target) {
        end = s;
        break;
      }
    }
    double span = end.seconds() - first.seconds();
    return span <= 0 ? 0 : (end.placed() - first.placed()) / span;
  }

  /** The highest placement rate over any span of at least {@code windowSeconds} between samples. */
  public double peakRate(double windowSeconds) {
    double best = 0;
    int from = 0;
    for (int to = 1; to < samples.size(); to++) {
      while (from + 1 < to
          && samples.get(to).seconds() - samples.get(from + 1).seconds() >= windowSeconds) {
        from++;
      }
      double span = samples.get(to).seconds() - samples.get(from).seconds();
      if (span >= windowSeconds) {
        best = Math.max(best, (samples.get(to).placed() - samples.get(from).placed()) / span);
      }
    }
    return best;
  }
}
