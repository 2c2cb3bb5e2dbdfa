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
   * finished), held by the ledger through the whole look. What it protects: Gleaner never promises
   * room a node does not have. When the member takes room back (its own gang fills the node and its
   * scheduler leaves a Gleaner pod just created there Unschedulable), the ledger over-counts the
   * node until the virtual-kubelet re-places that pod and releases its reservation; meanwhile the
   * broker only under-uses the node (its free room is the offer, which already leaves out the
   * member's own pods, minus the reservations, clamped at zero), it never over-promises. So this
   * lag counts once it outlasts its grace while a virtual-kubelet may act ({@link
   * #clearedByActing()}).
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
   * Whether the condition is a lag that only the virtual-kubelet leader's acting clears (mirroring
   * a status, re-placing a pod and releasing or moving its reservation, failing or re-placing a
   * gang whole; the broker's expiry of a gang's unconfirmed reservations aside), which no replica
   * may do while ZooKeeper has no quorum (no replica holds a leader lease and the ledger takes no
   * write), nor during a virtual-kubelet failover (the dead leader's lease has run out and the
   * standby leads only once its session has expired, by design: two acting leaders are what the
   * lease prevents). Its grace therefore starts again when quorum returns, or when a
   * virtual-kubelet leads again: the promise is that Gleaner stops acting while it may not and
   * catches up within the grace once it may. A failover is excused for at most {@link
   * InvariantChecker#LONGEST_FAILOVER}; a virtual node without a leader for longer is a failure
   * whose lags count. Duplicates, foreign deletions and online pods held back are never excused.
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
