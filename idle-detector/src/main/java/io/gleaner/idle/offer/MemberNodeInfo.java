package io.gleaner.idle.offer;

import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The parts of a member Node that offers and the idle check use.
 *
 * @param capacity {@code status.capacity} ({@code capacity − allocatable} is what the node reserves
 *     for the system)
 * @param zone {@code topology.kubernetes.io/zone}, or empty
 * @param resourceVersion {@code metadata.resourceVersion} of the node as read, the version a claim
 *     written on this view is conditional on; empty when unknown (a node not read from an API
 *     server: then the claim is unconditional). Compared for equality only, as the API asks
 */
public record MemberNodeInfo(
    String name,
    String resourceVersion,
    Map<String, String> labels,
    Map<String, String> annotations,
    List<KubeTaint> taints,
    String zone,
    Resources capacity,
    Resources allocatable,
    boolean ready,
    boolean unschedulable) {

  public MemberNodeInfo {
    Objects.requireNonNull(name, "name");
    resourceVersion = resourceVersion == null ? "" : resourceVersion;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    taints = taints == null ? List.of() : List.copyOf(taints);
    zone = zone == null ? "" : zone;
    allocatable = allocatable == null ? Resources.ZERO : allocatable;
    capacity = capacity == null || capacity.isZero() ? allocatable : capacity;
  }

  /** A Ready, schedulable node without labels or taints; for tests and simulations. */
  public static MemberNodeInfo of(String name, Resources allocatable) {
    return new MemberNodeInfo(
        name, "", Map.of(), Map.of(), List.of(), "", allocatable, allocatable, true, false);
  }

  public MemberNodeInfo withLabels(Map<String, String> newLabels) {
    return new MemberNodeInfo(
        name,
        resourceVersion,
        newLabels,
        annotations,
        taints,
        zone,
        capacity,
        allocatable,
        ready,
        unschedulable);
  }

  public MemberNodeInfo withAnnotations(Map<String, String> newAnnotations) {
    return new MemberNodeInfo(
        name,
        resourceVersion,
        labels,
        newAnnotations,
        taints,
        zone,
        capacity,
        allocatable,
        ready,
        unschedulable);
  }

  public MemberNodeInfo withReady(boolean newReady) {
    return new MemberNodeInfo(
        name,
        resourceVersion,
        labels,
        annotations,
        taints,
        zone,
        capacity,
        allocatable,
        newReady,
        unschedulable);
  }

  public MemberNodeInfo withUnschedulable(boolean cordoned) {
    return new MemberNodeInfo(
        name,
        resourceVersion,
        labels,
        annotations,
        taints,
        zone,
        capacity,
        allocatable,
        ready,
        cordoned);
  }

  /** The node at another version (a test standing in for the API server's write). */
  public MemberNodeInfo withResourceVersion(String version) {
    return new MemberNodeInfo(
        name,
        version,
        labels,
        annotations,
        taints,
        zone,
        capacity,
        allocatable,
        ready,
        unschedulable);
  }

  public MemberNodeInfo withCapacity(Resources newCapacity) {
    return new MemberNodeInfo(
        name,
        resourceVersion,
        labels,
        annotations,
        taints,
        zone,
        newCapacity,
        allocatable,
        ready,
        unschedulable);
  }
}
