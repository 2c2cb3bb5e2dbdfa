package io.gleaner.sandbox.invariants;

import java.time.Duration;
import java.util.Locale;

/**
 * What Gleaner promises its users, checked from outside through the clusters' APIs and the broker's
 * placements. A condition that may hold for a moment while state propagates (an observation is not
 * one instant) counts as a violation only once it has lasted longer than its {@link #grace()}.
 */
public enum Invariant {
  /** A metadata pod has member pods in more than one member cluster. */
  DUPLICATE_MEMBER_POD(Duration.ofSeconds(2)),
  /**
   * A member node holds more than its allocatable: the requests of the pods actually on it plus
   * Gleaner's reservations of pods not there yet.
   */
  NODE_OVERCOMMITTED(Duration.ofSeconds(10)),
  /** A reservation whose metadata pod is gone and that no member pod uses. */
  LEAKED_RESERVATION(Duration.ofSeconds(60)),
  /** A running Gleaner member pod that the broker holds no reservation for. */
  UNRESERVED_MEMBER_POD(Duration.ofSeconds(60)),
  /** A metadata pod's phase differs from its member pod's. */
  STATUS_DISAGREEMENT(Duration.ofSeconds(30)),
  /**
   * A Gleaner identity deleted or evicted a member pod that no Gleaner identity created, per the
   * member's audit trail ({@link PodOwnershipRule}).
   */
  FOREIGN_POD_DELETED(Duration.ZERO),
  /**
   * An online pod waited for Gleaner to hand capacity back longer than the victims' grace period
   * plus 5 s ({@link OnlineWaitRule}).
   */
  ONLINE_POD_HELD_BACK(Duration.ZERO);

  private final Duration grace;

  Invariant(Duration grace) {
    this.grace = grace;
  }

  /** How long (real time) the condition may last before it is a violation. */
  public Duration grace() {
    return grace;
  }

  /** The name in the summary JSON, e.g. {@code node_overcommitted}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
