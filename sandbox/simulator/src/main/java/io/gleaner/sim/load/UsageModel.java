package io.gleaner.sim.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Simulated resource usage of a cluster, the source of {@code metrics.k8s.io} and of co-location
 * batch capacity.
 *
 * <ul>
 *   <li>A Running pod uses what its annotations {@value #CPU_USAGE} / {@value #MEMORY_USAGE} say
 *       (quantities); otherwise, if labelled {@value #LOAD_LABEL}{@code =curve}, its requests times
 *       the cluster's {@link LoadCurve} utilization at that instant; otherwise its requests times
 *       the default fractions. Pods without requests use 10m CPU and 32Mi.
 *   <li>A node uses its system share (100m CPU + 2% of capacity, 5% of memory) plus its running
 *       pods.
 * </ul>
 *
 * Thread-safe; node usage is computed in one pass over the pods and cached per store change and
 * second.
 */
public final class UsageModel {
  public static final String CPU_USAGE = "sim.gleaner.io/cpu-usage";
  public static final String MEMORY_USAGE = "sim.gleaner.io/memory-usage";
  public static final String LOAD_LABEL = "sim.gleaner.io/load";
  private static final Resources BEST_EFFORT = Resources.of("cpu", "10m", "memory", "32Mi");

  private final ObjectStore store;
  private final LoadCurve curve;
  private final double defaultCpuFraction;
  private final double defaultMemoryFraction;
  private volatile Snapshot snapshot;

  private record Snapshot(long mutation, long second, Map<String, Resources> byNode) {}

  public UsageModel(
      ObjectStore store, LoadCurve curve, double defaultCpuFraction, double defaultMemoryFraction) {
    this.store = Objects.requireNonNull(store, "store");
    this.curve = curve;
    this.defaultCpuFraction = defaultCpuFraction;
    this.defaultMemoryFraction = defaultMemoryFraction;
  }

  public LoadCurve curve() {
    return curve;
  }

  /** Usage of a Running pod, or null when the pod is not running. */
  public Resources podUsage(JsonNode pod) {
    if (!"Running".equals(pod.path("status").path("phase").asText())) {
      return null;
    }
    JsonNode annotations = pod.path("metadata").path("annotations");
    Resources requests = requests(pod);
    Instant now = store.clock().instant();
    double cpuFraction = defaultCpuFraction;
    double memFraction = defaultMemoryFraction;
    if (curve != null
        && "curve".equals(pod.path("metadata").path("labels").path(LOAD_LABEL).asText())) {
      cpuFraction = curve.cpu(now);
      memFraction = curve.memory(now);
    }
    long cpu =
        requests.cpuMillis() == 0
            ? BEST_EFFORT.cpuMillis()
            : Math.round(requests.cpuMillis() * cpuFraction);
    long mem =
        requests.memoryBytes() == 0
            ? BEST_EFFORT.memoryBytes()
            : Math.round(requests.memoryBytes() * memFraction);
    Resources usage =
        Resources.builder()
            .putCanonical(Resources.CPU, cpu)
            .putCanonical(Resources.MEMORY, mem)
            .build();
    if (annotations.has(CPU_USAGE)) {
      usage =
          usage.with(
              Resources.CPU, Resources.of("cpu", annotations.get(CPU_USAGE).asText()).cpuMillis());
    }
    if (annotations.has(MEMORY_USAGE)) {
      usage =
          usage.with(
              Resources.MEMORY,
              Resources.of("memory", annotations.get(MEMORY_USAGE).asText()).memoryBytes());
    }
    return usage;
  }

  /** The system (kubelet, OS) share of a node's usage. */
  public static Resources systemUsage(JsonNode node) {
    Resources capacity = capacity(node);
    return Resources.builder()
        .putCanonical(Resources.CPU, 100 + capacity.cpuMillis() * 2 / 100)
        .putCanonical(Resources.MEMORY, capacity.memoryBytes() * 5 / 100)
        .build();
  }

  /** Usage of every node that has pods or exists: system share plus running pods. */
  public Map<String, Resources> nodeUsage() {
    long mutation = store.mutationCount();
    long second = store.clock().instant().getEpochSecond();
    Snapshot s = snapshot;
    if (s != null && s.mutation() == mutation && s.second() == second) {
      return s.byNode();
    }
    Map<String, Resources> byNode = new HashMap<>();
    for (JsonNode node : store.list(ResourceTypes.NODES)) {
      byNode.put(node.path("metadata").path("name").asText(), systemUsage(node));
    }
    for (JsonNode pod :
        store
            .list(
                ResourceTypes.PODS,
                null,
                p -> "Running".equals(p.path("status").path("phase").asText()))
            .items()) {
      String node = pod.path("spec").path("nodeName").asText("");
      Resources u = podUsage(pod);
      if (!node.isEmpty() && u != null && byNode.containsKey(node)) {
        byNode.merge(node, u, Resources::plus);
      }
    }
    Map<String, Resources> result = Map.copyOf(byNode);
    snapshot = new Snapshot(mutation, second, result);
    return result;
  }

  static Resources capacity(JsonNode node) {
    Map<String, String> q = new HashMap<>();
    node.path("status")
        .path("capacity")
        .fields()
        .forEachRemaining(e -> q.put(e.getKey(), e.getValue().asText()));
    return Resources.parse(q);
  }

  /** Effective requests of a pod (sum of containers). */
  public static Resources requests(JsonNode pod) {
    Resources sum = Resources.ZERO;
    for (JsonNode c : pod.path("spec").path("containers")) {
      Map<String, String> q = new HashMap<>();
      c.path("resources")
          .path("requests")
          .fields()
          .forEachRemaining(e -> q.put(e.getKey(), e.getValue().asText()));
      sum = sum.plus(Resources.parse(q));
    }
    return sum;
  }
}
