package io.gleaner.sandbox.invariants;

import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks each {@link FederationSnapshot} against every {@link Invariant}. Pure but stateful: it
 * remembers since when each condition has held, reports a condition once it has outlasted its
 * grace, and each distinct violation (kind and subject) only once. Not thread-safe: one caller.
 */
public final class InvariantChecker {
  /** A violation: its kind, what it is about, and the evidence. */
  public record Violation(Invariant kind, String subject, String evidence) {}

  /**
   * The longest virtual-kubelet failover whose lags are excused: a standby leads once the dead
   * leader's ZooKeeper session has expired, one session timeout (the chart's 15 s {@code
   * leaderElection.leaseDuration}) after its last heartbeat, plus its takeover (13.2 to 16.8 s
   * measured at load averages up to 57). Twice the session timeout; a virtual node without a leader
   * for longer is no failover Gleaner promises, and its lags count again from then.
   */
  public static final Duration LONGEST_FAILOVER = Duration.ofSeconds(30);

  /** When each condition holding began its grace (again, after a look that excused it). */
  private final Map<String, Instant> since = new HashMap<>();

  /** When each condition holding was first seen, whatever excused it since. */
  private final Map<String, Instant> firstSeen = new HashMap<>();

  /** The first look of the failover under way (no virtual-kubelet leads, quorum held), or null. */
  private Instant failoverSince;

  private final Set<String> reported = new HashSet<>();
  private final EnumMap<Invariant, Long> counts = new EnumMap<>(Invariant.class);
  private final List<Counted> counted = new ArrayList<>();
  private final Set<String> gangsRunWhole = new HashSet<>();
  private final Map<String, StatusPair> statusPairs = new HashMap<>();

  /** How long each condition held this look was proven to last, for those judged by proof. */
  private final Map<String, Duration> proven = new HashMap<>();

  public InvariantChecker() {
    for (Invariant i : Invariant.values()) {
      counts.put(i, 0L);
    }
  }

  /**
   * Who may act at a look: whether ZooKeeper has a quorum (without it no replica holds a lease) and
   * whether a virtual-kubelet replica leads (acts under a valid lease): the replica that clears the
   * lags of {@link Invariant#clearedByActing()}.
   */
  public record Acting(boolean quorum, boolean virtualKubeletLeads) {
    /** Everything may act. */
    public static final Acting ALL = new Acting(true, true);

    /** Why Gleaner cannot clear those lags now, or null when it can. */
    public String cannot() {
      if (!quorum) {
        return "ZooKeeper has no quorum";
      }
      return virtualKubeletLeads ? null : "no virtual-kubelet replica leads";
    }
  }

  /** Violations found in {@code o} at real time {@code now} that were not reported before. */
  public List<Violation> check(FederationSnapshot o, Instant now) {
    return check(o, now, Acting.ALL);
  }

  /**
   * As {@link #check(FederationSnapshot, Instant)}, told who may act at this look. While nothing
   * may clear the lags of {@link Invariant#clearedByActing()}, their graces start again at each
   * look, so they run from when something may: while ZooKeeper has no quorum, and while no
   * virtual-kubelet replica leads, for at most {@link #LONGEST_FAILOVER} from the first look
   * without one. A violation is still charged to when its condition was first seen.
   */
  public List<Violation> check(FederationSnapshot o, Instant now, Acting acting) {
    boolean excused = lagsExcused(acting, now);
    Map<String, Violation> holding = new TreeMap<>();
    proven.clear();
    duplicates(o, holding);
    overcommits(o, holding);
    leaks(o, holding);
    statuses(o, now, !excused, holding);
    gangs(o, holding);
    since.keySet().retainAll(holding.keySet());
    firstSeen.keySet().retainAll(holding.keySet());
    List<Violation> out = new ArrayList<>();
    for (Map.Entry<String, Violation> e : holding.entrySet()) {
      Violation v = e.getValue();
      Instant seen = firstSeen.computeIfAbsent(e.getKey(), k -> now);
      if (excused && v.kind().clearedByActing()) {
        since.put(e.getKey(), now);
      }
      Instant first = since.computeIfAbsent(e.getKey(), k -> now);
      Duration held = proven.getOrDefault(e.getKey(), Duration.between(first, now));
      if (held.compareTo(v.kind().grace()) >= 0 && reported.add(e.getKey())) {
        counts.merge(v.kind(), 1L, Long::sum);
        counted.add(new Counted(v.kind(), seen));
        out.add(v);
      }
    }
    return out;
  }

