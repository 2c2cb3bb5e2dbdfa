package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Type-specific defaulting, validation and side effects of the simulated API server, following the
 * registry strategies of kube-apiserver (pod status reset on create, priority admission, immutable
 * pod spec, graceful pod deletion, CRDs serving new resources, namespace deletion).
 */
final class Admission {
  private Admission() {}

  static final String DEFAULT_SCHEDULER = "default-scheduler";

  static void prepareCreate(ObjectStore store, ResourceType type, ObjectNode obj) {
    if (type.equals(ResourceTypes.PODS)) {
      preparePod(store, obj);
    } else if (type.equals(ResourceTypes.NAMESPACES)) {
      obj.with("status").put("phase", "Active");
    } else if (type.equals(ResourceTypes.CRDS)) {
      crdType(obj); // validates before storing
    } else if (type.equals(ResourceTypes.PRIORITY_CLASSES)) {
      if (!obj.has("value")) {
        throw ApiException.invalid(
            type, obj.path("metadata").path("name").asText(), "value", "Required value");
      }
      if (!obj.has("preemptionPolicy")) {
        obj.put("preemptionPolicy", "PreemptLowerPriority");
      }
    } else if (type.statusSubresource()
        && !type.equals(ResourceTypes.NODES)
        && !type.group().isEmpty()) {
      // Custom resources and other status-subresource types ignore status on create.
      obj.remove("status");
    }
  }

  static void afterCreate(ObjectStore store, ResourceType type, ObjectNode obj) {
    if (type.equals(ResourceTypes.CRDS)) {
      for (ResourceType t : crdType(obj)) {
        store.types().register(t);
        for (JsonNode v : obj.path("spec").path("versions")) {
          if (v.path("name").asText().equals(t.version())) {
            List<ResourceTypes.PrinterColumn> cols = new ArrayList<>();
            for (JsonNode c : v.path("additionalPrinterColumns")) {
              cols.add(
                  new ResourceTypes.PrinterColumn(
                      c.path("name").asText(),
                      c.path("type").asText("string"),
                      c.path("jsonPath").asText(),
                      c.path("priority").asInt(0)));
            }
            store.types().registerColumns(t, cols);
          }
        }
      }
    }
  }

  static void afterDelete(ObjectStore store, ResourceType type, ObjectNode obj) {
    if (type.equals(ResourceTypes.NAMESPACES)) {
      store.purgeNamespace(obj.path("metadata").path("name").asText());
    } else if (type.equals(ResourceTypes.CRDS)) {
      for (ResourceType t : crdType(obj)) {
        store.types().unregister(t);
      }
    }
  }

  static boolean mayRemoveWhenFinalized(ResourceType type, ObjectNode obj) {
    if (type.equals(ResourceTypes.PODS)) {
      return obj.path("metadata").path("deletionGracePeriodSeconds").asLong(0) == 0;
    }
    return true;
  }

  /**
   * The grace period a DELETE gets: pods use their termination grace period unless unbound or
   * terminal.
   */
  static long gracePeriod(ResourceType type, ObjectNode obj, ObjectStore.DeleteOptions options) {
    if (!type.equals(ResourceTypes.PODS)) {
      return 0;
    }
    String phase = obj.path("status").path("phase").asText("");
    if (obj.path("spec").path("nodeName").asText("").isEmpty()
        || phase.equals("Succeeded")
        || phase.equals("Failed")) {
      return 0;
    }
    long grace =
        options.gracePeriodSeconds() != null
            ? options.gracePeriodSeconds()
            : obj.path("spec").path("terminationGracePeriodSeconds").asLong(30);
    return grace < 0 ? 1 : grace;
  }

  private static void preparePod(ObjectStore store, ObjectNode pod) {
    ObjectNode spec = pod.with("spec");
    if (!spec.has("containers") || spec.get("containers").isEmpty()) {
      throw ApiException.invalid(
          ResourceTypes.PODS,
          pod.path("metadata").path("name").asText(),
          "spec.containers",
          "Required value");
    }
    for (JsonNode c : spec.get("containers")) {
      if (c.path("name").asText("").isEmpty() || c.path("image").asText("").isEmpty()) {
        throw ApiException.invalid(
            ResourceTypes.PODS,
            pod.path("metadata").path("name").asText(),
            "spec.containers[].name/image",
            "Required value");
      }
    }
    if (!spec.hasNonNull("schedulerName")) {
      spec.put("schedulerName", DEFAULT_SCHEDULER);
    }
    if (!spec.hasNonNull("terminationGracePeriodSeconds")) {
      spec.put("terminationGracePeriodSeconds", 30);
    }
    if (!spec.hasNonNull("restartPolicy")) {
      spec.put("restartPolicy", "Always");
    }
    if (!spec.hasNonNull("dnsPolicy")) {
      spec.put("dnsPolicy", "ClusterFirst");
    }
    defaultRequestsFromLimits(spec.get("containers"));
    defaultRequestsFromLimits(spec.get("initContainers"));
    String pcName = spec.path("priorityClassName").asText("");
    if (!pcName.isEmpty()) {
      ObjectNode pc = store.get(ResourceTypes.PRIORITY_CLASSES, null, pcName);
      if (pc == null) {
        throw new ApiException(
            403,
            "Forbidden",
            "pods \""
                + pod.path("metadata").path("name").asText()
                + "\" is forbidden: no PriorityClass with name "
                + pcName
                + " was found");
      }
      spec.put("priority", pc.path("value").asInt());
      if (!spec.hasNonNull("preemptionPolicy")) {
        spec.put("preemptionPolicy", pc.path("preemptionPolicy").asText("PreemptLowerPriority"));
      }
    } else {
      ObjectNode global = null;
      for (ObjectNode pc : store.list(ResourceTypes.PRIORITY_CLASSES)) {
        if (pc.path("globalDefault").asBoolean(false)) {
          global = pc;
        }
      }
      if (global != null) {
        spec.put("priorityClassName", global.path("metadata").path("name").asText());
        spec.put("priority", global.path("value").asInt());
        if (!spec.hasNonNull("preemptionPolicy")) {
          spec.put(
              "preemptionPolicy", global.path("preemptionPolicy").asText("PreemptLowerPriority"));
        }
      } else if (!spec.hasNonNull("priority")) {
        spec.put("priority", 0);
      }
    }
    if (!spec.hasNonNull("preemptionPolicy")) {
      spec.put("preemptionPolicy", "PreemptLowerPriority");
    }
    ObjectNode status = pod.putObject("status");
    status.put("phase", "Pending");
    status.put("qosClass", qosClass(spec));
  }

