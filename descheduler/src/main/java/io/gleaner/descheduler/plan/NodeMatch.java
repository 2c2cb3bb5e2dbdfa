package io.gleaner.descheduler.plan;

import io.gleaner.meta.kube.KubeNodeAffinity;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
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
    if (!KubeNodeAffinity.termsMatch(p.requiredAffinity(), n.name(), n.labels())) {
      return "required node affinity does not match";
    }
    KubeTaint untolerated = KubeToleration.firstUntolerated(n.taints(), p.tolerations());
    return untolerated == null ? null : "untolerated taint " + untolerated;
  }
}