  /**
   * Whether this look excuses the lags only acting clears: ZooKeeper has no quorum, or no
   * virtual-kubelet replica leads and the failover began (its first look) at most {@link
   * #LONGEST_FAILOVER} ago.
   */
  private boolean lagsExcused(Acting acting, Instant now) {
    if (!acting.quorum() || acting.virtualKubeletLeads()) {
      failoverSince = null; // without quorum no replica may lead: no failover is under way
      return !acting.quorum();
    }
    if (failoverSince == null) {
      failoverSince = now;
    }
    return Duration.between(failoverSince, now).compareTo(LONGEST_FAILOVER) <= 0;
  }

  /**
   * Counts violations found at real time {@code now} by a rule that judges events rather than
   * snapshots (no grace: each is one already); returns those not reported before (same kind and
   * subject).
   */
  public List<Violation> report(List<Violation> found, Instant now) {
    List<Violation> out = new ArrayList<>();
    for (Violation v : found) {
      if (reported.add(v.kind() + " " + v.subject())) {
        counts.merge(v.kind(), 1L, Long::sum);
        counted.add(new Counted(v.kind(), now));
        out.add(v);
      }
    }
    return out;
  }

  /** Conditions holding at the last look, reported or not (within their grace or beyond). */
  public int holding() {
    return since.size();
  }

