package io.gleaner.idle.offer;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A usage sample from {@code metrics.k8s.io} (NodeMetrics or PodMetrics).
 *
 * @param timestamp the sample's own timestamp (end of its window)
 */
public record Usage(long cpuMillis, long memoryBytes, Instant timestamp) {
  public Usage {
    Objects.requireNonNull(timestamp, "timestamp");
  }

  /** The sample is no older than {@code maxAge} at {@code now}. */
  public boolean freshAt(Instant now, Duration maxAge) {
    return !timestamp.plus(maxAge).isBefore(now);
  }
}
