package io.gleaner.descheduler.plan;

import java.time.Instant;
import java.util.List;

/**
 * What to do on one lent node: evict {@code victims} (in order) and return the node, for {@code
 * forPods}.
 *
 * @param triggeredAt the earliest trigger among the demands served (start of the latency clock)
 */
public record NodeReclaim(
    String node,
    Pool pool,
    Reason reason,
    List<Victim> victims,
    List<String> forPods,
    Instant triggeredAt) {
  public NodeReclaim {
    victims = List.copyOf(victims);
    forPods = List.copyOf(forPods);
  }
}
