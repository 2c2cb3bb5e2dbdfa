package io.gleaner.descheduler.plan;

import io.gleaner.meta.fair.FairShares;
import io.gleaner.meta.fair.Shares;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The teams of one plan ranked by how far each stands above its fair share: tier 0 is the furthest
 * above, each further tier strictly less; teams within {@link #EQUAL} share a tier. Recomputed as
 * victims are taken (a team's share falls by what its victims held), so one plan does not take a
 * team far below another.
 *
 * <p>Fair shares are weighted max-min fair ({@link FairShares}) over the pool as it will be once
 * this burst's demand is served (the pool less that demand): reclaim is what shrinks the pool, and
 * a team above its share of the shrunken pool is the one that should give back. What waits in the
 * metadata cluster is not known here, so each team's demand is what it holds; a team holding less
 * than the level of the shrunken pool is never above its share. Not thread-safe.
 */
final class TeamTiers {
  /** Shares closer than this count as equal, so float noise never overrides class order. */
  static final double EQUAL = 1e-9;

  private final ReclaimFairness fairness;
  private final Resources pool;
  private final Map<String, Double> fair;
  private final Map<String, Resources> usage;
  private Map<String, Integer> tiers;

  private TeamTiers(
      ReclaimFairness fairness,
      Resources pool,
      Map<String, Double> fair,
      Map<String, Resources> usage,
      Map<String, Integer> tiers) {
    this.fairness = fairness;
    this.pool = pool;
    this.fair = fair;
    this.usage = usage;
    this.tiers = tiers;
  }

  /** Every team in tier 0. */
  static TeamTiers none() {
    return new TeamTiers(ReclaimFairness.NONE, Resources.ZERO, Map.of(), new HashMap<>(), Map.of());
  }

  /**
   * @param returned what this burst asks back (the pool shrinks by it)
   */
  static TeamTiers of(ReclaimFairness f, Resources returned) {
    if (!f.matters()) {
      return none();
    }
    Resources pool = f.pool().minus(returned).clampAtZero();
    Map<String, Double> fair = new HashMap<>();
    FairShares.compute(pool, f.teams(), f.usage(), Map.of())
        .forEach((team, s) -> fair.put(team, s.fair()));
    TeamTiers t = new TeamTiers(f, pool, fair, new HashMap<>(f.usage()), Map.of());
    t.rank();
    return t;
  }

  TeamTiers copy() {
    return new TeamTiers(fairness, pool, fair, new HashMap<>(usage), tiers);
  }

  /** The tier of a Gleaner pod's team: 0 for the teams furthest above their fair share. */
  int tierOf(NodePod p) {
    if (tiers.isEmpty()) {
      return 0;
    }
    return tiers.getOrDefault(team(p), 0);
  }

  /** How far above its fair share {@code team} stands now (negative: below). */
  double excess(String team) {
    return Shares.dominant(usage.getOrDefault(team, Resources.ZERO), pool)
        - fair.getOrDefault(team, 0.0);
  }

  /** Takes what {@code victims} held off their teams and ranks the teams again. */
  void taken(Collection<Victim> victims) {
    if (fair.isEmpty() || victims.isEmpty()) {
      return;
    }
    for (Victim v : victims) {
      usage.computeIfPresent(team(v.pod()), (k, u) -> u.minus(v.pod().requests()).clampAtZero());
    }
    rank();
  }

  private String team(NodePod p) {
    return fairness.teams().of(p.metaNamespace()).name();
  }

  private void rank() {
    List<String> names = new ArrayList<>(fair.keySet());
    Map<String, Double> excess = new HashMap<>();
    for (String n : names) {
      excess.put(n, excess(n));
    }
    names.sort((a, b) -> Double.compare(excess.get(b), excess.get(a)));
    Map<String, Integer> out = new HashMap<>();
    int tier = 0;
    for (int i = 0; i < names.size(); i++) {
      if (i > 0 && excess.get(names.get(i - 1)) - excess.get(names.get(i)) > EQUAL) {
        tier++;
      }
      out.put(names.get(i), tier);
    }
    tiers = out;
  }
}
