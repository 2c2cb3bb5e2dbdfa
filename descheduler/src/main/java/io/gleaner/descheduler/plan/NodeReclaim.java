package io.gleaner.descheduler.plan;

import java.time.Instant;
import java.util.List;

/**
 * What to do on one lent node: evict {@code victims} (in order) and return the node, for {@code
 * forPods}.
 *
 * @param triggeredAt the earliest trigger among the demands served (start of the latency clock)
 * @param handBack whether the node is returned once its victims are gone ({@link
 *     LentNode#handBack()})
 */
public record NodeReclaim(
    String node,
    Pool pool,
    Reason reason,
    List<Victim> victims,
    List<String> forPods,
    Instant triggeredAt,
    boolean handBack) {
  /** A reclaim that hands the node back. */
  public NodeReclaim(
      String node,
      Pool pool,
      Reason reason,
      List<Victim> victims,
      List<String> forPods,
      Instant triggeredAt) {
    this(node, pool, reason, victims, forPods, triggeredAt, true);
  }

  public NodeReclaim {
    victims = List.copyOf(victims);
    forPods = List.copyOf(forPods);
  }
}
