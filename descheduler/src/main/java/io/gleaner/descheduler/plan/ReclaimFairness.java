package io.gleaner.descheduler.plan;

import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.resources.Resources;
import java.util.Map;
import java.util.Objects;

/**
 * What the planner needs to take victims from the teams furthest above their fair share first: the
 * policy's teams, the harvested pool the teams share, and what each team holds across the whole
 * federation (every member's Gleaner pods, not only the member being planned).
 *
 * @param teams the policy's teams; a pod's metadata namespace decides its team
 * @param pool the harvested capacity the teams share
 * @param usage what each team (by name) holds now; absent: nothing
 */
public record ReclaimFairness(Teams teams, Resources pool, Map<String, Resources> usage) {
  /** No teams: reclaim follows the class order alone. */
  public static final ReclaimFairness NONE =
      new ReclaimFairness(Teams.only(Team.of("default", 1)), Resources.ZERO, Map.of());

  public ReclaimFairness {
    Objects.requireNonNull(teams, "teams");
    Objects.requireNonNull(pool, "pool");
    usage = Map.copyOf(usage);
  }

  /** Whether more than one team holds capacity, the only case where fairness can decide. */
  boolean matters() {
    return usage.values().stream().filter(r -> !r.isZero()).limit(2).count() > 1;
  }
}
