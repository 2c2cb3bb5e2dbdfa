package io.gleaner.sim.autoscaler;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.scheduler.PodInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A simulated cluster-autoscaler with one node group: every {@code scanInterval} it adds nodes of
 * the group's shape for pods the scheduler marked unschedulable (they appear after {@code
 * leadTime}, the time a cloud VM takes), and removes a group node that carried no pod (DaemonSets
 * aside) for {@code idleAfter} ({@code --scale-down-unneeded-time}). Decisions: {@link
 * ScalePolicy}.
 */
public final class SimAutoscaler {
  /**
   * @param shape one node of the group (its count is ignored)
   * @param maxNodes the group's maximum size
   * @param leadTime from the decision to the node being there and Ready
   * @param idleAfter how long a node stays empty before it is removed
   * @param scanInterval how often the autoscaler looks (cluster-autoscaler: 10 s)
   */
  public record Options(
      NodeShape shape, int maxNodes, Duration leadTime, Duration idleAfter, Duration scanInterval) {
    public Options {
      Objects.requireNonNull(shape, "shape");
      Objects.requireNonNull(leadTime, "leadTime");
      Objects.requireNonNull(idleAfter, "idleAfter");
      Objects.requireNonNull(scanInterval, "scanInterval");
      if (maxNodes < 0) {
        throw new IllegalArgumentException("maxNodes must be >= 0, got " + maxNodes);
      }
    }

    /** A group of up to {@code maxNodes}: 5 minutes to a new VM, 10 idle minutes to remove it. */
    public static Options of(NodeShape shape, int maxNodes) {
      return new Options(
          shape, maxNodes, Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofSeconds(10));
    }
  }

  private final SimulatedCluster cluster;
  private final Options options;
  private final Resources template;
  private final Set<String> nodes = new HashSet<>();
  private final Map<String, Instant> emptySince = new HashMap<>();
  private final AtomicInteger provisioning = new AtomicInteger();
  private final AtomicInteger added = new AtomicInteger();
  private final AtomicInteger removed = new AtomicInteger();

  public SimAutoscaler(SimulatedCluster cluster, Options options) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.options = Objects.requireNonNull(options, "options");
    this.template = options.shape().capacity();
  }

  /** Starts scanning on the cluster's timeline. */
  public SimAutoscaler start() {
    cluster.timeline().every(options.scanInterval(), this::scan);
    return this;
  }

  /** Nodes added so far. */
  public int added() {
    return added.get();
  }

  /** Nodes removed so far. */
  public int removed() {
    return removed.get();
  }

  /** Nodes asked for and not there yet. */
  public int provisioning() {
    return provisioning.get();
  }

  /** One scan: scale up for unschedulable pods, scale down nodes empty for long enough. */
  public synchronized void scan() {
    Instant now = cluster.clock().instant();
    List<Resources> pending = new ArrayList<>();
    Map<String, Integer> podsOn = new HashMap<>();
    Map<String, Resources> used = new HashMap<>();
    for (JsonNode json : cluster.store().list(ResourceTypes.PODS)) {
      PodInfo p = PodInfo.of(json);
      if (p.terminal()) {
        continue;
      }
      if (p.nodeName() != null && !p.nodeName().isEmpty()) {
        used.merge(p.nodeName(), p.requests(), Resources::plus);
        if (!json.path("metadata").path("ownerReferences").toString().contains("DaemonSet")) {
          podsOn.merge(p.nodeName(), 1, Integer::sum);
        }
      } else if (!p.terminating()
          && p.priority() >= ScalePolicy.EXPENDABLE_CUTOFF
          && unschedulable(json)) {
        pending.add(p.requests());
      }
    }
    nodes.retainAll(new HashSet<>(cluster.nodeNames()));
    emptySince.keySet().retainAll(nodes);
    for (String n : nodes) {
      if (podsOn.containsKey(n)) {
        emptySince.remove(n);
      } else {
        emptySince.putIfAbsent(n, now);
      }
    }
    List<Resources> free = new ArrayList<>();
    for (String n : nodes) {
      free.add(template.minus(used.getOrDefault(n, Resources.ZERO)).clampAtZero());
    }
    int add =
        ScalePolicy.nodesToAdd(pending, template, free, provisioning.get(), options.maxNodes());
    for (int i = 0; i < add; i++) {
      provisioning.incrementAndGet();
      cluster.timeline().after(options.leadTime(), this::provisioned);
    }
    if (pending.isEmpty()) {
      for (String n : ScalePolicy.nodesToRemove(emptySince, now, options.idleAfter())) {
        cluster.removeNode(n);
        nodes.remove(n);
        emptySince.remove(n);
        removed.incrementAndGet();
      }
    }
  }

  private synchronized void provisioned() {
    provisioning.decrementAndGet();
    List<String> names = cluster.addNodes(options.shape().withCount(1));
    nodes.addAll(names);
    emptySince.keySet().removeAll(names);
    added.incrementAndGet();
  }

  private static boolean unschedulable(JsonNode pod) {
    for (JsonNode c : pod.path("status").path("conditions")) {
      if ("PodScheduled".equals(c.path("type").asText())
          && "False".equals(c.path("status").asText())
          && "Unschedulable".equals(c.path("reason").asText())) {
        return true;
      }
    }
    return false;
  }
}
