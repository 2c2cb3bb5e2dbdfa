package io.gleaner.meta.registry;

/**
 * A call to a member cluster was not attempted: its circuit breaker is open, its rate limit is
 * exhausted, or its handle is closed. Callers should treat the member as unreachable for now (no
 * new placements there) rather than retry at once.
 */
public class MemberUnavailableException extends RuntimeException {
  /** Why the call was refused. */
  public enum Reason {
    /** Recent calls failed; the breaker refuses calls until its wait in the open state ends. */
    CIRCUIT_OPEN,
    /** More calls than the member's rate limit allows were waiting. */
    RATE_LIMITED,
    /** The member was disabled, deleted or its kubeconfig changed; get a fresh handle. */
    CLOSED
  }

  private final String cluster;
  private final String operation;
  private final Reason reason;

  public MemberUnavailableException(
      String cluster, String operation, Reason reason, Throwable cause) {
    super(
        "member cluster " + cluster + " unavailable for " + operation + ": " + describe(reason),
        cause);
    this.cluster = cluster;
    this.operation = operation;
    this.reason = reason;
  }

  private static String describe(Reason reason) {
    return switch (reason) {
      case CIRCUIT_OPEN -> "circuit breaker is open after recent failures";
      case RATE_LIMITED -> "client-side rate limit exhausted";
      case CLOSED -> "member handle is closed (member disabled, deleted or reconfigured)";
    };
  }

  public String cluster() {
    return cluster;
  }

  public String operation() {
    return operation;
  }

  public Reason reason() {
    return reason;
  }
}
