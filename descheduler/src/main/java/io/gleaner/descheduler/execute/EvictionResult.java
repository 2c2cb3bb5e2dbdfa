package io.gleaner.descheduler.execute;

/** What one eviction request came to. Lower-case names are metric tags. */
public enum EvictionResult {
  /** The API accepted the eviction; the pod terminates within its grace period. */
  EVICTED,
  /**
   * The pod is gone already, or its UID changed (a new pod of that name is not ours to evict):
   * nothing to do.
   */
  ALREADY_GONE,
  /**
   * HTTP 429 with a {@code DisruptionBudget} cause: a PodDisruptionBudget allows no disruption now.
   */
  BLOCKED_BY_PDB,
  /**
   * HTTP 429 without that cause: the API server throttled the request (priority and fairness, max
   * in-flight), and the retries with backoff ran out. Not a PDB's refusal.
   */
  THROTTLED,
  /** Dry-run mode: decided, not sent. */
  DRY_RUN,
  /** The per-cluster rate limit did not grant a permit in time. */
  RATE_LIMITED,
  /**
   * Not sent: when its turn came this replica could no longer act (it does not lead, or its lease
   * ran out); whoever leads now plans again.
   */
  NOT_LEADER,
  /** Any other failure (logged). */
  FAILED;

  public String tag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Whether the victim's room is (or will be) freed. */
  public boolean frees() {
    return this == EVICTED || this == ALREADY_GONE;
  }
}
