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
  DUPLICATE_MEMBER_POD(Duration.ofSeconds(2), false),
  /**
   * A member node holds more than its allocatable: the requests of the pods actually on it plus
   * Gleaner's reservations of pods not there yet that may still come (their metadata pods not
   * finished), held by the ledger through the whole look.
   */
  NODE_OVERCOMMITTED(Duration.ofSeconds(10), true),
  /**
   * A reservation whose metadata pod is gone and that no member pod uses, or is finished ({@code
   * Succeeded}, or {@code Failed} as a reclaimed pod ends) with no live member pod.
   */
  LEAKED_RESERVATION(Duration.ofSeconds(60), true),
  /** A running Gleaner member pod that the broker holds no reservation for. */
  UNRESERVED_MEMBER_POD(Duration.ofSeconds(60), true),
  /**
   * A metadata pod's phase differs from its member pod's. Its grace is measured by when the two
   * sides were read, not by when the looks ended: the two phases must have been seen unchanged by
   * reads spanning the grace, both of the latest reads at least the grace after the first reads
   * that saw them ({@link InvariantChecker}).
   */
  STATUS_DISAGREEMENT(Duration.ofSeconds(30), true),
  /**
   * Part of a gang runs without the rest: some of its member pods run while fewer than its
   * minMember run or have succeeded (a gang reclaimed or ended in part, or started in part).
   */
  PARTIAL_GANG(Duration.ofSeconds(30), true),
  /**
   * A Gleaner identity deleted or evicted a member pod that no Gleaner identity created, per the
   * member's audit trail ({@link PodOwnershipRule}).
   */
  FOREIGN_POD_DELETED(Duration.ZERO, false),
  /**
   * An online pod waited for Gleaner to hand capacity back longer than the victims' grace period
   * plus 5 s ({@link OnlineWaitRule}).
   */
  ONLINE_POD_HELD_BACK(Duration.ZERO, false);

  private final Duration grace;
  private final boolean clearedByActing;

  Invariant(Duration grace, boolean clearedByActing) {
    this.grace = grace;
    this.clearedByActing = clearedByActing;
  }

  /**
   * Whether the condition is a lag that only Gleaner's acting replicas clear (mirroring a status,
   * moving or releasing a reservation), which they may not do while ZooKeeper has no quorum: no
   * replica holds a leader lease then and the ledger takes no write. Its grace therefore starts
   * again when quorum returns: the promise is that Gleaner stops acting without quorum and catches
   * up within the grace once it is back. Duplicates, foreign deletions and online pods held back
   * are never excused.
   */
  public boolean clearedByActing() {
    return clearedByActing;
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
