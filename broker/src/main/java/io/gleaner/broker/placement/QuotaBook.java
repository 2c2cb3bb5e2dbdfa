package io.gleaner.broker.placement;

import io.gleaner.broker.model.MemberQuota;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The members' ResourceQuotas in the namespaces Gleaner maps to, and what Gleaner has reserved
 * there and not yet created (in flight: the member's {@code status.used} does not count it yet). A
 * pod fits a member's quotas when, for every quota of its member namespace that matches its class,
 * each resource it requests is within hard − used − in flight. Placement applies this once per
 * member and decision, never per node. Not thread-safe: the ledger serializes every call.
 */
final class QuotaBook {
  /** A member namespace's quotas, and what is in flight there per class. */
  private static final class Space {
    List<MemberQuota> quotas = List.of();

    @SuppressWarnings("unchecked")
    final Map<String, Long>[] inFlight = new Map[WorkloadClass.values().length];
  }

  private final UnaryOperator<String> memberNamespace;
  private final String shared;

  /** cluster → member namespace → space. */
  private final Map<String, Map<String, Space>> spaces = new HashMap<>();

  private int quotaCount;

  /**
   * @param memberNamespace the member namespace of a metadata namespace (may throw for a name that
   *     maps to none)
   * @param shared the member namespace every metadata namespace maps to, or null when they map to
   *     their own
   */
  QuotaBook(UnaryOperator<String> memberNamespace, String shared) {
    this.memberNamespace = memberNamespace;
    this.shared = shared;
  }

  /** Whether any member has a quota placement accounts for. */
  boolean any() {
    return quotaCount > 0;
  }

  /** The member namespace of metadata namespace {@code ns}, or null when it maps to none. */
  String memberNamespaceOf(String ns) {
    try {
      return memberNamespace.apply(ns);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The member namespace every metadata namespace shares, or null. */
  String shared() {
    return shared;
  }

  /**
   * Replaces the quotas of {@code cluster}'s member namespace {@code ns}. Returns true when this is
   * the first quota of all: reservations are tracked only while some quota exists, so the caller
   * then hands every current reservation to {@link #inFlight}.
   */
  boolean set(String cluster, String ns, List<MemberQuota> quotas) {
    boolean first = quotaCount == 0 && !quotas.isEmpty();
    Space s = space(cluster, ns);
    quotaCount += quotas.size() - s.quotas.size();
    s.quotas = List.copyOf(quotas);
    if (quotaCount == 0) {
      spaces.clear(); // nothing to track until a quota comes again
    }
    return first;
  }

  /** Forgets every quota of {@code cluster} (it left). */
  void clear(String cluster) {
    Map<String, Space> byNs = spaces.get(cluster);
    if (byNs != null) {
      for (Space s : byNs.values()) {
        quotaCount -= s.quotas.size();
        s.quotas = List.of();
      }
    }
    if (quotaCount == 0) {
      spaces.clear();
    }
  }

  /**
   * Adds ({@code +1}) or removes ({@code -1}) an unconfirmed reservation's requests; nothing while
   * no member has a quota (the placement hot path then pays nothing for quotas).
   */
  void inFlight(Placement p, int sign) {
    if (quotaCount == 0 || p.confirmed()) {
      return;
    }
    String ns = memberNamespaceOf(p.namespace());
    if (ns == null) {
      return;
    }
    Space s = space(p.node().cluster(), ns);
    int c = p.workloadClass().ordinal();
    if (s.inFlight[c] == null) {
      s.inFlight[c] = new HashMap<>();
    }
    Map<String, Long> m = s.inFlight[c];
    m.merge(Resources.PODS, (long) sign, Long::sum);
    for (String r : p.resources().names()) {
      if (!r.equals(Resources.PODS)) {
        m.merge(r, sign * p.resources().get(r), Long::sum);
      }
    }
  }

  /**
   * Why {@code cluster}'s quotas refuse a pod of class {@code cls} requesting {@code requests} in
   * member namespace {@code ns}; null when they take it.
   */
  String refusal(String cluster, String ns, WorkloadClass cls, Resources requests) {
    Space s = find(cluster, ns);
    if (s == null) {
      return null;
    }
    for (MemberQuota q : s.quotas) {
      if (!q.classes().contains(cls)) {
        continue;
      }
      for (String r : q.hard().keySet()) {
        long want = want(r, requests);
        if (want <= 0) {
          continue;
        }
        long left = q.room(r) - inFlight(s, q, r);
        if (want > left) {
          return "member "
              + cluster
              + ": ResourceQuota "
              + q.namespace()
              + "/"
              + q.name()
              + " leaves "
              + r
              + " "
              + Quantities.format(r, Math.max(0, left))
              + " of "
              + Quantities.format(r, q.hard().get(r))
              + ", the pod requests "
              + Quantities.format(r, want);
        }
      }
    }
    return null;
  }

  /**
   * How many more pods of this shape {@code cluster}'s quotas take in {@code ns}; {@link
   * Long#MAX_VALUE} when none limits them.
   */
  long count(String cluster, String ns, WorkloadClass cls, Resources requests) {
    Space s = find(cluster, ns);
    long n = Long.MAX_VALUE;
    if (s == null) {
      return n;
    }
    for (MemberQuota q : s.quotas) {
      if (!q.classes().contains(cls)) {
        continue;
      }
      for (String r : q.hard().keySet()) {
        long want = want(r, requests);
        if (want > 0) {
          n = Math.min(n, Math.max(0, q.room(r) - inFlight(s, q, r)) / want);
        }
      }
    }
    return n;
  }

  /**
   * What {@code cluster}'s quotas leave a pod of class {@code cls} in {@code ns}, per resource they
   * limit (the tightest quota's); empty when none does.
   */
  Map<String, Long> room(String cluster, String ns, WorkloadClass cls) {
    Map<String, Long> out = new HashMap<>();
    Space s = find(cluster, ns);
    if (s == null) {
      return out;
    }
    for (MemberQuota q : s.quotas) {
      if (q.classes().contains(cls)) {
        for (String r : q.hard().keySet()) {
          out.merge(r, Math.max(0, q.room(r) - inFlight(s, q, r)), Math::min);
        }
      }
    }
    return out;
  }

  private static long want(String resource, Resources requests) {
    return resource.equals(Resources.PODS) ? 1 : requests.get(resource);
  }

  private static long inFlight(Space s, MemberQuota q, String r) {
    long sum = 0;
    for (WorkloadClass c : q.classes()) {
      Map<String, Long> m = s.inFlight[c.ordinal()];
      if (m != null) {
        sum += m.getOrDefault(r, 0L);
      }
    }
    return sum;
  }

  private Space find(String cluster, String ns) {
    Map<String, Space> byNs = spaces.get(cluster);
    return byNs == null || ns == null ? null : byNs.get(ns);
  }

  private Space space(String cluster, String ns) {
    return spaces
        .computeIfAbsent(cluster, c -> new HashMap<>())
        .computeIfAbsent(ns, n -> new Space());
  }
}
