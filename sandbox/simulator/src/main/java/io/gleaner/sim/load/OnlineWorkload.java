package io.gleaner.sim.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.apiserver.ApiException;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Deployment-like online service in one simulated cluster whose replica count follows a {@link
 * LoadCurve}: {@code replicas = clamp(round(maxReplicas × cpu(t) / peakCpu), minReplicas,
 * maxReplicas)}, reconciled every {@code interval} of clock time. Pods are ordinary, non-Gleaner
 * pods (label {@code app=<name>}, {@value UsageModel#LOAD_LABEL}{@code =curve}, a PriorityClass of
 * value {@code priority}) created and deleted through the cluster's API storage, so schedulers,
 * watchers and descheduler see real pods.
 *
 * <p>Scaling down removes unscheduled pods first, then pods on the nodes with the fewest replicas
 * (newest first), consolidating the service so that nights leave whole nodes idle, as a cluster
 * with a consolidating autoscaler would.
 */
public final class OnlineWorkload {
  private static final Logger LOG = LoggerFactory.getLogger(OnlineWorkload.class);
  private static final ObjectMapper MAPPER = Serialization.jsonMapper();

  /** Service shape and scaling settings. */
  public record Options(
      String namespace,
      String name,
      int minReplicas,
      int maxReplicas,
      String cpu,
      String memory,
      int priority,
      Duration interval,
      LoadCurve curve) {
    public Options {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(curve, "curve");
      if (minReplicas < 0 || maxReplicas < minReplicas) {
        throw new IllegalArgumentException(
            "replicas must satisfy 0 <= minReplicas <= maxReplicas, got min="
                + minReplicas
                + " max="
                + maxReplicas);
      }
      if (interval.isZero() || interval.isNegative()) {
        throw new IllegalArgumentException("interval must be positive, got " + interval);
      }
    }

    /**
     * {@code online/web}, 1..maxReplicas pods of 1 CPU / 2Gi at priority 1000, reconciled every
     * minute.
     */
    public static Options defaults(int maxReplicas, LoadCurve curve) {
      return new Options(
          "online", "web", 1, maxReplicas, "1", "2Gi", 1000, Duration.ofMinutes(1), curve);
    }
  }

  private final SimulatedCluster cluster;
  private final ObjectStore store;
  private final Options options;
  private final AtomicLong counter = new AtomicLong();
  private volatile int desired = -1;

  public OnlineWorkload(SimulatedCluster cluster, Options options) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.store = cluster.store();
    this.options = Objects.requireNonNull(options, "options");
  }

  /** Creates namespace and PriorityClass if needed, reconciles now and then every interval. */
  public OnlineWorkload start() {
    if (store.get(ResourceTypes.NAMESPACES, null, options.namespace()) == null) {
      ObjectNode ns = MAPPER.createObjectNode();
      ns.putObject("metadata").put("name", options.namespace());
      create(ResourceTypes.NAMESPACES, null, ns);
    }
    if (store.get(ResourceTypes.PRIORITY_CLASSES, null, priorityClassName()) == null) {
      ObjectNode pc = MAPPER.createObjectNode();
      pc.putObject("metadata").put("name", priorityClassName());
      pc.put("value", options.priority());
      pc.put("description", "simulated online services");
      create(ResourceTypes.PRIORITY_CLASSES, null, pc);
    }
    reconcile();
    cluster.timeline().every(options.interval(), this::reconcile);
    return this;
  }

  private void create(io.gleaner.sim.apiserver.ResourceType type, String ns, ObjectNode o) {
    try {
      store.create(type, ns, o);
    } catch (ApiException e) {
      if (e.code() != 409) {
        throw e;
      }
    }
  }

  private String priorityClassName() {
    return "online-" + options.priority();
  }

  /** The service's shape and scaling settings. */
  public Options options() {
    return options;
  }

  /** The replica count the curve asks for at {@code t}. */
  public int desiredReplicas(Instant t) {
    double peak = options.curve().peakCpu();
    double share = peak <= 0 ? 0 : options.curve().cpu(t) / peak;
    long r = Math.round(options.maxReplicas() * share);
    return (int) Math.max(options.minReplicas(), Math.min(options.maxReplicas(), r));
  }

  /** The last reconciled target (-1 before the first reconcile). */
  public int desired() {
    return desired;
  }

  /** Replicas that exist and are not being deleted. */
  public List<ObjectNode> replicas() {
    return store
        .list(
            ResourceTypes.PODS,
            options.namespace(),
            p ->
                options.name().equals(p.path("metadata").path("labels").path("app").asText())
                    && !p.path("metadata").has("deletionTimestamp")
                    && !"Succeeded".equals(p.path("status").path("phase").asText())
                    && !"Failed".equals(p.path("status").path("phase").asText()))
        .items();
  }

  /** Creates or deletes replicas to match the curve now. */
  public void reconcile() {
    int want = desiredReplicas(cluster.clock().instant());
    desired = want;
    List<ObjectNode> pods = replicas();
    int have = pods.size();
    if (have < want) {
      for (int i = have; i < want; i++) {
        create(ResourceTypes.PODS, options.namespace(), podObject());
      }
    } else if (have > want) {
      for (ObjectNode victim : scaleDownOrder(pods).subList(0, have - want)) {
        try {
          store.delete(
              ResourceTypes.PODS,
              options.namespace(),
              victim.path("metadata").path("name").asText(),
              ObjectStore.DeleteOptions.DEFAULT);
        } catch (ApiException e) {
          if (e.code() != 404) {
            throw e;
          }
        }
      }
    }
    if (have != want) {
      LOG.debug(
          "cluster {}: online {}/{} {} -> {} replicas",
          cluster.name(),
          options.namespace(),
          options.name(),
          have,
          want);
    }
  }

  /**
   * Deletion order: unscheduled pods first, then repeatedly the newest pod of the node that has the
   * fewest replicas left (so nodes are emptied one after another).
   */
  static List<ObjectNode> scaleDownOrder(List<ObjectNode> pods) {
    Map<String, Integer> perNode = new HashMap<>();
    for (JsonNode p : pods) {
      perNode.merge(p.path("spec").path("nodeName").asText(""), 1, Integer::sum);
    }
    Comparator<ObjectNode> newestFirst =
        Comparator.<ObjectNode, String>comparing(
                p -> p.path("metadata").path("creationTimestamp").asText(),
                Comparator.reverseOrder())
            .thenComparing(
                p -> p.path("metadata").path("name").asText(), Comparator.reverseOrder());
    List<ObjectNode> remaining = new ArrayList<>(pods);
    List<ObjectNode> order = new ArrayList<>();
    while (!remaining.isEmpty()) {
      ObjectNode next =
          remaining.stream()
              .min(
                  Comparator.<ObjectNode>comparingInt(
                          p -> p.path("spec").path("nodeName").asText("").isEmpty() ? 0 : 1)
                      .thenComparingInt(
                          p -> perNode.get(p.path("spec").path("nodeName").asText("")))
                      .thenComparing(newestFirst))
              .orElseThrow();
      remaining.remove(next);
      perNode.merge(next.path("spec").path("nodeName").asText(""), -1, Integer::sum);
      order.add(next);
    }
    return order;
  }

  private ObjectNode podObject() {
    ObjectNode pod = MAPPER.createObjectNode();
    ObjectNode meta = pod.putObject("metadata");
    meta.put(
        "name",
        options.name()
            + "-"
            + Long.toString(counter.incrementAndGet(), 36)
            + "-"
            + Long.toString(cluster.clock().millis() % 1_000_000, 36));
    meta.putObject("labels").put("app", options.name()).put(UsageModel.LOAD_LABEL, "curve");
    ObjectNode spec = pod.putObject("spec");
    spec.put("priorityClassName", priorityClassName());
    ObjectNode c = spec.putArray("containers").addObject();
    c.put("name", options.name());
    c.put("image", "registry.example/online/" + options.name() + ":1");
    ObjectNode req = c.putObject("resources").putObject("requests");
    req.put("cpu", options.cpu());
    req.put("memory", options.memory());
    return pod;
  }
}
