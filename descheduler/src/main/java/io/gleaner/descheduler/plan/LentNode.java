package io.gleaner.descheduler.plan;

import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A member node that Gleaner lends (or did lend and still hosts Gleaner pods), with everything
 * bound to it.
 *
 * @param unschedulable the node is cordoned: no online pod can land there, so reclaiming it would
 *     not help
 * @param handBack whether a reclaim returns the node (removes its pool label); false for a node
 *     another installation lends
 * @param refusedPods Gleaner pods ({@code namespace/name}) still running here whose eviction was
 *     refused lately (a PodDisruptionBudget, throttling): the node is not handed back while they
 *     run
 */
public record LentNode(
    String name,
    Pool pool,
    Resources allocatable,
    Map<String, String> labels,
    List<KubeTaint> taints,
    boolean unschedulable,
    List<NodePod> pods,
    boolean handBack,
    List<String> refusedPods) {
  /** A node this installation lends: handed back by a reclaim. */
  public LentNode(
      String name,
      Pool pool,
      Resources allocatable,
      Map<String, String> labels,
      List<KubeTaint> taints,
      boolean unschedulable,
      List<NodePod> pods) {
    this(name, pool, allocatable, labels, taints, unschedulable, pods, true);
  }

  /** A node where no eviction was refused lately. */
  public LentNode(
      String name,
      Pool pool,
      Resources allocatable,
      Map<String, String> labels,
      List<KubeTaint> taints,
      boolean unschedulable,
      List<NodePod> pods,
      boolean handBack) {
    this(name, pool, allocatable, labels, taints, unschedulable, pods, handBack, List.of());
  }

  /** The same node with these pods. */
  public LentNode withPods(List<NodePod> pods) {
    return new LentNode(
        name, pool, allocatable, labels, taints, unschedulable, pods, handBack, refusedPods);
  }

  public LentNode {
    Objects.requireNonNull(name, "node name");
    pool = pool == null ? Pool.UNKNOWN : pool;
    allocatable = allocatable == null ? Resources.ZERO : allocatable;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    taints = taints == null ? List.of() : List.copyOf(taints);
    pods = pods == null ? List.of() : List.copyOf(pods);
    refusedPods = refusedPods == null ? List.of() : List.copyOf(refusedPods);
  }
}
