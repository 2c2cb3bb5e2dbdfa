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
 */
public record NodeInfo(
    String name,
    Map<String, String> labels,
    Map<String, String> annotations,
    List<KubeTaint> taints,
    String zone,
    Resources capacity,
    Resources allocatable,
    boolean ready,
    boolean unschedulable) {

  public NodeInfo {
    Objects.requireNonNull(name, "name");
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    taints = taints == null ? List.of() : List.copyOf(taints);
    zone = zone == null ? "" : zone;
    allocatable = allocatable == null ? Resources.ZERO : allocatable;
    capacity = capacity == null || capacity.isZero() ? allocatable : capacity;
  }

  /** A Ready, schedulable node without labels or taints; for tests and simulations. */
  public static NodeInfo of(String name, Resources allocatable) {
    return new NodeInfo(
        name, Map.of(), Map.of(), List.of(), "", allocatable, allocatable, true, false);
  }

  public NodeInfo withLabels(Map<String, String> newLabels) {
    return new NodeInfo(
        name, newLabels, annotations, taints, zone, capacity, allocatable, ready, unschedulable);
  }

  public NodeInfo withAnnotations(Map<String, String> newAnnotations) {
    return new NodeInfo(
        name, labels, newAnnotations, taints, zone, capacity, allocatable, ready, unschedulable);
  }

  public NodeInfo withReady(boolean newReady) {
    return new NodeInfo(
        name, labels, annotations, taints, zone, capacity, allocatable, newReady, unschedulable);
  }

  public NodeInfo withUnschedulable(boolean cordoned) {
    return new NodeInfo(
        name, labels, annotations, taints, zone, capacity, allocatable, ready, cordoned);
  }

  public NodeInfo withCapacity(Resources newCapacity) {
    return new NodeInfo(
        name, labels, annotations, taints, zone, newCapacity, allocatable, ready, unschedulable);
  }
}
