package io.gleaner.sim.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import io.gleaner.meta.resources.Resources;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node and the pods the scheduler accounts to it. Not thread-safe: owned by one scheduling loop.
 */
public final class NodeInfo {
  private final String name;
  private Node node;
  private Resources allocatable;
  private Map<String, String> labels;
  private List<Taint> taints;
  private boolean unschedulable;
  private Resources requested = Resources.ZERO;
  private final Map<String, PodInfo> pods = new LinkedHashMap<>();

  private com.fasterxml.jackson.databind.JsonNode json;

  public NodeInfo(Node node) {
    this.name = node.getMetadata().getName();
    update(node);
  }

  /** From the stored JSON form (cheaper than converting to a fabric8 Node). */
  public NodeInfo(com.fasterxml.jackson.databind.JsonNode json) {
    this.name = json.path("metadata").path("name").asText();
    update(json);
  }

  public void update(Node node) {
    this.node = node;
    this.allocatable =
        node.getStatus() == null
            ? Resources.ZERO
            : Resources.fromQuantities(node.getStatus().getAllocatable());
    this.labels =
        node.getMetadata().getLabels() == null
            ? Map.of()
            : Map.copyOf(node.getMetadata().getLabels());
    this.taints =
        node.getSpec() == null || node.getSpec().getTaints() == null
            ? List.of()
            : List.copyOf(node.getSpec().getTaints());
    this.unschedulable =
        node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable());
  }

  public void update(com.fasterxml.jackson.databind.JsonNode n) {
    this.json = n;
    this.node = null;
    Map<String, String> q = new java.util.HashMap<>();
    n.path("status")
        .path("allocatable")
        .fields()
        .forEachRemaining(e -> q.put(e.getKey(), e.getValue().asText()));
    this.allocatable = Resources.parse(q);
    Map<String, String> l = new java.util.HashMap<>();
    n.path("metadata")
        .path("labels")
        .fields()
        .forEachRemaining(e -> l.put(e.getKey(), e.getValue().asText()));
    this.labels = Map.copyOf(l);
    List<Taint> t = new java.util.ArrayList<>();
    for (com.fasterxml.jackson.databind.JsonNode taint : n.path("spec").path("taints")) {
      t.add(
          new io.fabric8.kubernetes.api.model.TaintBuilder()
              .withKey(taint.path("key").asText(null))
              .withValue(taint.path("value").asText(null))
              .withEffect(taint.path("effect").asText(null))
              .build());
    }
    this.taints = List.copyOf(t);
    this.unschedulable = n.path("spec").path("unschedulable").asBoolean(false);
  }

  public String name() {
    return name;
  }

  /** The node as a fabric8 object (converted on first use when built from JSON). */
  public Node node() {
    if (node == null && json != null) {
      node =
          io.fabric8.kubernetes.client.utils.Serialization.jsonMapper()
              .convertValue(json, Node.class);
    }
    return node;
  }

  public Resources allocatable() {
    return allocatable;
  }

  public Map<String, String> labels() {
    return labels;
  }

  public List<Taint> taints() {
    return taints;
  }

  public boolean unschedulable() {
    return unschedulable;
  }

  /** Sum of requests of the pods on the node (terminating ones included, terminal ones not). */
  public Resources requested() {
    return requested;
  }

  public Map<String, PodInfo> pods() {
    return pods;
  }

  public void addPod(PodInfo pod) {
    PodInfo old = pods.put(pod.key(), pod);
    if (old != null) {
      requested = requested.minus(old.requests());
    }
    requested = requested.plus(pod.requests());
  }

  public void removePod(String key) {
    PodInfo old = pods.remove(key);
    if (old != null) {
      requested = requested.minus(old.requests());
    }
  }
}
