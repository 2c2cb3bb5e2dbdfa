package io.gleaner.descheduler.execute;

import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.descheduler.plan.NodeReclaim;
import io.gleaner.descheduler.plan.Victim;
import java.util.List;
import java.util.Map;

/**
 * How one node's reclaim went.
 *
 * @param results per victim, in the order issued
 * @param event the ReclaimEvent published to hooks and the broker
 */
public record NodeResult(
    NodeReclaim reclaim, Map<Victim, EvictionResult> results, ReclaimEvent event) {
  public NodeResult {
    results = Map.copyOf(results);
  }

  /**
   * Victims whose eviction a PodDisruptionBudget (or the rate limit, or an error) refused: their
   * room is not freed.
   */
  public List<Victim> refused() {
    return reclaim.victims().stream()
        .filter(v -> !results.get(v).frees() && results.get(v) != EvictionResult.DRY_RUN)
        .toList();
  }

  public List<Victim> blockedByPdb() {
    return reclaim.victims().stream()
        .filter(v -> results.get(v) == EvictionResult.BLOCKED_BY_PDB)
        .toList();
  }
}
