package io.gleaner.idle.offer;

import io.gleaner.meta.resources.Resources;
import java.util.Collection;

/**
 * Offer math of the IDLE source (ARCHITECTURE.md §4): a lent online node offers {@code allocatable
 * − requests of every non-Gleaner pod (DaemonSets included) − node headroom}, clamped at zero.
 * Co-location extended resources ({@code kubernetes.io/batch-*}) are not part of an IDLE offer. An
 * online pod landing on a lent node shrinks the offer at the next recompute.
 */
public final class IdleOffers {
  private IdleOffers() {}

  /** The IDLE offer of {@code node}, given the pods bound to it. */
  public static Resources usable(
      MemberNodeInfo node, Collection<MemberPodInfo> pods, Resources headroom) {
    return node.allocatable()
        .without(Resources.BATCH_CPU)
        .without(Resources.BATCH_MEMORY)
        .minus(memberRequests(pods))
        .minus(headroom)
        .clampAtZero();
  }

  /** Summed requests of the pods that hold the member's own resources (DaemonSets included). */
  public static Resources memberRequests(Collection<MemberPodInfo> pods) {
    Resources sum = Resources.ZERO;
    for (MemberPodInfo p : pods) {
      if (p.holdsMemberResources()) {
        sum = sum.plus(p.requests());
      }
    }
    return sum;
  }

  /** Summed requests of the node's online pods: not Gleaner's, not DaemonSets, not terminated. */
  public static Resources onlineRequests(Collection<MemberPodInfo> pods) {
    Resources sum = Resources.ZERO;
    for (MemberPodInfo p : pods) {
      if (p.isOnlineLoad()) {
        sum = sum.plus(p.requests());
      }
    }
    return sum;
  }
}
