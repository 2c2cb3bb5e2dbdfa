package io.gleaner.idle.offer;

import io.gleaner.meta.resources.Resources;
import java.util.Objects;

/**
 * The parts of a member Pod that offers and the idle check use.
 *
 * @param node {@code spec.nodeName}, empty while unbound
 * @param requests effective requests: max(largest init container, sum of containers) + overhead,
 *     plus {@code pods: 1}
 * @param gleanerManaged a member pod of this detector's installation ({@code
 *     gleaner.io/managed=true} and its {@code gleaner.io/instance}): lent work, not the member's
 *     own; another installation's pods are not, so they count as load
 * @param daemonSet owned by a DaemonSet: counted in offers, not as online load
 * @param terminated phase Succeeded or Failed: holds no resources
 * @param batch a best-effort co-location pod (Koordinator BE QoS or batch resource requests)
 * @param podGroup the Volcano PodGroup it belongs to ({@code scheduling.k8s.io/group-name}), or
 *     empty
 */
public record MemberPodInfo(
    String uid,
    String namespace,
    String name,
    String node,
    Resources requests,
    boolean gleanerManaged,
    boolean daemonSet,
    boolean terminated,
    boolean batch,
    String podGroup) {

  public MemberPodInfo {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    uid = uid == null ? "" : uid;
    node = node == null ? "" : node;
    podGroup = podGroup == null ? "" : podGroup;
    requests = requests == null ? Resources.ZERO : requests;
  }

  /** A running online pod of the member on {@code node}; for tests and simulations. */
  public static MemberPodInfo online(String name, String node, Resources requests) {
    return new MemberPodInfo(
        name,
        "default",
        name,
        node,
        requests.with(Resources.PODS, 1),
        false,
        false,
        false,
        false,
        "");
  }

  /**
   * The pod holds node resources that are not Gleaner's (the member's own work, DaemonSets
   * included).
   */
  public boolean holdsMemberResources() {
    return !terminated && !gleanerManaged && !node.isEmpty();
  }

  /**
   * The pod is online load for the idle check: the member's own, not a DaemonSet, not terminated.
   */
  public boolean isOnlineLoad() {
    return holdsMemberResources() && !daemonSet;
  }

  /** {@code namespace/name}, the key metrics use. */
  public String key() {
    return namespace + "/" + name;
  }
}
