package io.gleaner.descheduler.plan;

import java.util.List;
import java.util.Map;

/**
 * A required node-affinity term: its requirements are ANDed; a pod's terms are ORed. An empty term
 * matches nothing.
 */
public record NodeSelectorTerm(List<NodeSelectorRequirement> matchExpressions) {
  public NodeSelectorTerm {
    matchExpressions = matchExpressions == null ? List.of() : List.copyOf(matchExpressions);
  }

  public static NodeSelectorTerm of(NodeSelectorRequirement... requirements) {
    return new NodeSelectorTerm(List.of(requirements));
  }

  public boolean matches(Map<String, String> labels) {
    return !matchExpressions.isEmpty()
        && matchExpressions.stream().allMatch(r -> r.matches(labels));
  }
}
