package io.gleaner.meta.kube;

import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import java.util.List;
import java.util.Map;

/**
 * A node selector term: all its label requirements ({@code matchExpressions}) and field
 * requirements ({@code matchFields}) must hold; a term with neither matches no node. The only node
 * field is {@code metadata.name}, compared with {@code In} or {@code NotIn} and one value.
 */
public record KubeNodeSelectorTerm(
    List<KubeNodeSelectorRequirement> matchExpressions,
    List<KubeNodeSelectorRequirement> matchFields) {

  /** The one node field a term may select on. */
  public static final String NODE_NAME_FIELD = "metadata.name";

  public KubeNodeSelectorTerm {
    matchExpressions = matchExpressions == null ? List.of() : List.copyOf(matchExpressions);
    matchFields = matchFields == null ? List.of() : List.copyOf(matchFields);
    for (KubeNodeSelectorRequirement f : matchFields) {
      if (!f.key().equals(NODE_NAME_FIELD)) {
        throw new IllegalArgumentException(
            "node selector matchFields: key \"" + f.key() + "\" is not " + NODE_NAME_FIELD);
      }
      if (f.operator() != KubeNodeSelectorRequirement.Operator.In
          && f.operator() != KubeNodeSelectorRequirement.Operator.NotIn) {
        throw new IllegalArgumentException(
            "node selector matchFields " + f.key() + ": operator must be In or NotIn");
      }
      if (f.values().size() != 1) {
        throw new IllegalArgumentException(
            "node selector matchFields " + f.key() + ": needs exactly one value");
      }
    }
  }

  /** A term of label requirements only. */
  public static KubeNodeSelectorTerm of(KubeNodeSelectorRequirement... matchExpressions) {
    return new KubeNodeSelectorTerm(List.of(matchExpressions), List.of());
  }

  /** A fabric8 pod's term. */
  public static KubeNodeSelectorTerm from(NodeSelectorTerm t) {
    return new KubeNodeSelectorTerm(convert(t.getMatchExpressions()), convert(t.getMatchFields()));
  }

  private static List<KubeNodeSelectorRequirement> convert(List<NodeSelectorRequirement> rs) {
    return rs == null
        ? List.of()
        : rs.stream()
            .map(r -> KubeNodeSelectorRequirement.of(r.getKey(), r.getOperator(), r.getValues()))
            .toList();
  }

  /** Whether the node named {@code nodeName} with these labels satisfies the term. */
  public boolean matches(String nodeName, Map<String, String> labels) {
    if (matchExpressions.isEmpty() && matchFields.isEmpty()) {
      return false;
    }
    for (int i = 0, n = matchExpressions.size(); i < n; i++) {
      if (!matchExpressions.get(i).matches(labels)) {
        return false;
      }
    }
    if (!matchFields.isEmpty()) {
      Map<String, String> fields = nodeName == null ? Map.of() : Map.of(NODE_NAME_FIELD, nodeName);
      for (KubeNodeSelectorRequirement f : matchFields) {
        if (!f.matches(fields)) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return matchFields.isEmpty()
        ? matchExpressions.toString()
        : matchExpressions + " fields " + matchFields;
  }
}
