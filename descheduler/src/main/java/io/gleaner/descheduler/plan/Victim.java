package io.gleaner.descheduler.plan;

import java.util.Objects;

/**
 * A Gleaner pod chosen for eviction, on {@code node} (a whole-gang eviction may reach beyond the
 * reclaimed node).
 */
public record Victim(String node, NodePod pod) {
  public Victim {
    Objects.requireNonNull(node, "victim node");
    Objects.requireNonNull(pod, "victim pod");
  }
}
