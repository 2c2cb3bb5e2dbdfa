package io.gleaner.sandbox.invariants;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.scheduler.Fit;
import io.gleaner.sim.scheduler.NodeInfo;
import io.gleaner.sim.scheduler.PodInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A member's nodes as the simulator's scheduler model sees them, once with all their pods and once
 * without Gleaner's: whether Gleaner's pods are what keeps an online pod from a node. The one
 * criterion of the invariant {@code online_pod_held_back} and of the summary's {@code
 * online_pods_never_ran}.
 */
public final class GleanerRoom {
  private final Map<String, NodeInfo> all = new HashMap<>();
  private final Map<String, NodeInfo> withoutGleaner = new LinkedHashMap<>(); // in node order

  public GleanerRoom(List<Node> nodes) {
    for (Node n : nodes) {
      all.put(n.getMetadata().getName(), new NodeInfo(n));
      withoutGleaner.put(n.getMetadata().getName(), new NodeInfo(n));
    }
  }

  /** Counts a pod on its node (if it occupies one); {@code gleaners}: it is one of Gleaner's. */
  public void add(PodInfo info, boolean gleaners) {
    if (!info.occupiesNode() || !all.containsKey(info.nodeName())) {
      return;
    }
    all.get(info.nodeName()).addPod(info);
    if (!gleaners) {
      withoutGleaner.get(info.nodeName()).addPod(info);
    }
  }

  /** The nodes that would take the pod without Gleaner's pods and do not with them. */
  public List<String> nodesGleanerBlocks(PodInfo pod) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, NodeInfo> n : withoutGleaner.entrySet()) {
      if (Fit.check(pod, n.getValue(), Resources.ZERO).fits()
          && !Fit.check(pod, all.get(n.getKey()), Resources.ZERO).fits()) {
        out.add(n.getKey());
      }
    }
    return out;
  }

  /**
   * Whether the pod is one of the idle-detector's scale-up placeholders in an elastic member: it
   * asks the member's autoscaler for nodes, is Unschedulable by design and is deleted unrun; it is
   * never online work.
   */
  public static boolean isScaleUpPlaceholder(Pod p) {
    return GleanerKeys.SCALE_UP_NAMESPACE.equals(p.getMetadata().getNamespace())
        || (p.getMetadata().getLabels() != null
            && p.getMetadata().getLabels().containsKey(GleanerKeys.SCALE_UP));
  }
}
