package io.gleaner.idle.offer;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A usage sample from {@code metrics.k8s.io} (NodeMetrics or PodMetrics): the usage over {@code
 * [timestamp - window, timestamp]}.
 *
 * @param timestamp the sample's own timestamp (end of its window)
 * @param window how long before {@code timestamp} the sample's window began (zero when unknown)
 */
public record Usage(long cpuMillis, long memoryBytes, Instant timestamp, Duration window) {
  public Usage {
    Objects.requireNonNull(timestamp, "timestamp");
    window = window == null || window.isNegative() ? Duration.ZERO : window;
  }

  /** A sample without a known window. */
  public Usage(long cpuMillis, long memoryBytes, Instant timestamp) {
    this(cpuMillis, memoryBytes, timestamp, Duration.ZERO);
  }

  /** The sample is no older than {@code maxAge} at {@code now}. */
  public boolean freshAt(Instant now, Duration maxAge) {
    return !timestamp.plus(maxAge).isBefore(now);
  }
}
