package io.gleaner.idle.offer;

import io.gleaner.meta.resources.Resources;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

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

  /**
   * Where a node's summed requests stop: far beyond any node's allocatable, and low enough that the
   * offer math after it ({@code allocatable − requests − headroom}) never overflows. Pods whose
   * requests each fit a {@code long} may still overflow once summed; the node then has no room of
   * that resource, which the cap gives exactly.
   */
  static final long SUM_CAP = 1L << 61;

  /** Summed requests of the pods that hold the member's own resources (DaemonSets included). */
  public static Resources memberRequests(Collection<MemberPodInfo> pods) {
    return sum(pods, MemberPodInfo::holdsMemberResources);
  }

  /** Summed requests of the node's online pods: not Gleaner's, not DaemonSets, not terminated. */
  public static Resources onlineRequests(Collection<MemberPodInfo> pods) {
    return sum(pods, MemberPodInfo::isOnlineLoad);
  }

  /** Summed requests of this installation's pods on the node that still run (not terminated). */
  public static Resources gleanerRequests(Collection<MemberPodInfo> pods) {
    return sum(pods, p -> !p.terminated() && p.gleanerManaged() && !p.node().isEmpty());
  }

  private static Resources sum(Collection<MemberPodInfo> pods, Predicate<MemberPodInfo> counted) {
    Resources sum = Resources.ZERO;
    try {
      for (MemberPodInfo p : pods) {
        if (counted.test(p)) {
          sum = sum.plus(p.requests());
        }
      }
      return capped(sum);
    } catch (ArithmeticException overflow) {
      sum = Resources.ZERO;
      for (MemberPodInfo p : pods) {
        if (counted.test(p)) {
          sum = cappedPlus(sum, p.requests());
        }
      }
      return sum;
    }
  }

  /** {@code a + b} of non-negative requests, each entry capped at {@link #SUM_CAP}. */
  static Resources cappedPlus(Resources a, Resources b) {
    try {
      return capped(a.plus(b));
    } catch (ArithmeticException overflow) {
      Resources.Builder out = Resources.builder();
      Set<String> names = new TreeSet<>(a.names());
      names.addAll(b.names());
      for (String name : names) {
        long x = Math.min(a.get(name), SUM_CAP);
        long y = Math.min(b.get(name), SUM_CAP);
        out.putCanonical(name, Math.min(x + y, SUM_CAP));
      }
      return out.build();
    }
  }

  private static Resources capped(Resources r) {
    Resources out = r;
    for (Map.Entry<String, Long> e : r.toCanonical().entrySet()) {
      if (e.getValue() > SUM_CAP) {
        out = out.with(e.getKey(), SUM_CAP);
      }
    }
    return out;
  }
}
