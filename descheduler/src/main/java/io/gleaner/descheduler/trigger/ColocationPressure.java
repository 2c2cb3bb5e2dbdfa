package io.gleaner.descheduler.trigger;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.meta.resources.Resources;
import java.util.Collection;

/**
 * Co-location pressure: a node's batch allocatable ({@code kubernetes.io/batch-cpu}, {@code
 * batch-memory}, published by Koordinator) fell below what the Gleaner pods on it request.
 *
 * <p>With installations sharing the member, another installation's pods are load this one cannot
 * touch: they hold their part of the batch allocatable, and the excess this installation must give
 * back is the whole excess but at most what its own pods request (each installation gives back its
 * own; together they may give back more than the excess, never less).
 */
public final class ColocationPressure {
  private ColocationPressure() {}

  /**
   * Per batch resource, how much the Gleaner pods request beyond the node's batch allocatable (zero
   * when none).
   */
  public static Resources excess(Node node, Collection<Pod> podsOnNode, String instance) {
    return excess(node, podsOnNode, PodViews::requests, instance);
  }

  /** As above, with a function giving each pod's requests (e.g. a {@link RequestsCache}). */
  public static Resources excess(
      Node node,
      Collection<Pod> podsOnNode,
      java.util.function.Function<Pod, Resources> requestsOf,
      String instance) {
    Resources alloc = NodeAllocatable.of(node);
    Resources own = Resources.ZERO;
    Resources others = Resources.ZERO;
    for (Pod p : podsOnNode) {
      if (PodViews.isGleaner(p) && !PodViews.isTerminating(p) && !PodViews.isDone(p)) {
        if (PodViews.isOwn(p, instance)) {
          own = own.plus(requestsOf.apply(p));
        } else {
          others = others.plus(requestsOf.apply(p));
        }
      }
    }
    Resources out = Resources.ZERO;
    for (String r : new String[] {Resources.BATCH_CPU, Resources.BATCH_MEMORY}) {
      long mine = own.get(r);
      long need = mine + others.get(r);
      if (mine > 0 && need > alloc.get(r)) {
        out = out.with(r, Math.min(mine, need - alloc.get(r)));
      }
    }
    return out;
  }
}
