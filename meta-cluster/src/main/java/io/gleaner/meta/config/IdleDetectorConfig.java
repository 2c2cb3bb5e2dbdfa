package io.gleaner.meta.config;

import java.time.Duration;

/**
 * The idle-detector service ({@code idleDetector.*}). Idle thresholds and {@code idleAfter} are
 * policy and live in the {@code GleanerPolicy} resource, not here.
 *
 * @param resyncPeriod how often every node's offer is recomputed even without events
 * @param metricsMaxAge node metrics older than this count as missing (the offer is withdrawn)
 */
public record IdleDetectorConfig(Duration resyncPeriod, Duration metricsMaxAge)
    implements Validatable {
  public static final IdleDetectorConfig DEFAULTS =
      new IdleDetectorConfig(Duration.ofSeconds(30), Duration.ofMinutes(2));

  @Override
  public void validate(Problems p) {
    p.positive("resyncPeriod", resyncPeriod);
    p.positive("metricsMaxAge", metricsMaxAge);
  }
}
