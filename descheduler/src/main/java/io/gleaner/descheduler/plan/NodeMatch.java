package io.gleaner.descheduler.plan;

import java.util.Map;

/**
 * Static node filters, as kube-scheduler applies them: cordon, nodeSelector, required node
 * affinity, taints.
 */
final class NodeMatch {
  private NodeMatch() {}

  /** Why the pod can never run on the node, or null if it may. */
  static String mismatch(PendingPod p, LentNode n) {
    if (n.unschedulable()) {
      return "cordoned";
    }
    for (Map.Entry<String, String> e : p.nodeSelector().entrySet()) {
      if (!e.getValue().equals(n.labels().get(e.getKey()))) {
        return "nodeSelector " + e.getKey() + "=" + e.getValue() + " does not match";
      }
    }
    if (!p.requiredAffinity().isEmpty()
        && p.requiredAffinity().stream().noneMatch(t -> t.matches(n.labels()))) {
      return "required node affinity does not match";
    }
    for (Taint t : n.taints()) {
      if (t.blocksScheduling() && p.tolerations().stream().noneMatch(tol -> tol.tolerates(t))) {
        return "untolerated taint " + t;
      }
    }
    return null;
  }
}
