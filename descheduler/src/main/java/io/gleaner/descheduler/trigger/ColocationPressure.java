package io.gleaner.descheduler.trigger;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.meta.resources.Resources;
import java.util.Collection;

/**
 * Co-location pressure: a node's batch allocatable ({@code kubernetes.io/batch-cpu}, {@code
 * batch-memory}, published by Koordinator) fell below what the Gleaner pods on it request.
 */
public final class ColocationPressure {
  private ColocationPressure() {}

  /**
   * Per batch resource, how much the Gleaner pods request beyond the node's batch allocatable (zero
   * when none).
   */
  public static Resources excess(Node node, Collection<Pod> podsOnNode) {
    return excess(node, podsOnNode, PodViews::requests);
  }

  /** As above, with a function giving each pod's requests (e.g. a {@link RequestsCache}). */
  public static Resources excess(
      Node node,
      Collection<Pod> podsOnNode,
      java.util.function.Function<Pod, Resources> requestsOf) {
    Resources alloc = NodeAllocatable.of(node);
    Resources requested = Resources.ZERO;
    for (Pod p : podsOnNode) {
      if (PodViews.isGleaner(p) && !PodViews.isTerminating(p) && !PodViews.isDone(p)) {
        requested = requested.plus(requestsOf.apply(p));
      }
    }
    Resources out = Resources.ZERO;
    for (String r : new String[] {Resources.BATCH_CPU, Resources.BATCH_MEMORY}) {
      long need = requested.get(r);
      if (need > 0 && need > alloc.get(r)) {
        out = out.with(r, need - alloc.get(r));
      }
    }
    return out;
  }
}
