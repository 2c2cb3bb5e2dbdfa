package io.gleaner.meta.fair;

import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reclaim for a guarantee, as Kueue reclaims quota lent within a cohort: a team that holds less
 * than its guarantee and has pods waiting for the virtual node is <em>owed</em> what it lacks of
 * its guarantee (per guaranteed resource, at most what its waiting pods ask for), and when the room
 * left in the pool does not cover what the owed teams lack, pods of the teams furthest above their
 * fair share are evicted, just enough to free the rest. The room left is counted node by node in
 * whole pods of the owed teams' mean pending shape: fragments none of their pods fits are no room;
 * a victim frees the whole pods of that shape its node gains.
 *
 * <p>Rules: a team is owed only while its dominant share is below its fair share ({@link
 * FairShares}, which counts its guarantee as far as it asks for it), so guarantees that together
 * exceed a shrunken pool take nothing beyond the fair shares; victims come only from teams that are
 * not owed, stand above their fair share before each victim (re-ranked after every victim: the
 * furthest above first, class order {@link Running#CLASS_ORDER} within a team), and keep at least
 * their own guarantee; a victim must free some resource still needed; a team that waits for nothing
 * is owed nothing. Gangs are the caller's: it passes a gang as one {@link Running} with the sum of
 * its pods' requests. Pure and deterministic.
 */
public final class GuaranteeReclaim {
  /** Shares closer than this count as equal, so float noise never makes a victim. */
  static final double EQUAL = 1e-9;

  private GuaranteeReclaim() {}

  /**
   * A team owed room.
   *
   * @param team the team's name
   * @param amount what it lacks of its guarantee and waits for, per guaranteed resource
   */
  public record Owed(String team, Resources amount) {
    public Owed {
      Objects.requireNonNull(team, "team");
      Objects.requireNonNull(amount, "amount");
    }
  }

  /**
   * What to do.
   *
   * @param owed the teams owed room, in the order of {@link Teams#all()}
   * @param needed what must be freed: what the owed teams lack beyond the room left
   * @param victims the pods to evict, in order
   * @param unmet what stays needed after the victims: no team above its fair share has more of it
   *     to give
   */
  public record Decision(
      List<Owed> owed, Resources needed, List<Running> victims, Resources unmet) {
    public static final Decision NONE =
        new Decision(List.of(), Resources.ZERO, List.of(), Resources.ZERO);

    public Decision {
      owed = List.copyOf(owed);
      victims = List.copyOf(victims);
    }
  }

  /**
   * @param pool the harvested capacity the teams share, as far as pods may take it (for the virtual
   *     node: what it advertises, the reserve margins kept free)
   * @param teams the policy's teams; each pod's namespace decides its team
   * @param usage what each team (by name) holds, the {@code running} pods included; absent: nothing
   * @param waiting the sum of the requests of each team's pods waiting for the virtual node; absent
   *     or zero: none wait
   * @param pending how many pods each team has waiting (their mean size is the shape the room is
   *     counted in); absent: one
   * @param free the room left on each node (by name) now; it counts only in whole pods of the owed
   *     teams' mean pending shape ({@link #roomFor}), so fragments no such pod fits are no room,
   *     and at most the pool less what the teams hold
   * @param nodeOf the node (a key of {@code free}) of each running pod, by id: a victim there frees
   *     the whole pods of that shape its node gains; a pod absent (a gang across nodes) frees its
   *     request. Where no victim gains a whole pod, victims free their requests, so a team is never
   *     stuck owed
   * @param running the pods that may be evicted
   */
  public static Decision decide(
      Resources pool,
      Teams teams,
      Map<String, Resources> usage,
      Map<String, Resources> waiting,
      Map<String, Long> pending,
      Map<String, Resources> free,
      Map<String, String> nodeOf,
      Collection<Running> running) {
    Map<String, FairShares.Share> shares = FairShares.compute(pool, teams, usage, waiting);
    List<Owed> owed = new ArrayList<>();
    Resources lacking = Resources.ZERO;
    Resources held = Resources.ZERO;
    for (Team t : teams.all()) {
      Resources u = usage.getOrDefault(t.name(), Resources.ZERO);
      held = held.plus(u);
      Resources w = waiting.getOrDefault(t.name(), Resources.ZERO);
      FairShares.Share s = shares.get(t.name());
      if (w.isZero() || s.actual() >= s.fair() - EQUAL) {
        continue;
      }
      Resources lacks = Resources.ZERO;
      for (String r : t.guarantee().names()) {
        long gap = Math.min(t.guarantee().get(r) - u.get(r), w.get(r));
        if (gap > 0) {
          lacks = lacks.with(r, gap);
        }
      }
      if (!lacks.isZero()) {
        owed.add(new Owed(t.name(), lacks));
        lacking = lacking.plus(lacks);
      }
    }
    if (owed.isEmpty()) {
      return Decision.NONE;
    }
    Resources shapes = Resources.ZERO;
    long pods = 0;
    for (Owed o : owed) {
      shapes = shapes.plus(waiting.get(o.team()));
      pods += Math.max(1, pending.getOrDefault(o.team(), 1L));
    }
    Resources shape = shapes.scale(1, pods);
    Resources room = roomFor(free.values(), shape).min(pool.minus(held).clampAtZero());
    Resources needed = Resources.ZERO;
    for (String r : lacking.names()) {
      long n = lacking.get(r) - room.get(r);
      if (n > 0) {
        needed = needed.with(r, n);
      }
    }
    if (needed.isZero()) {
      return new Decision(owed, needed, List.of(), Resources.ZERO);
    }
    Map<String, Double> fair = new HashMap<>();
    shares.forEach((k, v) -> fair.put(k, v.fair()));
    List<Running> victims = new ArrayList<>();
    Resources unmet =
        victims(pool, teams, usage, fair, owed, needed, shape, free, nodeOf, running, victims);
    return new Decision(owed, needed, victims, unmet);
  }

  /** Adds the victims to {@code out}; returns what stays needed. */
  private static Resources victims(
      Resources pool,
      Teams teams,
      Map<String, Resources> usage0,
      Map<String, Double> fair,
      List<Owed> owed,
      Resources needed,
      Resources shape,
      Map<String, Resources> free0,
      Map<String, String> nodeOf,
      Collection<Running> running,
      List<Running> out) {
    Map<String, List<Running>> byTeam = new LinkedHashMap<>();
    for (Running r : running) {
      byTeam.computeIfAbsent(teams.of(r.namespace()).name(), k -> new ArrayList<>()).add(r);
    }
    for (Owed o : owed) {
      byTeam.remove(o.team());
    }
    byTeam.values().forEach(l -> l.sort(Running.CLASS_ORDER));
    Map<String, Resources> usage = new HashMap<>(usage0);
    Map<String, Resources> free = new HashMap<>(free0);
    Resources need = needed;
    boolean byNode = true;
    while (!need.isZero()) {
      String bestTeam = null;
      Running bestPod = null;
      Resources bestGain = null;
      double bestExcess = 0;
      for (Map.Entry<String, List<Running>> e : byTeam.entrySet()) {
        String name = e.getKey();
        Resources u = usage.getOrDefault(name, Resources.ZERO);
        double excess = Shares.dominant(u, pool) - fair.getOrDefault(name, 0.0);
        if (excess <= EQUAL) {
          continue;
        }
        Running pick = null;
        Resources gain = null;
        for (Running r : e.getValue()) {
          Resources g = byNode ? gain(r, free, nodeOf, shape) : r.request();
          if (useful(g, need) && keepsGuarantee(teams.named(name), u, r.request())) {
            pick = r;
            gain = g;
            break;
          }
        }
        if (pick == null) {
          continue;
        }
        if (bestTeam == null
            || excess > bestExcess + EQUAL
            || (Math.abs(excess - bestExcess) <= EQUAL
                && Running.CLASS_ORDER.compare(pick, bestPod) < 0)) {
          bestTeam = name;
          bestPod = pick;
          bestGain = gain;
          bestExcess = excess;
        }
      }
      if (bestTeam == null) {
        if (byNode) {
          byNode = false; // no victim frees a whole pending pod on its node: count requests
          continue;
        }
        break;
      }
      out.add(bestPod);
      byTeam.get(bestTeam).remove(bestPod);
      usage.put(
          bestTeam,
          usage.getOrDefault(bestTeam, Resources.ZERO).minus(bestPod.request()).clampAtZero());
      String node = nodeOf.get(bestPod.id());
      if (node != null && free.containsKey(node)) {
        free.put(node, free.get(node).plus(bestPod.request()));
      }
      need = freeing(need, bestGain);
    }
    return need;
  }

  /**
   * What evicting {@code r} frees for pods of {@code shape}: the whole pods its node gains, or its
   * request where its node is not known.
   */
  private static Resources gain(
      Running r, Map<String, Resources> free, Map<String, String> nodeOf, Resources shape) {
    String node = nodeOf.get(r.id());
    Resources f = node == null ? null : free.get(node);
    if (f == null) {
      return r.request();
    }
    return roomFor(List.of(f.plus(r.request())), shape).minus(roomFor(List.of(f), shape));
  }

  /**
   * The room pods of {@code shape} can take on nodes with {@code free} room each: per node, as many
   * whole pods of that shape as fit (a fragment smaller than the shape is no room for it), in the
   * resources whose shares count ({@link Team#RESOURCES}).
   */
  public static Resources roomFor(Collection<Resources> free, Resources shape) {
    Resources room = Resources.ZERO;
    for (Resources f : free) {
      long fit = Long.MAX_VALUE;
      for (String r : shape.names()) {
        if (Team.RESOURCES.contains(r) && shape.get(r) > 0) {
          fit = Math.min(fit, Math.max(0, f.get(r)) / shape.get(r));
        }
      }
      if (fit != Long.MAX_VALUE && fit > 0) {
        room = room.plus(shape.scale(fit, 1));
      }
    }
    return room;
  }

  /** Whether {@code request} frees some resource still needed. */
  private static boolean useful(Resources request, Resources need) {
    for (String r : need.names()) {
      if (request.get(r) > 0) {
        return true;
      }
    }
    return false;
  }

  /** Whether the team keeps at least its guarantee of every resource once {@code request} goes. */
  private static boolean keepsGuarantee(Team team, Resources usage, Resources request) {
    for (String r : team.guarantee().names()) {
      if (request.get(r) > 0 && usage.get(r) - request.get(r) < team.guarantee().get(r)) {
        return false;
      }
    }
    return true;
  }

  /** {@code need} less what {@code request} frees, never below zero. */
  private static Resources freeing(Resources need, Resources request) {
    Resources out = Resources.ZERO;
    for (String r : need.names()) {
      long n = need.get(r) - request.get(r);
      if (n > 0) {
        out = out.with(r, n);
      }
    }
    return out;
  }
}
