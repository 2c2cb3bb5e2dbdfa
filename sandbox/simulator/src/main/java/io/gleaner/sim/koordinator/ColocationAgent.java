package io.gleaner.sim.koordinator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.load.UsageModel;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Koordinator-style co-location (koord-manager's batch resource calculation), for nodes labelled
 * {@value #COLOCATION_LABEL}{@code =true}: every {@code interval} of clock time it publishes in
 * node capacity and allocatable
 *
 * <pre>
 *   kubernetes.io/batch-cpu    = cpuCapacity × cpuRatio − max(system usage, reserve) − usage of high-priority pods
 *   kubernetes.io/batch-memory = memCapacity × memRatio − max(system usage, reserve) − usage of high-priority pods
 * </pre>
 *
 * clamped at zero; batch-cpu in milli-cores as an integer, batch-memory in bytes. High-priority
 * pods are all running pods that do not request batch resources.
 */
public final class ColocationAgent {
  public static final String COLOCATION_LABEL = "sim.gleaner.io/colocation";

  /**
   * Reclaim ratios (defaults 60 % CPU, 65 % memory), system reserve share and recompute interval.
   */
  public record Options(
      double cpuRatio, double memoryRatio, double reserveRatio, Duration interval) {
    public static final Options DEFAULTS = new Options(0.60, 0.65, 0.05, Duration.ofSeconds(60));

    public Options {
      if (cpuRatio < 0
          || cpuRatio > 1
          || memoryRatio < 0
          || memoryRatio > 1
          || reserveRatio < 0
          || reserveRatio > 1) {
        throw new IllegalArgumentException(
            "colocation ratios must be within 0..1, got cpu="
                + cpuRatio
                + " memory="
                + memoryRatio
                + " reserve="
                + reserveRatio);
      }
    }
  }

  private final ObjectStore store;
  private final UsageModel usage;
  private final Options options;

  public ColocationAgent(ObjectStore store, UsageModel usage, Options options) {
    this.store = Objects.requireNonNull(store, "store");
    this.usage = Objects.requireNonNull(usage, "usage");
    this.options = Objects.requireNonNull(options, "options");
  }

  /** Recomputes now and then every interval on {@code timeline}. */
  public void start(SimRuntime.Timeline timeline) {
    recompute();
    timeline.every(options.interval(), this::recompute);
  }

  /** The batch resources of one node given its high-priority pods' usage. */
  public static Resources batchAllocatable(
      Resources capacity, Resources systemUsage, Resources highPriorityUsage, Options options) {
    long cpuReserve = Math.round(capacity.cpuMillis() * options.reserveRatio());
    long memReserve = Math.round(capacity.memoryBytes() * options.reserveRatio());
    long cpu =
        Math.round(capacity.cpuMillis() * options.cpuRatio())
            - Math.max(systemUsage.cpuMillis(), cpuReserve)
            - highPriorityUsage.cpuMillis();
    long mem =
        Math.round(capacity.memoryBytes() * options.memoryRatio())
            - Math.max(systemUsage.memoryBytes(), memReserve)
            - highPriorityUsage.memoryBytes();
    return Resources.builder()
        .putCanonical(Resources.BATCH_CPU, Math.max(0, cpu))
        .putCanonical(Resources.BATCH_MEMORY, Math.max(0, mem))
        .build();
  }

  /** Recomputes batch resources of every co-location node once. */
  public void recompute() {
    List<ObjectNode> nodes =
        store
            .list(
                ResourceTypes.NODES,
                null,
                n ->
                    "true"
                        .equals(n.path("metadata").path("labels").path(COLOCATION_LABEL).asText()))
            .items();
    if (nodes.isEmpty()) {
      return;
    }
    Map<String, Resources> hp = new HashMap<>();
    for (JsonNode pod :
        store
            .list(
                ResourceTypes.PODS,
                null,
                p -> "Running".equals(p.path("status").path("phase").asText()))
            .items()) {
      Resources req = UsageModel.requests(pod);
      if (req.get(Resources.BATCH_CPU) > 0 || req.get(Resources.BATCH_MEMORY) > 0) {
        continue;
      }
      Resources u = usage.podUsage(pod);
      if (u != null) {
        hp.merge(pod.path("spec").path("nodeName").asText(), u, Resources::plus);
      }
    }
    for (ObjectNode node : nodes) {
      String name = node.path("metadata").path("name").asText();
      Map<String, String> q = new HashMap<>();
      node.path("status")
          .path("capacity")
          .fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().equals(Resources.BATCH_CPU)
                    && !e.getKey().equals(Resources.BATCH_MEMORY)) {
                  q.put(e.getKey(), e.getValue().asText());
                }
              });
      Resources batch =
          batchAllocatable(
              Resources.parse(q),
              UsageModel.systemUsage(node),
              hp.getOrDefault(name, Resources.ZERO),
              options);
      String cpu = Long.toString(batch.get(Resources.BATCH_CPU));
      String mem = Long.toString(batch.get(Resources.BATCH_MEMORY));
      store.mutate(
          ResourceTypes.NODES,
          null,
          name,
          n -> {
            ObjectNode st = n.with("status");
            if (cpu.equals(st.path("allocatable").path(Resources.BATCH_CPU).asText())
                && mem.equals(st.path("allocatable").path(Resources.BATCH_MEMORY).asText())) {
              return null;
            }
            for (String f : List.of("capacity", "allocatable")) {
              st.with(f).put(Resources.BATCH_CPU, cpu);
              st.with(f).put(Resources.BATCH_MEMORY, mem);
            }
            return n;
          });
    }
  }
}
