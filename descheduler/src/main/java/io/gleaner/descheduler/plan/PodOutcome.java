package io.gleaner.descheduler.plan;

import java.time.Instant;
import java.util.Objects;

/**
 * The planner's decision for one pod of a demand (or for a pressured node).
 *
 * @param node where it goes (RECLAIM, FITS_NOW, AWAITING_TERMINATION), else null
 * @param reason a human sentence for NO_HELP and DEFERRED_TO_PREEMPTION, a summary otherwise
 * @param retryAt when to plan again (DEFERRED_TO_PREEMPTION), else null
 */
public record PodOutcome(
    String pod, String demandId, Outcome outcome, String node, String reason, Instant retryAt) {
  public PodOutcome {
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(outcome, "outcome");
    reason = reason == null ? "" : reason;
  }
}
