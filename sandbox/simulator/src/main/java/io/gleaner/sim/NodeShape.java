package io.gleaner.sim;

import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A group of identical simulated nodes: how many, their capacity, labels and taints. Immutable; the
 * {@code with*} methods return modified copies.
 *
 * <pre>{@code
 * NodeShape.of(10, "32", "128Gi").withGpus(8).withLabel("pool", "train").withTaint("gpu", "true", "NoSchedule")
 * }</pre>
 *
 * @param count number of nodes
 * @param cpu CPU capacity (a Kubernetes quantity, e.g. {@code "16"} or {@code "15500m"})
 * @param memory memory capacity (e.g. {@code "64Gi"})
 * @param pods pod capacity
 * @param gpus {@code nvidia.com/gpu} capacity
 * @param extended other extended resources (name → quantity)
 * @param labels extra labels (the well-known ones are added by the cluster)
 * @param taints taints
 * @param instanceType {@code node.kubernetes.io/instance-type}
 * @param namePrefix node names are {@code <namePrefix>-<i>}; null means {@code <cluster>-node}
 */
public record NodeShape(
    int count,
    String cpu,
    String memory,
    int pods,
    int gpus,
    Map<String, String> extended,
    Map<String, String> labels,
    List<Taint> taints,
    String instanceType,
    String namePrefix) {

  public NodeShape {
    if (count < 0) {
      throw new IllegalArgumentException("node count must be >= 0, got " + count);
    }
    Objects.requireNonNull(cpu, "cpu");
    Objects.requireNonNull(memory, "memory");
    Resources.parse(
        Map.of("cpu", cpu, "memory", memory)); // fails with a message naming the bad quantity
    if (pods < 1) {
      throw new IllegalArgumentException("pods per node must be >= 1, got " + pods);
    }
    if (gpus < 0) {
      throw new IllegalArgumentException("gpus must be >= 0, got " + gpus);
    }
    extended = Map.copyOf(extended);
    Resources.parse(extended);
    labels = Map.copyOf(labels);
    taints = List.copyOf(taints);
  }

  /**
   * {@code count} nodes with this CPU and memory, 110 pods, no GPUs, instance type {@code
   * sim.<cpu>c<mem>}.
   */
  public static NodeShape of(int count, String cpu, String memory) {
    return new NodeShape(
        count,
        cpu,
        memory,
        110,
        0,
        Map.of(),
        Map.of(),
        List.of(),
        "sim." + cpu + "c" + memory.toLowerCase(),
        null);
  }

  public NodeShape withPods(int podCapacity) {
    return new NodeShape(
        count, cpu, memory, podCapacity, gpus, extended, labels, taints, instanceType, namePrefix);
  }

  public NodeShape withGpus(int gpuCount) {
    return new NodeShape(
        count, cpu, memory, pods, gpuCount, extended, labels, taints, instanceType, namePrefix);
  }

  public NodeShape withResource(String name, String quantity) {
    Map<String, String> e = new LinkedHashMap<>(extended);
    e.put(name, quantity);
    return new NodeShape(
        count, cpu, memory, pods, gpus, e, labels, taints, instanceType, namePrefix);
  }

  public NodeShape withLabel(String key, String value) {
    Map<String, String> l = new LinkedHashMap<>(labels);
    l.put(key, value);
    return new NodeShape(
        count, cpu, memory, pods, gpus, extended, l, taints, instanceType, namePrefix);
  }

  public NodeShape withTaint(String key, String value, String effect) {
    List<Taint> t = new ArrayList<>(taints);
    t.add(new TaintBuilder().withKey(key).withValue(value).withEffect(effect).build());
    return new NodeShape(
        count, cpu, memory, pods, gpus, extended, labels, t, instanceType, namePrefix);
  }

  public NodeShape withInstanceType(String type) {
    return new NodeShape(
        count, cpu, memory, pods, gpus, extended, labels, taints, type, namePrefix);
  }

  public NodeShape withNamePrefix(String prefix) {
    return new NodeShape(
        count, cpu, memory, pods, gpus, extended, labels, taints, instanceType, prefix);
  }

  public NodeShape withCount(int n) {
    return new NodeShape(
        n, cpu, memory, pods, gpus, extended, labels, taints, instanceType, namePrefix);
  }

  /** Capacity of one node as a resource vector. */
  public Resources capacity() {
    Resources.Builder b =
        Resources.builder()
            .put("cpu", cpu)
            .put("memory", memory)
            .putCanonical("pods", pods)
            .put("ephemeral-storage", "100Gi");
    if (gpus > 0) {
      b.putCanonical(Resources.GPU, gpus);
    }
    extended.forEach(b::put);
    return b.build();
  }
}
