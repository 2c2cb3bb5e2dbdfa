package io.gleaner.descheduler.hooks;

/**
 * What one hook delivery came to; lower-case names tag {@code gleaner.descheduler.hook_deliveries}.
 */
public enum HookOutcome {
  DELIVERED,
  /** Every attempt failed (non-2xx or I/O error). */
  FAILED,
  /** The hook's circuit breaker is open: not attempted. */
  CIRCUIT_OPEN,
  /** The hook's queue was full: not attempted. */
  DROPPED;

  public String tag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
