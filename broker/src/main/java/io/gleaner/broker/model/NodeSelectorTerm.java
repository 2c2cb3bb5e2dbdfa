package io.gleaner.broker.model;

import java.util.List;
import java.util.Map;

/** A required node affinity term: its requirements are ANDed; the terms of a pod are ORed. */
public record NodeSelectorTerm(List<NodeSelectorRequirement> requirements) {
  public NodeSelectorTerm {
    requirements = requirements == null ? List.of() : List.copyOf(requirements);
  }

  public static NodeSelectorTerm of(NodeSelectorRequirement... requirements) {
    return new NodeSelectorTerm(List.of(requirements));
  }

  /** Kubernetes: a term without requirements matches no node. */
  public boolean matches(Map<String, String> labels) {
    if (requirements.isEmpty()) {
      return false;
    }
    for (NodeSelectorRequirement r : requirements) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }
}
