package io.gleaner.descheduler.plan;

import java.util.List;
import java.util.Optional;

/**
 * The planner's answer for one cluster and one burst: what to evict where, and one outcome per pod.
 */
public record Plan(String cluster, List<NodeReclaim> reclaims, List<PodOutcome> outcomes) {
  public Plan {
    reclaims = List.copyOf(reclaims);
    outcomes = List.copyOf(outcomes);
  }

  public int victimCount() {
    return reclaims.stream().mapToInt(r -> r.victims().size()).sum();
  }

  public Optional<PodOutcome> outcomeOf(String pod) {
    return outcomes.stream().filter(o -> o.pod().equals(pod)).findFirst();
  }
}
