package io.gleaner.sim.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the simulated scheduler needs to know about a pod, derived once per pod version from its
 * stored JSON (only the small scheduling-relevant subtrees are converted to fabric8 types).
 *
 * <p>Its effective requests are computed here, deliberately independently of {@code
 * io.gleaner.meta.kube.PodRequests}: the simulator plays kube-scheduler as the test oracle for the
 * services, so it must not share their code (a mistake shared by both would pass every test).
 * Native sidecars (init containers with {@code restartPolicy: Always}) are not modelled yet: they
 * count as ordinary init containers.
 *
 * @param requests effective requests: sum over containers, at least each init container, plus
 *     overhead, plus one {@code pods}
 * @param phase {@code status.phase}
 */
public record PodInfo(
    String key,
    String namespace,
    String name,
    String uid,
    JsonNode json,
    Resources requests,
    int priority,
    boolean preemptNever,
    String nodeName,
    String nominatedNodeName,
    boolean terminating,
    boolean terminal,
    String schedulerName,
    String groupName,
    Instant created,
    String phase,
    List<Toleration> tolerations,
    Map<String, String> nodeSelector,
    NodeSelector requiredAffinity) {

  /** Annotation Volcano uses to put a pod in a PodGroup. */
  public static final String GROUP_NAME_ANNOTATION = "scheduling.k8s.io/group-name";

  private static final ObjectMapper MAPPER = Serialization.jsonMapper();

  public static PodInfo of(Pod pod) {
    return of(MAPPER.valueToTree(pod));
  }

  public static PodInfo of(JsonNode pod) {
    JsonNode meta = pod.path("metadata");
    JsonNode spec = pod.path("spec");
    String phase = pod.path("status").path("phase").asText("");
    String ns = meta.path("namespace").asText();
    String name = meta.path("name").asText();
    List<Toleration> tolerations = new ArrayList<>();
    for (JsonNode t : spec.path("tolerations")) {
      tolerations.add(MAPPER.convertValue(t, Toleration.class));
    }
    Map<String, String> selector = new HashMap<>();
    spec.path("nodeSelector")
        .fields()
        .forEachRemaining(e -> selector.put(e.getKey(), e.getValue().asText()));
    JsonNode required =
        spec.path("affinity")
            .path("nodeAffinity")
            .path("requiredDuringSchedulingIgnoredDuringExecution");
    String created = meta.path("creationTimestamp").asText("");
    return new PodInfo(
        ns + "/" + name,
        ns,
        name,
        meta.path("uid").asText(),
        pod,
        requestsOf(spec),
        spec.path("priority").asInt(0),
        "Never".equals(spec.path("preemptionPolicy").asText()),
        emptyToNull(spec.path("nodeName").asText("")),
        emptyToNull(pod.path("status").path("nominatedNodeName").asText("")),
        meta.has("deletionTimestamp"),
        phase.equals("Succeeded") || phase.equals("Failed"),
        spec.path("schedulerName").asText("default-scheduler"),
        emptyToNull(meta.path("annotations").path(GROUP_NAME_ANNOTATION).asText("")),
        created.isEmpty() ? Instant.EPOCH : Instant.parse(created),
        phase,
        List.copyOf(tolerations),
        Map.copyOf(selector),
        required.isObject() ? MAPPER.convertValue(required, NodeSelector.class) : null);
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /**
   * Effective requests as the scheduler computes them (requests default to limits when only limits
   * are set).
   */
  public static Resources requestsOf(JsonNode spec) {
    Resources sum = Resources.ZERO;
    for (JsonNode c : spec.path("containers")) {
      sum = sum.plus(containerRequests(c));
    }
    for (JsonNode c : spec.path("initContainers")) {
      sum = sum.max(containerRequests(c));
    }
    if (spec.path("overhead").isObject()) {
      sum = sum.plus(quantities(spec.path("overhead")));
    }
    return sum.with(Resources.PODS, 1);
  }

  private static Resources containerRequests(JsonNode c) {
    Map<String, String> requests = new HashMap<>();
    c.path("resources")
        .path("limits")
        .fields()
        .forEachRemaining(e -> requests.put(e.getKey(), e.getValue().asText()));
    c.path("resources")
        .path("requests")
        .fields()
        .forEachRemaining(e -> requests.put(e.getKey(), e.getValue().asText()));
    return Resources.parse(requests);
  }

  private static Resources quantities(JsonNode map) {
    Map<String, String> q = new HashMap<>();
    map.fields().forEachRemaining(e -> q.put(e.getKey(), e.getValue().asText()));
    return Resources.parse(q);
  }

  /** Has scheduling gates ({@code spec.schedulingGates}): not to be scheduled yet. */
  public boolean gated() {
    return json.path("spec").path("schedulingGates").size() > 0;
  }

  /** Bound to a node and still holding its resources. */
  public boolean occupiesNode() {
    return nodeName != null && !terminal;
  }
}
