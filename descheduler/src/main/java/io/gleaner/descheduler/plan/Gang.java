package io.gleaner.descheduler.plan;

import java.util.Objects;

/**
 * A pod's gang: its PodGroup ({@code namespace/name}), the PodGroup's minMember and how many
 * members currently run (not terminating). Evicting below minMember breaks the gang, so the planner
 * takes only replicas above it, or all.
 */
public record Gang(String key, int minMember, int members) {
  public Gang {
    Objects.requireNonNull(key, "gang key");
    if (minMember < 0) {
      throw new IllegalArgumentException(
          "gang " + key + ": minMember must be >= 0, got " + minMember);
    }
    if (members < 0) {
      throw new IllegalArgumentException("gang " + key + ": members must be >= 0, got " + members);
    }
  }

  /** Replicas above minMember, the ones that may go one by one. */
  public int spare() {
    return Math.max(0, members - minMember);
  }
}
