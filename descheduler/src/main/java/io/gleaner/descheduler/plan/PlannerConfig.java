package io.gleaner.descheduler.plan;

import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.util.Objects;

/**
 * Planner settings.
 *
 * @param nodeReserve kept free on a reclaimed node beyond what the online pods request (margin for
 *     daemons)
 * @param nominationBound how long native preemption gets after nominating a node before Gleaner
 *     steps in
 * @param searchBudget the most subsets the exact victim search explores per node before it keeps
 *     the best found
 */
public record PlannerConfig(Resources nodeReserve, Duration nominationBound, int searchBudget) {
  public static final PlannerConfig DEFAULT =
      new PlannerConfig(Resources.ZERO, Duration.ofSeconds(5), 20_000);

  public PlannerConfig {
    Objects.requireNonNull(nodeReserve, "nodeReserve");
    Objects.requireNonNull(nominationBound, "nominationBound");
    if (nodeReserve.hasNegative()) {
      throw new IllegalArgumentException("nodeReserve must not be negative, got " + nodeReserve);
    }
    if (nominationBound.isNegative()) {
      throw new IllegalArgumentException("nominationBound must be >= 0, got " + nominationBound);
    }
    if (searchBudget < 1) {
      throw new IllegalArgumentException("searchBudget must be >= 1, got " + searchBudget);
    }
  }
}