  /** Violations reported so far, by kind (every kind present, zeros included). */
  public Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k.key(), v));
    return out;
  }

  /**
   * Violations reported so far whose condition was first seen at or after {@code from} and before
   * {@code to} (null: no end), by kind (every kind present, zeros included): what a window of the
   * run, such as one fault's, is charged with. A condition first seen in one window and reported in
   * a later one, once it outlasted its grace, belongs to the first. First seen is the end of the
   * look that first found it holding (a grace-less rule's: when it was judged), so a condition that
   * began just before a window's start may be charged to that window, never to an earlier one.
   */
  public Map<String, Long> countsFirstSeen(Instant from, Instant to) {
    Map<String, Long> out = new TreeMap<>();
    for (Invariant i : Invariant.values()) {
      out.put(i.key(), 0L);
    }
    for (Counted c : counted) {
      if (!c.firstSeen().isBefore(from) && (to == null || c.firstSeen().isBefore(to))) {
        out.merge(c.kind().key(), 1L, Long::sum);
      }
    }
    return out;
  }

  public long total() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  /** A violation counted: its kind and when its condition was first seen holding. */
  private record Counted(Invariant kind, Instant firstSeen) {}

  /** Records a condition holding in this look; returns its key. */
  private static String hold(
      Map<String, Violation> holding, Invariant kind, String subject, String ev) {
    String key = kind + " " + subject;
    holding.put(key, new Violation(kind, subject, ev));
    return key;
  }

  private static void duplicates(FederationSnapshot o, Map<String, Violation> holding) {
    Map<String, Set<String>> clusters = new HashMap<>();
    Map<String, List<String>> pods = new HashMap<>();
    for (FederationSnapshot.MemberPod p : o.memberPods()) {
      if (p.terminating() || p.metaUid() == null) {
        continue;
      }
      clusters.computeIfAbsent(p.metaUid(), k -> new TreeSet<>()).add(p.cluster());
      pods.computeIfAbsent(p.metaUid(), k -> new ArrayList<>()).add(p.cluster() + ":" + p.key());
    }
    clusters.forEach(
        (uid, cs) -> {
          if (cs.size() > 1) {
            hold(holding, Invariant.DUPLICATE_MEMBER_POD, uid, "member pods " + pods.get(uid));
          }
        });
  }

  private static void overcommits(FederationSnapshot o, Map<String, Violation> holding) {
    Map<String, Resources> inflight = new HashMap<>();
    Map<String, List<String>> inflightPods = new HashMap<>();
    for (FederationSnapshot.Reservation r : o.placements().values()) {
      FederationSnapshot.Node n = o.nodes().get(r.node());
      if (n == null || n.gleanerPodUids().contains(r.podUid())) {
        continue; // the pod is on the node: its requests are counted there
      }
      if (!forLivePod(o, r)) {
        // a leftover of a pod gone, finished or reclaimed: no pod will ever come for it, so no
        // kubelet would count its room; LEAKED_RESERVATION's business
        continue;
      }
      if (!r.heldThroughLook()) {
        // reserved or given back while the pods were read: those pods are of another moment
        continue;
      }
      inflight.merge(r.node(), r.reserved(), Resources::plus);
      inflightPods.computeIfAbsent(r.node(), k -> new ArrayList<>()).add(inflight(o, r));
    }
    o.nodes()
        .forEach(
            (key, n) -> {
              Resources total = n.occupied().plus(inflight.getOrDefault(key, Resources.ZERO));
              Resources over = total.minus(n.allocatable()).clampAtZero();
              if (!over.isZero()) {
                hold(
                    holding,
                    Invariant.NODE_OVERCOMMITTED,
                    key,
                    "allocatable "
                        + n.allocatable().toStrings()
                        + ", pods on it "
                        + n.occupied().toStrings()
                        + ", reserved for pods not there yet "
                        + inflightPods.getOrDefault(key, List.of())
                        + ", over by "
                        + over.toStrings()
                        + (o.simulatedNow() == null ? "" : ", looked at " + o.simulatedNow()));
              }
            });
  }

  /**
   * A reservation of a pod not on its node, as evidence: the pod, when it was reserved, and where
   * its member pod stands (none yet, unbound, refused by the member, or elsewhere).
   */
  private static String inflight(FederationSnapshot o, FederationSnapshot.Reservation r) {
    StringBuilder b = new StringBuilder(r.podUid());
    FederationSnapshot.MetaPod m = o.metaPods().get(r.podUid());
    b.append(" (").append(m.key()).append(' ').append(m.phase());
    b.append(", ").append(r.reserved().toStrings());
    b.append(r.confirmed() ? ", confirmed" : ", unconfirmed");
    if (r.reservedAt() != null && o.simulatedNow() != null) {
      b.append(", reserved at ").append(r.reservedAt());
    }
    List<String> members = new ArrayList<>();
    for (FederationSnapshot.MemberPod p : o.memberPods()) {
      if (r.podUid().equals(p.metaUid())) {
        members.add(
            p.cluster()
                + ":"
                + p.key()
                + " "
                + p.phase()
                + (p.node() == null ? " unbound" : " on " + p.node())
                + (p.terminating() ? " terminating" : "")
                + (p.refused() == null ? "" : " refused: " + p.refused()));
      }
    }
    b.append(members.isEmpty() ? ", no member pod" : ", member pod " + members);
    return b.append(')').toString();
  }

  /**
   * Whether a reservation is for a pod that runs or may still come: its metadata pod exists and is
   * not finished ({@code Succeeded} or {@code Failed}, as a reclaimed pod ends).
   */
  private static boolean forLivePod(FederationSnapshot o, FederationSnapshot.Reservation r) {
    FederationSnapshot.MetaPod m = o.metaPods().get(r.podUid());
    return m != null && !terminal(m.phase());
  }

  private static boolean terminal(String phase) {
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  private static void leaks(FederationSnapshot o, Map<String, Violation> holding) {
    Set<String> withMemberPod = new HashSet<>();
    Set<String> liveMemberPod = new HashSet<>();
    for (FederationSnapshot.MemberPod p : o.memberPods()) {
      if (p.metaUid() != null) {
        withMemberPod.add(p.metaUid());
        if (!p.terminating() && !terminal(p.phase())) {
          liveMemberPod.add(p.metaUid());
        }
      }
    }
    for (FederationSnapshot.Reservation r : o.placements().values()) {
      FederationSnapshot.MetaPod m = o.metaPods().get(r.podUid());
      if (m == null && !withMemberPod.contains(r.podUid())) {
        hold(
            holding,
            Invariant.LEAKED_RESERVATION,
            r.podUid(),
            "reservation on " + r.node() + " of " + r.reserved().toStrings() + ", pod gone");
      } else if (m != null && terminal(m.phase()) && !liveMemberPod.contains(r.podUid())) {
        hold(
            holding,
            Invariant.LEAKED_RESERVATION,
            r.podUid(),
            "reservation on "
                + r.node()
                + " of "
                + r.reserved().toStrings()
                + ", pod "
                + m.key()
                + " "
                + m.phase()
                + " with no live member pod");
      }
    }
    for (FederationSnapshot.MemberPod p : o.memberPods()) {
      boolean live = !p.terminating() && !terminal(p.phase());
      if (live && p.metaUid() != null && !o.placements().containsKey(p.metaUid())) {
        hold(
            holding,
            Invariant.UNRESERVED_MEMBER_POD,
            p.cluster() + ":" + p.key(),
            "member pod "
                + p.key()
                + " in "
                + p.cluster()
                + " ("
                + p.phase()
                + ") has no reservation");
      }
    }
  }

  /**
   * Gangs placed through the virtual node (member pods with a gang id) seen at some look with at
   * least their minMember pods running or succeeded, some running: gangs that ran whole.
   */
  public long gangsRunWhole() {
    return gangsRunWhole.size();
  }

  /**
   * Gangs, federation-wide (every member's pods of one gang id together): a gang with pods running
   * and fewer than its minMember running or succeeded runs in part.
   */
  private void gangs(FederationSnapshot o, Map<String, Violation> holding) {
    Map<String, List<FederationSnapshot.MemberPod>> byGang = new TreeMap<>();
    for (FederationSnapshot.MemberPod p : o.memberPods()) {
      if (p.gang() != null) {
        byGang.computeIfAbsent(p.gang(), k -> new ArrayList<>()).add(p);
      }
    }
    byGang.forEach(
        (gang, pods) -> {
          int min =
              pods.stream().mapToInt(FederationSnapshot.MemberPod::gangMinMember).max().orElse(0);
          long running = pods.stream().filter(FederationSnapshot.MemberPod::running).count();
          long succeeded = pods.stream().filter(p -> "Succeeded".equals(p.phase())).count();
          if (min > 0 && running > 0 && running + succeeded >= min) {
            gangsRunWhole.add(gang);
          }
          if (running > 0 && running + succeeded < min) {
            hold(
                holding,
                Invariant.PARTIAL_GANG,
                gang,
                running
                    + " of the gang's minMember "
                    + min
                    + " pods run ("
                    + succeeded
                    + " succeeded); its member pods "
                    + pods.stream()
                        .map(
                            p ->
                                p.cluster()
                                    + ":"
                                    + p.key()
                                    + " "
                                    + p.phase()
                                    + (p.terminating() ? " terminating" : ""))
                        .toList());
          }
        });
  }

  /**
   * A metadata pod's phase against each of its member pods', judged by when each side was read, not
   * by when the look ended: under load one look takes half a minute, so a metadata pod listed at
   * its start and a member pod listed at its end are of two moments, and a pod moving on (Pending,
   * Running, Succeeded) shows them differ at every look though the mirror lags by a second.
   *
   * <p>Phases only move forward, so a side read in one phase at two reads held it all between them.
   * For each side this keeps the first read that saw its current phase (the phase held from when
   * that read's answer came at the latest) and the latest read (the phase held until that read was
   * sent at the earliest). The disagreement is proven to have lasted from the later of the two
   * first reads to the earlier of the two latest: it counts once that span reaches the grace, so it
   * must show in consecutive looks with the same phases, and in the latest look both reads postdate
   * its start by the grace. A side whose phase changes starts again. While no virtual-kubelet may
   * act ({@code acting} false: no quorum, or a failover) both sides start again at each look (see
   * {@link Invariant#clearedByActing()}). Untimed reads count as made at {@code now}.
   */
  private void statuses(
      FederationSnapshot o, Instant now, boolean acting, Map<String, Violation> holding) {
    Map<String, StatusPair> seen = new HashMap<>();
    FederationSnapshot.Read untimed = new FederationSnapshot.Read(now, now);
    FederationSnapshot.Read metaRead = o.metaRead() == null ? untimed : o.metaRead();
    for (FederationSnapshot.MemberPod p : o.memberPods()) {
      FederationSnapshot.MetaPod m = p.metaUid() == null ? null : o.metaPods().get(p.metaUid());
      if (m == null || p.terminating()) {
        continue;
      }
      String pairKey = m.uid() + " " + p.cluster() + ":" + p.key();
      StatusPair before = acting ? statusPairs.get(pairKey) : null;
      StatusPair pair =
          new StatusPair(
              Side.next(before == null ? null : before.meta(), m.phase(), metaRead),
              Side.next(
                  before == null ? null : before.member(),
                  p.phase(),
                  o.memberReads().getOrDefault(p.cluster(), untimed)));
      seen.put(pairKey, pair);
      if (!m.phase().equals(p.phase())) {
        String key =
            hold(
                holding,
                Invariant.STATUS_DISAGREEMENT,
                m.uid(),
                "metadata pod "
                    + m.key()
                    + " is "
                    + m.phase()
                    + ", member pod "
                    + p.cluster()
                    + ":"
                    + p.key()
                    + " is "
                    + p.phase()
                    + ", for at least "
                    + Math.max(0, pair.held().toSeconds())
                    + " s (metadata pod seen so since "
                    + pair.meta().firstSeen()
                    + ", member pod since "
                    + pair.member().firstSeen()
                    + ")");
        proven.merge(key, pair.held(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
      }
    }
    statusPairs.clear();
    statusPairs.putAll(seen);
  }

  /**
   * One side of a status comparison: its phase, from when it held that phase at the latest (the
   * answer of the first read that saw it) and until when at the earliest (the latest read sent).
   */
  private record Side(String phase, Instant firstSeen, Instant lastSeen) {
    static Side next(Side before, String phase, FederationSnapshot.Read read) {
      return before != null && before.phase().equals(phase)
          ? new Side(phase, before.firstSeen(), read.sent())
          : new Side(phase, read.received(), read.sent());
    }
  }

  /** A metadata pod's side and one of its member pods' side. */
  private record StatusPair(Side meta, Side member) {
    /** How long both sides are proven to have held their phases together (negative: not). */
    Duration held() {
      Instant from = max(meta.firstSeen(), member.firstSeen());
      Instant to =
          meta.lastSeen().isBefore(member.lastSeen()) ? meta.lastSeen() : member.lastSeen();
      return Duration.between(from, to);
    }

    private static Instant max(Instant a, Instant b) {
      return a.isAfter(b) ? a : b;
    }
  }
}
