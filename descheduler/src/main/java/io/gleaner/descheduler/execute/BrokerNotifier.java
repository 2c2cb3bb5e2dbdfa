package io.gleaner.descheduler.execute;

import io.gleaner.api.v1.ReclaimEvent;
import java.time.Instant;

/**
 * Tells the broker a node is reclaimed so it places nothing there before the cool-down ends.
 * Thread-safe.
 */
public interface BrokerNotifier {

  /**
   * Withdraws the node's offer; {@code event} may be null (before the evictions) and is sent once
   * they are issued.
   */
  WithdrawOutcome withdraw(
      String cluster, String node, String reason, Instant cooldownUntil, ReclaimEvent event);

  /** What a Withdraw call came to. */
  enum WithdrawOutcome {
    WITHDRAWN,
    NOT_OFFERED,
    FAILED
  }
}
