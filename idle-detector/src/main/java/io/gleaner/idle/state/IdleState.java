package io.gleaner.idle.state;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Where one online member node stands on its way to being lent (ARCHITECTURE.md §4).
 *
 * <pre>
 * ACTIVE ──idle──▶ IDLE_OBSERVED(since) ──idle for idleAfter──▶ LENT ──breach / reclaim──▶ RECLAIMED(until) ──▶ ACTIVE
 *                        │ any breach                                                        (after the cool-down)
 *                        └──────────────▶ ACTIVE
 * </pre>
 *
 * <p>Values are immutable; the durable form is produced by {@link IdleStateCodec}.
 */
public sealed interface IdleState {

  /** The wire and metric name of a state. */
  enum Kind {
    ACTIVE,
    IDLE_OBSERVED,
    LENT,
    RECLAIMED;

    /** Lower-case tag value, e.g. {@code idle_observed}. */
    public String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  Kind kind();

  /** The instant from which the node has been idle without a break, if it is idle or lent. */
  default Optional<Instant> idleStart() {
    return Optional.empty();
  }

  /** The node carries online work (or has not been seen idle yet). */
  record Active() implements IdleState {
    public static final Active INSTANCE = new Active();

    @Override
    public Kind kind() {
      return Kind.ACTIVE;
    }
  }

  /** The node has been idle since {@code since}; it is lent once idle for {@code idleAfter}. */
  record IdleObserved(Instant since) implements IdleState {
    public IdleObserved {
      Objects.requireNonNull(since, "since");
    }

    @Override
    public Kind kind() {
      return Kind.IDLE_OBSERVED;
    }

    @Override
    public Optional<Instant> idleStart() {
      return Optional.of(since);
    }
  }

  /**
   * The node is lent to Gleaner: labelled {@code gleaner.io/pool=idle} and offered to the broker.
   */
  record Lent(Instant idleSince, Instant lentAt) implements IdleState {
    public Lent {
      Objects.requireNonNull(idleSince, "idleSince");
      Objects.requireNonNull(lentAt, "lentAt");
    }

    @Override
    public Kind kind() {
      return Kind.LENT;
    }

    @Override
    public Optional<Instant> idleStart() {
      return Optional.of(idleSince);
    }
  }

  /**
   * The node was given back at {@code reclaimedAt} and may not be lent again before {@code
   * cooldownUntil}.
   */
  record Reclaimed(Instant reclaimedAt, Instant cooldownUntil) implements IdleState {
    public Reclaimed {
      Objects.requireNonNull(reclaimedAt, "reclaimedAt");
      Objects.requireNonNull(cooldownUntil, "cooldownUntil");
    }

    @Override
    public Kind kind() {
      return Kind.RECLAIMED;
    }
  }
}
