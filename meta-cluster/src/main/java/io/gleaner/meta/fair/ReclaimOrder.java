package io.gleaner.meta.fair;

import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The order in which reclaim should take pods back: first from the team furthest above its fair
 * share, re-ranked after every pod taken (the team's share falls by the pod's request), and in
 * class order ({@link Running#CLASS_ORDER}: offline before near-line, youngest first) within a team
 * and wherever two teams stand equally far above (or below) their fair shares. With one team (no
 * teams in the policy) it is the class order itself.
 */
public final class ReclaimOrder {
  /** Shares closer than this count as equal, so float noise never overrides class order. */
  static final double EQUAL = 1e-9;

  private ReclaimOrder() {}

  /**
   * @param pool the harvested capacity the teams share
   * @param teams the policy's teams; each pod's namespace decides its team
   * @param fair each team's fair share (e.g. {@link FairShares#compute}); absent: 0
   * @param running the pods that may be taken, each counted in its team's usage
   * @param otherUsage what each team holds beyond {@code running} (pods not eligible as victims);
   *     absent: nothing
   * @return {@code running}, in the order to take them
   */
  public static List<Running> order(
      Resources pool,
      Teams teams,
      Map<String, Double> fair,
      Collection<Running> running,
      Map<String, Resources> otherUsage) {
    Map<String, List<Running>> byTeam = new LinkedHashMap<>();
    Map<String, Resources> usage = new HashMap<>(otherUsage);
    for (Running r : running) {
      String team = teams.of(r.namespace()).name();
      byTeam.computeIfAbsent(team, k -> new ArrayList<>()).add(r);
      usage.merge(team, r.request(), Resources::plus);
    }
    List<String> names = new ArrayList<>(byTeam.keySet());
    int[] next = new int[names.size()];
    double[] excess = new double[names.size()];
    for (int i = 0; i < names.size(); i++) {
      byTeam.get(names.get(i)).sort(Running.CLASS_ORDER);
      excess[i] = excess(names.get(i), usage, pool, fair);
    }
    List<Running> out = new ArrayList<>(running.size());
    while (out.size() < running.size()) {
      int best = -1;
      for (int i = 0; i < names.size(); i++) {
        List<Running> pods = byTeam.get(names.get(i));
        if (next[i] >= pods.size()) {
          continue;
        }
        if (best < 0 || before(i, best, excess, names, byTeam, next)) {
          best = i;
        }
      }
      String team = names.get(best);
      Running victim = byTeam.get(team).get(next[best]++);
      out.add(victim);
      usage.put(team, usage.get(team).minus(victim.request()).clampAtZero());
      excess[best] = excess(team, usage, pool, fair);
    }
    return out;
  }

  private static boolean before(
      int a,
      int b,
      double[] excess,
      List<String> names,
      Map<String, List<Running>> byTeam,
      int[] next) {
    if (Math.abs(excess[a] - excess[b]) > EQUAL) {
      return excess[a] > excess[b];
    }
    Running ra = byTeam.get(names.get(a)).get(next[a]);
    Running rb = byTeam.get(names.get(b)).get(next[b]);
    return Running.CLASS_ORDER.compare(ra, rb) < 0;
  }

  private static double excess(
      String team, Map<String, Resources> usage, Resources pool, Map<String, Double> fair) {
    return Shares.dominant(usage.getOrDefault(team, Resources.ZERO), pool)
        - fair.getOrDefault(team, 0.0);
  }
}
