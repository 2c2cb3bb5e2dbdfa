package io.gleaner.vk.admission;

import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.meta.kube.PodRequests;
import io.gleaner.meta.resources.Resources;

/**
 * What fair admission needs of a metadata pod bound to the virtual node: its namespace (its team)
 * and what it requests. Kept per pod as the pod controller's informer sees it change, so that a
 * round counts the room the bound pods take without decoding each of them from the compact cache.
 *
 * @param namespace the pod's namespace
 * @param request its effective requests; null when they cannot be counted (the pod controller fails
 *     such a pod)
 */
public record BoundPod(String namespace, Resources request) {

  /** The pod's summary; null when it is finished (it takes no room). */
  public static BoundPod of(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return null;
    }
    Resources request;
    try {
      request = PodRequests.effective(p.getSpec());
    } catch (RuntimeException e) {
      request = null;
    }
    return new BoundPod(p.getMetadata().getNamespace(), request);
  }
}
