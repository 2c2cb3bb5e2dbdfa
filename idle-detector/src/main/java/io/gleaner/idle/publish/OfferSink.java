package io.gleaner.idle.publish;

import io.gleaner.idle.offer.Offer;

/**
 * Where the detector sends what it decided. Calls come from the detector's single thread and must
 * not block it for long.
 */
public interface OfferSink {
  /**
   * The node's full offer replaces its previous one.
   *
   * @param changeNanos {@link System#nanoTime()} of the member change that led to it (for the
   *     latency timer)
   */
  void offer(Offer offer, long changeNanos);

  /** The node offers nothing any more. */
  void withdraw(String cluster, String node, String reason, long changeNanos);

  /**
   * The member's reachability. {@code reachable=false} withdraws every offer of the member; the
   * detector sends fresh offers once it is reachable again.
   */
  void member(String cluster, boolean reachable, String message);

  /** The member is no longer watched: withdraw everything it offered and forget it. */
  void clusterRemoved(String cluster);
}
