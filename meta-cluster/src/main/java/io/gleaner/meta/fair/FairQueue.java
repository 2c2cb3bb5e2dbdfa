package io.gleaner.meta.fair;

import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One round of fair placement: the order in which pods waiting for harvested room are tried.
 *
 * <p>Weighted Dominant Resource Fairness (Ghodsi et al., NSDI 2011; the order Kueue's fair sharing
 * follows between ClusterQueues): each team's dominant share is the largest fraction it holds of
 * the pool's cpu, memory or GPUs ({@link Shares#dominant}), divided by its weight. {@link #next()}
 * offers the next pod of
 *
 * <ol>
 *   <li>a team under its guarantee for a resource the pod asks for, before any other;
 *   <li>then the team with the lowest weighted dominant share;
 *   <li>ties: near-line before offline, then the oldest pod, then the team's name.
 * </ol>
 *
 * Within a team, near-line goes before offline, then the oldest first ({@link
 * Candidate#TEAM_ORDER}). A pod that would take its team over its cap is set aside for the round.
 * The caller tries the offered pod and reports {@link #placed} (the team's usage grows by its
 * request) or {@link #passed} (no member node has room for it now; the team's next pod comes up),
 * so a team whose oldest pod does not fit anywhere does not block room another pod could use.
 *
 * <p>Not thread-safe: one round, one thread. {@link #next()} costs O(teams); building costs O(pods
 * log pods).
 */
public final class FairQueue {
  private final Resources pool;
  private final Lane[] lanes;
  private final Map<String, Lane> byTeam = new HashMap<>();
  private Candidate offered;
  private Lane offeredLane;

  /** The waiting pods of one team, in team order, and what the team holds. */
  private static final class Lane {
    final Team team;
    final List<Candidate> pods;
    final List<Candidate> passed = new ArrayList<>();
    final List<Candidate> capped = new ArrayList<>();
    int next;
    Resources usage;
    double weightedShare;

    Lane(Team team, Resources usage, List<Candidate> pods, Resources pool) {
      this.team = team;
      this.pods = pods;
      this.usage = usage;
      this.weightedShare = Shares.dominant(usage, pool) / team.weight();
    }

    Candidate head() {
      return next < pods.size() ? pods.get(next) : null;
    }
  }

  /**
   * @param pool the harvested capacity the teams share (what the virtual node offers in all)
   * @param teams the policy's teams; each candidate's namespace decides its team
   * @param usage what each team (by name) holds now; a team absent holds nothing
   * @param waiting the pods waiting for room
   */
  public FairQueue(
      Resources pool, Teams teams, Map<String, Resources> usage, Collection<Candidate> waiting) {
    this.pool = pool;
    Map<String, List<Candidate>> byName = new LinkedHashMap<>();
    for (Team t : teams.all()) {
      byName.put(t.name(), new ArrayList<>());
    }
    for (Candidate c : waiting) {
      byName.get(teams.of(c.namespace()).name()).add(c);
    }
    List<Lane> list = new ArrayList<>();
    for (Team t : teams.all()) {
      List<Candidate> pods = byName.get(t.name());
      pods.sort(Candidate.TEAM_ORDER);
      Lane lane = new Lane(t, usage.getOrDefault(t.name(), Resources.ZERO), pods, pool);
      list.add(lane);
      byTeam.put(t.name(), lane);
    }
    this.lanes = list.toArray(new Lane[0]);
  }

  /** The next pod to try, or empty when every pod was placed, passed or set aside at its cap. */
  public Optional<Candidate> next() {
    if (offered != null) {
      throw new IllegalStateException(
          "report placed() or passed() for " + offered.id() + " before asking for the next pod");
    }
    Lane best = null;
    boolean bestBelow = false;
    for (Lane lane : lanes) {
      Candidate head = lane.head();
      while (head != null && !lane.team.overCap(lane.usage.plus(head.request())).isEmpty()) {
        lane.capped.add(head);
        lane.next++;
        head = lane.head();
      }
      if (head == null) {
        continue;
      }
      boolean below = lane.team.belowGuarantee(lane.usage, head.request());
      if (best == null || before(lane, below, best, bestBelow)) {
        best = lane;
        bestBelow = below;
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    offered = best.head();
    offeredLane = best;
    return Optional.of(offered);
  }

  private static boolean before(Lane a, boolean aBelow, Lane b, boolean bBelow) {
    return rankedBefore(a, a.head(), aBelow, b, b.head(), bBelow);
  }

  /** The offered pod was placed: its team now holds its request too. */
  public void placed(Candidate c) {
    Lane lane = take(c);
    lane.usage = lane.usage.plus(c.request());
    lane.weightedShare = Shares.dominant(lane.usage, pool) / lane.team.weight();
  }

  /** The offered pod found no room now; it keeps waiting, and its team's next pod comes up. */
  public void passed(Candidate c) {
    take(c).passed.add(c);
  }

  private Lane take(Candidate c) {
    if (offered == null || !offered.id().equals(c.id())) {
      throw new IllegalStateException(
          c.id() + " was not offered" + (offered == null ? "" : "; " + offered.id() + " was"));
    }
    Lane lane = offeredLane;
    lane.next++;
    offered = null;
    offeredLane = null;
    return lane;
  }

  /** What team {@code name} holds now, with the pods placed in this round. */
  public Resources usage(String team) {
    Lane lane = byTeam.get(team);
    return lane == null ? Resources.ZERO : lane.usage;
  }

  /**
   * Why each pod that is still waiting waits, by candidate id: its team's cap, or other teams that
   * go first when room frees. A pod whose team is first in line is absent: it waits only for room.
   */
  public Map<String, Wait> waits() {
    Map<String, Candidate> firsts = new HashMap<>();
    Map<String, Boolean> below = new HashMap<>();
    for (Lane lane : lanes) {
      Candidate first = firstWaiting(lane);
      if (first != null) {
        firsts.put(lane.team.name(), first);
        below.put(lane.team.name(), lane.team.belowGuarantee(lane.usage, first.request()));
      }
    }
    Map<String, Wait> out = new LinkedHashMap<>();
    for (Lane lane : lanes) {
      List<String> ahead = new ArrayList<>();
      Candidate mine = firsts.get(lane.team.name());
      if (mine != null) {
        List<Lane> aheadLanes = new ArrayList<>();
        for (Lane other : lanes) {
          Candidate theirs = firsts.get(other.team.name());
          if (other != lane
              && theirs != null
              && rankedBefore(
                  other,
                  theirs,
                  below.get(other.team.name()),
                  lane,
                  mine,
                  below.get(lane.team.name()))) {
            aheadLanes.add(other);
          }
        }
        aheadLanes.sort(
            (x, y) ->
                rankedBefore(
                        x,
                        firsts.get(x.team.name()),
                        below.get(x.team.name()),
                        y,
                        firsts.get(y.team.name()),
                        below.get(y.team.name()))
                    ? -1
                    : 1);
        for (Lane l : aheadLanes) {
          ahead.add(l.team.name());
        }
        if (!ahead.isEmpty()) {
          String message = turnMessage(lane, aheadLanes, below);
          Wait w = new Wait.TeamTurn(lane.team.name(), List.copyOf(ahead), message);
          for (Candidate c : waiting(lane)) {
            if (lane.team.overCap(lane.usage.plus(c.request())).isEmpty()) {
              out.put(c.id(), w);
            }
          }
        }
      }
      for (Candidate c : waiting(lane)) {
        Set<String> over = lane.team.overCap(lane.usage.plus(c.request()));
        if (!over.isEmpty()) {
          out.put(c.id(), new Wait.AtCap(lane.team.name(), over, capMessage(lane, c, over)));
        }
      }
    }
    return out;
  }

  private static boolean rankedBefore(
      Lane a, Candidate ha, boolean aBelow, Lane b, Candidate hb, boolean bBelow) {
    if (aBelow != bBelow) {
      return aBelow;
    }
    int c = Double.compare(a.weightedShare, b.weightedShare);
    if (c != 0) {
      return c < 0;
    }
    if (ha.nearLine() != hb.nearLine()) {
      return ha.nearLine();
    }
    c = ha.since().compareTo(hb.since());
    if (c != 0) {
      return c < 0;
    }
    return a.team.name().compareTo(b.team.name()) < 0;
  }

  /** The team's pods still waiting: passed, set aside at the cap, or not yet offered. */
  private static List<Candidate> waiting(Lane lane) {
    List<Candidate> all = new ArrayList<>(lane.passed);
    all.addAll(lane.capped);
    all.addAll(lane.pods.subList(lane.next, lane.pods.size()));
    return all;
  }

  /** The team's first waiting pod in team order that its cap does not hold back. */
  private static Candidate firstWaiting(Lane lane) {
    Candidate first = null;
    for (Candidate c : waiting(lane)) {
      if (lane.team.overCap(lane.usage.plus(c.request())).isEmpty()
          && (first == null || Candidate.TEAM_ORDER.compare(c, first) < 0)) {
        first = c;
      }
    }
    return first;
  }

  private String turnMessage(Lane lane, List<Lane> ahead, Map<String, Boolean> below) {
    StringBuilder b = new StringBuilder("harvested room goes first to team");
    b.append(ahead.size() == 1 ? " " : "s ");
    for (int i = 0; i < ahead.size(); i++) {
      Lane l = ahead.get(i);
      b.append(i == 0 ? "" : ", ").append(l.team.name());
      b.append(
          below.get(l.team.name())
              ? " (under its guarantee)"
              : " (weighted share " + share(l.weightedShare) + ")");
    }
    b.append("; team ")
        .append(lane.team.name())
        .append(" holds weighted share ")
        .append(share(lane.weightedShare))
        .append(" (weight ")
        .append(share(lane.team.weight()))
        .append(")");
    return b.toString();
  }

  private static String capMessage(Lane lane, Candidate c, Set<String> over) {
    StringBuilder b = new StringBuilder("team ").append(lane.team.name()).append(" is at its cap:");
    String sep = " ";
    for (String r : over) {
      b.append(sep)
          .append(r)
          .append(" held ")
          .append(Quantities.format(r, lane.usage.get(r)))
          .append(" + requested ")
          .append(Quantities.format(r, c.request().get(r)))
          .append(" > cap ")
          .append(Quantities.format(r, lane.team.cap().get(r)));
      sep = ", ";
    }
    return b.toString();
  }

  private static String share(double d) {
    return String.format(Locale.ROOT, "%.3f", d).replaceAll("\\.?0+$", "");
  }
}
