package io.gleaner.idle.source;

import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.offer.MemberPodInfo;
import io.gleaner.idle.offer.PodGroupInfo;
import io.gleaner.idle.offer.Usage;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the detector knows about one member cluster: nodes, pods by node, PodGroups and the latest
 * metrics. Written by the cluster's informers and metrics poller (or directly by tests), read by
 * the detector.
 *
 * <p>Thread-safe. Every mutator reports which nodes it affected, so the caller can recompute just
 * those: a pod update that changes nothing the detector uses (a pod condition) affects none. A node
 * update always affects its node: its {@code resourceVersion} changed, and the detector's claims
 * are written conditional on the version it decided on.
 */
public final class ClusterCache {
  private final String cluster;
  private final Map<String, MemberNodeInfo> nodes = new ConcurrentHashMap<>();
  private final Map<String, MemberPodInfo> pods = new ConcurrentHashMap<>();
  private final Map<String, Map<String, MemberPodInfo>> podsByNode = new ConcurrentHashMap<>();
  private final Map<String, PodGroupInfo> podGroups = new ConcurrentHashMap<>();
  private volatile Map<String, Usage> nodeUsage = Map.of();
  private volatile Map<String, Usage> podUsage = Map.of();

  public ClusterCache(String cluster) {
    this.cluster = cluster;
  }

  public String cluster() {
    return cluster;
  }

  /** Stores the node; true when anything the detector uses changed, its version included. */
  public boolean putNode(MemberNodeInfo node) {
    MemberNodeInfo old = nodes.put(node.name(), node);
    return !node.equals(old);
  }

  /** Forgets the node; true when it was known. */
  public boolean removeNode(String name) {
    return nodes.remove(name) != null;
  }

  public Optional<MemberNodeInfo> node(String name) {
    return Optional.ofNullable(nodes.get(name));
  }

  public Collection<MemberNodeInfo> nodes() {
    return nodes.values();
  }

  public Set<String> nodeNames() {
    return Set.copyOf(nodes.keySet());
  }

  /**
   * Stores the pod (keyed by {@code namespace/name}).
   *
   * @return the nodes whose offer may change: the old and the new node when the pod moved or
   *     changed
   */
  public Set<String> putPod(MemberPodInfo pod) {
    MemberPodInfo old = pods.put(pod.key(), pod);
    if (pod.equals(old)) {
      return Set.of();
    }
    if (old != null && !old.node().isEmpty() && !old.node().equals(pod.node())) {
      Map<String, MemberPodInfo> m = podsByNode.get(old.node());
      if (m != null) {
        m.remove(pod.key());
      }
    }
    if (!pod.node().isEmpty()) {
      podsByNode.computeIfAbsent(pod.node(), n -> new ConcurrentHashMap<>()).put(pod.key(), pod);
    }
    if (old == null || old.node().equals(pod.node())) {
      return pod.node().isEmpty() ? Set.of() : Set.of(pod.node());
    }
    if (old.node().isEmpty()) {
      return Set.of(pod.node());
    }
    return pod.node().isEmpty() ? Set.of(old.node()) : Set.of(old.node(), pod.node());
  }

  /** Forgets the pod; returns the node it was on, if any. */
  public Optional<String> removePod(String namespace, String name) {
    MemberPodInfo old = pods.remove(namespace + "/" + name);
    if (old == null || old.node().isEmpty()) {
      return Optional.empty();
    }
    Map<String, MemberPodInfo> m = podsByNode.get(old.node());
    if (m != null) {
      m.remove(old.key());
    }
    return Optional.of(old.node());
  }

  /** The pods bound to {@code node} (a live view; copy it to keep it). */
  public Collection<MemberPodInfo> podsOn(String node) {
    Map<String, MemberPodInfo> m = podsByNode.get(node);
    return m == null ? List.of() : m.values();
  }

  /** Pods by node, for cluster-wide plans (live views). */
  public Map<String, Collection<MemberPodInfo>> podsByNode() {
    Map<String, Collection<MemberPodInfo>> out = new java.util.HashMap<>();
    podsByNode.forEach((n, m) -> out.put(n, m.values()));
    return out;
  }

  /** Every pod, bound or not (a live view). */
  public Collection<MemberPodInfo> pods() {
    return pods.values();
  }

  public int podCount() {
    return pods.size();
  }

  /** Stores the PodGroup; true when it changed. */
  public boolean putPodGroup(PodGroupInfo group) {
    return !group.equals(podGroups.put(group.key(), group));
  }

  public boolean removePodGroup(String namespace, String name) {
    return podGroups.remove(namespace + "/" + name) != null;
  }

  public Collection<PodGroupInfo> podGroups() {
    return podGroups.values();
  }

  /**
   * Replaces the node metrics with a new poll; returns the nodes whose sample changed (all of the
   * old and new nodes when the samples went away).
   */
  public Set<String> setNodeUsage(Map<String, Usage> latest) {
    Map<String, Usage> old = nodeUsage;
    nodeUsage = Map.copyOf(latest);
    Set<String> changed = new java.util.HashSet<>();
    latest.forEach(
        (n, u) -> {
          if (!u.equals(old.get(n))) {
            changed.add(n);
          }
        });
    old.keySet()
        .forEach(
            n -> {
              if (!latest.containsKey(n)) {
                changed.add(n);
              }
            });
    return changed;
  }

  /** Replaces the pod metrics with a new poll (by {@code namespace/name}). */
  public void setPodUsage(Map<String, Usage> latest) {
    podUsage = Map.copyOf(latest);
  }

  public Optional<Usage> nodeUsage(String node) {
    return Optional.ofNullable(nodeUsage.get(node));
  }

  public Map<String, Usage> podUsage() {
    return podUsage;
  }
}