  private static void defaultRequestsFromLimits(JsonNode containers) {
    if (containers == null) {
      return;
    }
    for (JsonNode c : containers) {
      JsonNode limits = c.path("resources").path("limits");
      if (limits.isObject() && !limits.isEmpty()) {
        ObjectNode requests = ((ObjectNode) c).with("resources").with("requests");
        limits
            .fields()
            .forEachRemaining(
                e -> {
                  if (!requests.has(e.getKey())) {
                    requests.set(e.getKey(), e.getValue().deepCopy());
                  }
                });
      }
    }
  }

  private static String qosClass(JsonNode spec) {
    boolean any = false;
    boolean guaranteed = true;
    for (JsonNode c : spec.path("containers")) {
      JsonNode req = c.path("resources").path("requests");
      JsonNode lim = c.path("resources").path("limits");
      if (req.size() > 0 || lim.size() > 0) {
        any = true;
      }
      for (String r : List.of("cpu", "memory")) {
        if (!lim.has(r)
            || !Objects.equals(lim.path(r).asText(), req.path(r).asText(lim.path(r).asText()))) {
          guaranteed = false;
        }
      }
    }
    if (!any) {
      return "BestEffort";
    }
    return guaranteed ? "Guaranteed" : "Burstable";
  }

  /**
   * Pod updates may change only images, activeDeadlineSeconds, tolerations (additions) and
   * terminationGracePeriodSeconds, as the real pod validation enforces.
   */
  static void validateUpdate(
      ObjectStore store, ResourceType type, ObjectNode current, ObjectNode next) {
    if (!type.equals(ResourceTypes.PODS)) {
      return;
    }
    ObjectNode a = stripMutable(current.path("spec"));
    ObjectNode b = stripMutable(next.path("spec"));
    if (!a.equals(b)) {
      throw ApiException.invalid(
          ResourceTypes.PODS,
          current.path("metadata").path("name").asText(),
          "spec",
          "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
              + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
              + "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
              + "previously negative)");
    }
    Set<JsonNode> before = new java.util.HashSet<>();
    current.path("spec").path("tolerations").forEach(before::add);
    Set<JsonNode> after = new java.util.HashSet<>();
    next.path("spec").path("tolerations").forEach(after::add);
    if (!after.containsAll(before)) {
      throw ApiException.invalid(
          ResourceTypes.PODS,
          current.path("metadata").path("name").asText(),
          "spec.tolerations",
          "Forbidden: existing toleration can not be modified except its tolerationSeconds");
    }
  }

  private static ObjectNode stripMutable(JsonNode spec) {
    ObjectNode s =
        spec.isObject()
            ? ((ObjectNode) spec).deepCopy()
            : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    s.remove("activeDeadlineSeconds");
    s.remove("tolerations");
    s.remove("terminationGracePeriodSeconds");
    for (String list : List.of("containers", "initContainers")) {
      if (s.get(list) instanceof ArrayNode arr) {
        for (JsonNode c : arr) {
          ((ObjectNode) c).remove("image");
        }
      }
    }
    return s;
  }

  /** The served types a CRD object declares (one per served version). */
  static List<ResourceType> crdType(ObjectNode crd) {
    JsonNode spec = crd.path("spec");
    String group = spec.path("group").asText("");
    JsonNode names = spec.path("names");
    String plural = names.path("plural").asText("");
    String kind = names.path("kind").asText("");
    if (group.isEmpty() || plural.isEmpty() || kind.isEmpty()) {
      throw ApiException.invalid(
          ResourceTypes.CRDS,
          crd.path("metadata").path("name").asText(),
          "spec.group/spec.names.plural/spec.names.kind",
          "Required value");
    }
    boolean namespaced = !"Cluster".equals(spec.path("scope").asText("Namespaced"));
    List<String> shortNames = new ArrayList<>();
    names.path("shortNames").forEach(n -> shortNames.add(n.asText()));
    List<String> categories = new ArrayList<>();
    names.path("categories").forEach(n -> categories.add(n.asText()));
    List<ResourceType> result = new ArrayList<>();
    for (JsonNode v : spec.path("versions")) {
      if (!v.path("served").asBoolean(true)) {
        continue;
      }
      boolean status =
          v.path("subresources").has("status") || spec.path("subresources").has("status");
      Set<String> fields = new java.util.HashSet<>();
      v.path("selectableFields")
          .forEach(f -> fields.add(f.path("jsonPath").asText().replaceFirst("^\\.", "")));
      result.add(
          new ResourceType(
              group,
              v.path("name").asText(),
              plural,
              names.path("singular").asText(plural),
              kind,
              namespaced,
              shortNames,
              status,
              fields,
              categories));
    }
    return result;
  }
}
