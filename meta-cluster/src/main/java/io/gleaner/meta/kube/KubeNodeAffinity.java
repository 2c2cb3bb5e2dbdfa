package io.gleaner.meta.kube;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.List;
import java.util.Map;

/**
 * Where a pod may run, as kube-scheduler's NodeAffinity filter decides it: every {@code
 * nodeSelector} entry must equal a node label, and when required node affinity is set, at least one
 * of its terms must match (terms are ORed, the requirements of a term ANDed). Preferred affinity
 * only scores and is not kept.
 *
 * @param requiredTerms the terms of {@code requiredDuringSchedulingIgnoredDuringExecution}; empty
 *     when the pod has no required node affinity
 */
public record KubeNodeAffinity(
    Map<String, String> nodeSelector, List<KubeNodeSelectorTerm> requiredTerms) {

  /** A pod that may run anywhere. */
  public static final KubeNodeAffinity ANY = new KubeNodeAffinity(Map.of(), List.of());

  public KubeNodeAffinity {
    nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
    requiredTerms = requiredTerms == null ? List.of() : List.copyOf(requiredTerms);
  }

  /** A fabric8 pod's node selector and required node affinity. */
  public static KubeNodeAffinity from(PodSpec spec) {
    return new KubeNodeAffinity(spec.getNodeSelector(), requiredTerms(spec.getAffinity()));
  }

  /** The required node-affinity terms of an affinity (null means none). */
  public static List<KubeNodeSelectorTerm> requiredTerms(Affinity affinity) {
    NodeSelector required =
        affinity == null || affinity.getNodeAffinity() == null
            ? null
            : affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
    if (required == null || required.getNodeSelectorTerms() == null) {
      return List.of();
    }
    return required.getNodeSelectorTerms().stream().map(KubeNodeSelectorTerm::from).toList();
  }

  /** Whether the node named {@code nodeName} with these labels is allowed. */
  public boolean matches(String nodeName, Map<String, String> labels) {
    return selectorMatches(nodeSelector, labels) && termsMatch(requiredTerms, nodeName, labels);
  }

  /** Whether every {@code nodeSelector} entry equals the node's label. */
  public static boolean selectorMatches(Map<String, String> selector, Map<String, String> labels) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** Whether one of the required terms matches; no terms means no requirement. */
  public static boolean termsMatch(
      List<KubeNodeSelectorTerm> terms, String nodeName, Map<String, String> labels) {
    if (terms.isEmpty()) {
      return true;
    }
    for (int i = 0, n = terms.size(); i < n; i++) {
      if (terms.get(i).matches(nodeName, labels)) {
        return true;
      }
    }
    return false;
  }
}
