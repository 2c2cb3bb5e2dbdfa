package io.gleaner.descheduler.plan;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One burst of one member cluster, as seen at {@code now}.
 *
 * @param memberPreemption whether the member's scheduler preempts (per-cluster config); if not,
 *     nominations never help
 * @param nodes lent nodes, and nodes that still host Gleaner pods after being returned
 */
public record PlanInput(
    String cluster,
    boolean memberPreemption,
    List<LentNode> nodes,
    List<Demand> demands,
    Instant now) {
  public PlanInput {
    Objects.requireNonNull(cluster, "cluster");
    nodes = List.copyOf(nodes);
    demands = List.copyOf(demands);
    Objects.requireNonNull(now, "now");
  }
}
