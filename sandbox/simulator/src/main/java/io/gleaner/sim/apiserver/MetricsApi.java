package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code metrics.k8s.io/v1beta1} as metrics-server serves it: NodeMetrics and PodMetrics, got or
 * listed (with a label selector), made from the nodes and pods in the store and the usage that
 * {@link ServerExtensions} reports (a pod's usage goes to its first container). Objects without a
 * usage have no metrics.
 */
final class MetricsApi {
  private final ObjectStore store;
  private final ServerExtensions extensions;

  MetricsApi(ObjectStore store, ServerExtensions extensions) {
    this.store = store;
    this.extensions = extensions;
  }

  /** Whether {@code type} is a metrics type (served here, not from the store). */
  static boolean serves(ResourceType type) {
    return type.group().equals("metrics.k8s.io");
  }

  /**
   * The answer to a request for {@code type} ({@code nodes} or {@code pods} of metrics.k8s.io): one
   * object when {@code name} is given (404 without metrics), else the list; 405 unless GET.
   */
  ObjectNode get(
      HttpMethod method, ResourceType type, String namespace, String name, String labelSelector) {
    if (method != HttpMethod.GET) {
      throw HttpJson.methodNotAllowed();
    }
    boolean nodes = type.equals(ResourceTypes.NODE_METRICS);
    ResourceType source = nodes ? ResourceTypes.NODES : ResourceTypes.PODS;
    String ts = Times.format(store.clock().instant());
    if (name != null) {
      ObjectNode o = store.get(source, namespace, name);
      ObjectNode m = o == null ? null : metricsOf(nodes, o, ts);
      if (m == null) {
        throw new ApiException(
            404,
            "NotFound",
            (nodes ? "nodemetrics" : "podmetrics") + ".metrics.k8s.io \"" + name + "\" not found");
      }
      return m;
    }
    Predicate<JsonNode> filter =
        Selectors.predicate(Selectors.parseLabels(labelSelector), List.of());
    ObjectNode list = HttpJson.MAPPER.createObjectNode();
    list.put("kind", nodes ? "NodeMetricsList" : "PodMetricsList");
    list.put("apiVersion", "metrics.k8s.io/v1beta1");
    list.putObject("metadata");
    ArrayNode items = list.putArray("items");
    for (ObjectNode o : store.list(source, namespace, filter).items()) {
      ObjectNode m = metricsOf(nodes, o, ts);
      if (m != null) {
        items.add(m);
      }
    }
    return list;
  }

  private ObjectNode metricsOf(boolean node, ObjectNode o, String ts) {
    Map<String, String> usage = node ? extensions.nodeUsage(o) : extensions.podUsage(o);
    if (usage == null) {
      return null;
    }
    ObjectNode m = HttpJson.MAPPER.createObjectNode();
    m.put("kind", node ? "NodeMetrics" : "PodMetrics");
    m.put("apiVersion", "metrics.k8s.io/v1beta1");
    ObjectNode meta = m.putObject("metadata");
    meta.put("name", o.path("metadata").path("name").asText());
    if (!node) {
      meta.put("namespace", o.path("metadata").path("namespace").asText());
    }
    meta.put("creationTimestamp", ts);
    if (o.path("metadata").has("labels")) {
      meta.set("labels", o.path("metadata").get("labels"));
    }
    m.put("timestamp", ts);
    m.put("window", "30s");
    if (node) {
      ObjectNode u = m.putObject("usage");
      usage.forEach(u::put);
    } else {
      ArrayNode containers = m.putArray("containers");
      JsonNode specContainers = o.path("spec").path("containers");
      int n = Math.max(1, specContainers.size());
      boolean first = true;
      for (JsonNode c : specContainers) {
        ObjectNode cm = containers.addObject();
        cm.put("name", c.path("name").asText());
        ObjectNode u = cm.putObject("usage");
        if (first) {
          usage.forEach(u::put);
          first = false;
        } else {
          u.put("cpu", "0");
          u.put("memory", "0");
        }
      }
      if (n == 0) {
        containers.addObject().put("name", "main");
      }
    }
    return m;
  }
}
