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
 * @param refusedPods Gleaner pods still on the node whose eviction was refused in an earlier pass:
 *     while there are any, the node is not handed back
 */
public record NodeReclaim(
    String node,
    Pool pool,
    Reason reason,
    List<Victim> victims,
    List<String> forPods,
    Instant triggeredAt,
    boolean handBack,
    List<String> refusedPods) {
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

  /** A reclaim of a node where no eviction was refused before. */
  public NodeReclaim(
      String node,
      Pool pool,
      Reason reason,
      List<Victim> victims,
      List<String> forPods,
      Instant triggeredAt,
      boolean handBack) {
    this(node, pool, reason, victims, forPods, triggeredAt, handBack, List.of());
  }

  public NodeReclaim {
    victims = List.copyOf(victims);
    forPods = List.copyOf(forPods);
    refusedPods = refusedPods == null ? List.of() : List.copyOf(refusedPods);
  }
}
