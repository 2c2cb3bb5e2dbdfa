package io.gleaner.idle.state;

import java.util.Objects;

/**
 * The result of one step of the {@link IdleStateMachine}.
 *
 * @param from the state before the step
 * @param to the state after it
 * @param action what the caller must do in the member cluster and towards the broker
 * @param reason a short human reason for logs, e.g. {@code "cpu_requests"} or {@code "idle for
 *     PT10M"}
 */
public record Transition(IdleState from, IdleState to, Action action, String reason) {

  /** What a step asks the caller to do. */
  public enum Action {
    /** Nothing beyond recording the new state (if it changed). */
    NONE,
    /** Label and annotate the node as lent, and start offering it. */
    LEND,
    /** Remove the pool label, withdraw the offer, record the cool-down. */
    RETURN
  }

  public Transition {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(reason, "reason");
  }

  /** The state changed (so it must be persisted). */
  public boolean changed() {
    return !from.equals(to);
  }
}
