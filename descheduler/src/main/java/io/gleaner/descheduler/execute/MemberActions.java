package io.gleaner.descheduler.execute;

import io.gleaner.descheduler.plan.Victim;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The writes the descheduler makes in one member cluster. Implementations are thread-safe and
 * idempotent: evicting a pod that is gone, or returning a node already returned, is fine.
 */
public interface MemberActions {

  /**
   * Evicts through policy/v1 Eviction with a UID precondition and the victim's own grace period.
   */
  EvictionResult evict(Victim victim);

  /**
   * As {@link #evict}, without holding a thread while the member answers; by default {@link #evict}
   * on {@code executor}. A burst of evictions over many clusters is then bounded by the members,
   * not by a thread pool.
   */
  default CompletableFuture<EvictionResult> evictAsync(Victim victim, Executor executor) {
    return CompletableFuture.supplyAsync(() -> evict(victim), executor);
  }

  /**
   * Marks the pod with why Gleaner evicts it ({@link ReclaimNote}: annotations {@code
   * gleaner.io/reclaim-reason} and {@code gleaner.io/reclaim-message}), before the eviction, so the
   * eviction the virtual-kubelet sees already carries them. A pod that is gone is fine.
   */
  void note(Victim victim, String reason, String message);

  /** As {@link #note}, on {@code executor}. */
  default CompletableFuture<Void> noteAsync(
      Victim victim, String reason, String message, Executor executor) {
    return CompletableFuture.runAsync(() -> note(victim, reason, message), executor);
  }

  /**
   * Gives the node back to online work: removes {@code gleaner.io/pool}, annotates reclaimed-at and
   * cooldown-until.
   */
  void returnNode(String node, Instant reclaimedAt, Instant cooldownUntil);

  /** Records a Normal Event on a pod ({@code namespace/name}). */
  void podEvent(String podKey, String message);

  /** Records a Normal Event on a node. */
  void nodeEvent(String node, String message);
}
