package io.gleaner.meta.registry;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot of how calls to one member are going.
 *
 * @param cluster the member's name
 * @param breaker the circuit breaker's state
 * @param lastSuccess last call the member answered (2xx or a 4xx answer), if any
 * @param lastFailure last call that got no usable answer (after retries), if any
 * @param lastError description of the last failure, if any
 * @param healthy breaker not open and a success within the health window
 */
public record MemberHealth(
    String cluster,
    CircuitBreaker.State breaker,
    Optional<Instant> lastSuccess,
    Optional<Instant> lastFailure,
    Optional<String> lastError,
    boolean healthy) {

  /** True when the breaker refuses calls. */
  public boolean breakerOpen() {
    return breaker == CircuitBreaker.State.OPEN || breaker == CircuitBreaker.State.FORCED_OPEN;
  }

  /**
   * True when the most recent outcome was a failure (or nothing succeeded yet but something
   * failed).
   */
  public boolean lastCallFailed() {
    return lastFailure.isPresent()
        && (lastSuccess.isEmpty() || lastFailure.get().isAfter(lastSuccess.get()));
  }
}
