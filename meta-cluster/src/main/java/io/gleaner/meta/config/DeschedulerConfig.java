package io.gleaner.meta.config;

import java.time.Duration;

/**
 * The descheduler service ({@code descheduler.*}).
 *
 * @param decisionWindow how long unschedulable online pods are gathered before one reclaim decision
 *     covers them all (a burst is handled together, not pod by pod)
 * @param dryRun decide and report, but evict nothing
 * @param priorityThreshold pending pods with at least this priority count as online work that may
 *     trigger a reclaim
 */
public record DeschedulerConfig(Duration decisionWindow, boolean dryRun, int priorityThreshold)
    implements Validatable {
  public static final DeschedulerConfig DEFAULTS =
      new DeschedulerConfig(Duration.ofMillis(250), false, 0);

  @Override
  public void validate(Problems p) {
    p.notNegative("decisionWindow", decisionWindow);
  }
}
