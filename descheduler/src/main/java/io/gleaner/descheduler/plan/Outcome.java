package io.gleaner.descheduler.plan;

/**
 * What the planner decided for one pending pod (or pressured node). Lower-case names double as
 * metric tags.
 */
public enum Outcome {
  /** Evictions on {@code node} make room for it. */
  RECLAIM,
  /**
   * It already fits on a lent node without evictions: nothing to do, the member scheduler will bind
   * it.
   */
  FITS_NOW,
  /** Room is being freed by pods already terminating (evicted before): never evict twice. */
  AWAITING_TERMINATION,
  /**
   * Native preemption nominated a node recently and could still help; look again at {@code
   * retryAt}.
   */
  DEFERRED_TO_PREEMPTION,
  /**
   * Even reclaiming lent nodes would not help; {@code reason} says why. Nothing is evicted for it.
   */
  NO_HELP;

  public String tag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
