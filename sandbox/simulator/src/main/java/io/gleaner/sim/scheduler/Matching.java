package io.gleaner.sim.scheduler;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/**
 * Node selection predicates of kube-scheduler: nodeSelector, required node affinity, taints and
 * tolerations.
 *
 * <p>Deliberately independent of {@code io.gleaner.meta.kube}, where the services keep these rules:
 * the simulator plays the real kube-scheduler and is the oracle the services are tested against, so
 * it is written separately from the Kubernetes sources and must not share their code (a mistake
 * shared by both would pass every test).
 */
public final class Matching {
  private Matching() {}

  /**
   * nodeSelector and requiredDuringSchedulingIgnoredDuringExecution both match (the NodeAffinity
   * plugin).
   */
  public static boolean nodeAffinityMatches(
      Pod pod, String nodeName, Map<String, String> nodeLabels) {
    Affinity a = pod.getSpec().getAffinity();
    return nodeAffinityMatches(
        pod.getSpec().getNodeSelector(),
        a == null || a.getNodeAffinity() == null
            ? null
            : a.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution(),
        nodeName,
        nodeLabels);
  }

  /** The same from the pod's nodeSelector and required node affinity (either may be null). */
  public static boolean nodeAffinityMatches(
      Map<String, String> selector,
      NodeSelector required,
      String nodeName,
      Map<String, String> nodeLabels) {
    if (selector != null) {
      for (Map.Entry<String, String> e : selector.entrySet()) {
        if (!e.getValue().equals(nodeLabels.get(e.getKey()))) {
          return false;
        }
      }
    }
    return required == null || nodeSelectorMatches(required, nodeName, nodeLabels);
  }

  /** Terms are ORed; requirements within a term are ANDed; an empty term matches nothing. */
  public static boolean nodeSelectorMatches(
      NodeSelector selector, String nodeName, Map<String, String> labels) {
    List<NodeSelectorTerm> terms = selector.getNodeSelectorTerms();
    if (terms == null || terms.isEmpty()) {
      return false;
    }
    for (NodeSelectorTerm term : terms) {
      if (termMatches(term, nodeName, labels)) {
        return true;
      }
    }
    return false;
  }

  private static boolean termMatches(
      NodeSelectorTerm term, String nodeName, Map<String, String> labels) {
    List<NodeSelectorRequirement> exprs =
        term.getMatchExpressions() == null ? List.of() : term.getMatchExpressions();
    List<NodeSelectorRequirement> fields =
        term.getMatchFields() == null ? List.of() : term.getMatchFields();
    if (exprs.isEmpty() && fields.isEmpty()) {
      return false;
    }
    for (NodeSelectorRequirement r : exprs) {
      if (!requirementMatches(r, labels.get(r.getKey()))) {
        return false;
      }
    }
    for (NodeSelectorRequirement r : fields) {
      if (!"metadata.name".equals(r.getKey()) || !requirementMatches(r, nodeName)) {
        return false;
      }
    }
    return true;
  }

  /** One requirement against the label value ({@code null} when the label is absent). */
  public static boolean requirementMatches(NodeSelectorRequirement r, String value) {
    List<String> values = r.getValues() == null ? List.of() : r.getValues();
    switch (r.getOperator()) {
      case "In":
        return value != null && values.contains(value);
      case "NotIn":
        return value == null || !values.contains(value);
      case "Exists":
        return value != null;
      case "DoesNotExist":
        return value == null;
      case "Gt":
      case "Lt":
        if (value == null || values.size() != 1) {
          return false;
        }
        try {
          long have = Long.parseLong(value);
          long want = Long.parseLong(values.get(0));
          return r.getOperator().equals("Gt") ? have > want : have < want;
        } catch (NumberFormatException e) {
          return false;
        }
      default:
        throw new IllegalArgumentException(
            "unknown node selector operator \"" + r.getOperator() + "\" for key " + r.getKey());
    }
  }

  /**
   * The first NoSchedule/NoExecute taint the pod does not tolerate, or null (the TaintToleration
   * filter).
   */
  public static Taint untoleratedTaint(List<Taint> taints, List<Toleration> tolerations) {
    for (Taint t : taints) {
      if (!"NoSchedule".equals(t.getEffect()) && !"NoExecute".equals(t.getEffect())) {
        continue;
      }
      if (!tolerated(t, tolerations)) {
        return t;
      }
    }
    return null;
  }

  public static boolean tolerated(Taint taint, List<Toleration> tolerations) {
    if (tolerations == null) {
      return false;
    }
    for (Toleration tol : tolerations) {
      if (tolerates(tol, taint)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Toleration semantics of core/v1: empty key with Exists matches every taint; empty effect
   * matches all effects.
   */
  public static boolean tolerates(Toleration tol, Taint taint) {
    if (tol.getEffect() != null
        && !tol.getEffect().isEmpty()
        && !tol.getEffect().equals(taint.getEffect())) {
      return false;
    }
    String op =
        tol.getOperator() == null || tol.getOperator().isEmpty() ? "Equal" : tol.getOperator();
    if (tol.getKey() == null || tol.getKey().isEmpty()) {
      return op.equals("Exists");
    }
    if (!tol.getKey().equals(taint.getKey())) {
      return false;
    }
    if (op.equals("Exists")) {
      return true;
    }
    String want = tol.getValue() == null ? "" : tol.getValue();
    String have = taint.getValue() == null ? "" : taint.getValue();
    return want.equals(have);
  }
}
