package io.gleaner.idle.forecast;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The samples of one series over the last {@code span}, finer than {@link HourlyPeaks}: what the
 * room forecast reads for the member's trend within the hour (how much its online demand changed
 * over the last minutes). At most one sample per second is kept (the last one recorded in that
 * second); samples older than {@code span} before the newest are dropped. In memory only: after a
 * restart the trend is unknown until the series again covers the window asked for. Not thread-safe.
 */
public final class RecentSamples {
  private final long spanMillis;
  private final ArrayDeque<long[]> samples = new ArrayDeque<>();

  /**
   * @param span how far back samples are kept (positive)
   */
  public RecentSamples(Duration span) {
    Objects.requireNonNull(span, "span");
    if (span.isNegative() || span.isZero()) {
      throw new IllegalArgumentException("span must be positive, got " + span);
    }
    this.spanMillis = span.toMillis();
  }

  /**
   * Records {@code value} at {@code t}. A sample older than the newest is ignored; one in the same
   * second as the newest replaces it.
   */
  public void record(Instant t, long value) {
    long ms = t.toEpochMilli();
    long[] last = samples.peekLast();
    if (last != null) {
      if (ms < last[0]) {
        return;
      }
      if (Math.floorDiv(ms, 1000L) == Math.floorDiv(last[0], 1000L)) {
        samples.pollLast();
      }
    }
    samples.addLast(new long[] {ms, value});
    while (samples.peekFirst()[0] < ms - spanMillis) {
      samples.pollFirst();
    }
  }

  /**
   * How much the series changed over the last {@code window} before {@code now}: the newest sample
   * at or before {@code now} less the newest sample at or before {@code now − window}; empty when
   * no sample is that old (the series does not cover the window yet).
   */
  public OptionalDouble change(Instant now, Duration window) {
    Objects.requireNonNull(window, "window");
    long nowMs = now.toEpochMilli();
    long fromMs = nowMs - window.toMillis();
    long[] then = null;
    long[] latest = null;
    for (Iterator<long[]> it = samples.iterator(); it.hasNext(); ) {
      long[] s = it.next();
      if (s[0] > nowMs) {
        break;
      }
      latest = s;
      if (s[0] <= fromMs) {
        then = s;
      }
    }
    if (then == null) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(latest[1] - then[1]);
  }

  /** Samples held. */
  public int size() {
    return samples.size();
  }
}
