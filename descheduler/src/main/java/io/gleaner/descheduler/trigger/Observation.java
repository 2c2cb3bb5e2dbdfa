package io.gleaner.descheduler.trigger;

import java.time.Instant;
import java.util.Set;

/**
 * What the watchers remember about one pending pod (or PodGroup): when it was first seen
 * unschedulable, when its nomination was first seen, and the resources the latest FailedScheduling
 * event called insufficient.
 */
public record Observation(
    Instant since, String nominatedNode, Instant nominatedSince, Set<String> insufficient) {
  public Observation {
    insufficient = insufficient == null ? Set.of() : Set.copyOf(insufficient);
  }

  public Observation withNomination(String node, Instant at) {
    if (node == null || node.isEmpty()) {
      return new Observation(since, null, null, insufficient);
    }
    if (node.equals(nominatedNode)) {
      return this;
    }
    return new Observation(since, node, at, insufficient);
  }

  public Observation withHint(Set<String> hint) {
    return new Observation(since, nominatedNode, nominatedSince, hint);
  }
}
