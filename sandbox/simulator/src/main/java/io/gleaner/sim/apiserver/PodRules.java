package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The pod rules of kube-apiserver's pod strategy and admission: defaulting on create (scheduler,
 * grace period, restart and DNS policy, requests from limits, priority from the PriorityClass or
 * the global default, QoS class) with the status reset to Pending, ResourceQuota admission ({@link
 * QuotaRules}), a spec that is immutable except images, activeDeadlineSeconds, added tolerations
 * and the grace period, and graceful deletion.
 *
 * <p>Scheduling gates ({@code spec.schedulingGates}, Pod Scheduling Readiness, GA in 1.30) as the
 * real API keeps them: names unique; a pod may not be created with both a node name and gates; a
 * gated pod is created with {@code PodScheduled=False} reason {@value #SCHEDULING_GATED} (the pod
 * strategy's {@code PrepareForCreate} sets it, not the scheduler); an update may remove gates in
 * any order but never add one; and the binding subresource refuses a gated pod ({@link
 * PodSubresources#bind}).
 *
 * <p>{@code spec.activeDeadlineSeconds} as the pod validation checks it: between 1 and {@value
 * #MAX_ACTIVE_DEADLINE} on create and update (the pod spec's rule), and on update only set from
 * unset or lowered (the update's rule): raising it or unsetting it is refused, as is an update
 * value outside 0..{@value #MAX_ACTIVE_DEADLINE}. The simulated kubelet fails a pod at its
 * deadline.
 */
final class PodRules implements ResourceRules {
  static final String DEFAULT_SCHEDULER = "default-scheduler";

  /** The reason of {@code PodScheduled=False} on a pod created with scheduling gates. */
  public static final String SCHEDULING_GATED = "SchedulingGated";

  /** Its message, in the API server's words. */
  public static final String SCHEDULING_GATED_MESSAGE =
      "Scheduling is blocked due to non-empty scheduling gates";

  /** The largest {@code spec.activeDeadlineSeconds} the API accepts (a Go int32). */
  public static final long MAX_ACTIVE_DEADLINE = Integer.MAX_VALUE;

  private static final String ACTIVE_DEADLINE = "spec.activeDeadlineSeconds";

  @Override
  public void prepareCreate(ObjectStore store, ObjectNode pod) {
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
    List<ApiException.Cause> deadline = new ArrayList<>();
    validateDeadlineInSpec(spec, deadline);
    throwIfAny(pod.path("metadata").path("name").asText(), deadline);
    validateGatesOnCreate(pod);
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
    if (isGated(pod)) {
      PodSubresources.setCondition(
          pod,
          "PodScheduled",
          "False",
          SCHEDULING_GATED,
          SCHEDULING_GATED_MESSAGE,
          store.clock().instant());
    }
    QuotaRules.admit(store, pod);
  }

  /** True when the pod has at least one scheduling gate: no scheduler may bind it. */
  public static boolean isGated(JsonNode pod) {
    return pod.path("spec").path("schedulingGates").size() > 0;
  }

  /**
   * The create-time checks of {@code spec.schedulingGates}: each name appears once, and a pod with
   * a gate has no node name yet (the API's {@code validatePodCreate}).
   */
  private static void validateGatesOnCreate(ObjectNode pod) {
    String name = pod.path("metadata").path("name").asText();
    JsonNode gates = pod.path("spec").path("schedulingGates");
    Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < gates.size(); i++) {
      String gate = gates.get(i).path("name").asText("");
      if (gate.isEmpty()) {
        throw fieldError(
            name, "spec.schedulingGates[" + i + "].name", "FieldValueRequired", "Required value");
      }
      if (!seen.add(gate)) {
        throw fieldError(
            name,
            "spec.schedulingGates[" + i + "]",
            "FieldValueDuplicate",
            "Duplicate value: \"" + gate + "\"");
      }
    }
    if (gates.size() > 0 && !pod.path("spec").path("nodeName").asText("").isEmpty()) {
      throw fieldError(
          name,
          "spec.nodeName",
          "FieldValueForbidden",
          "Forbidden: cannot be set until all schedulingGates have been cleared");
    }
  }

  /**
   * An update may only remove scheduling gates (the API's {@code
   * validateOnlyDeletedSchedulingGates}): one that names a gate the pod did not have is refused.
   */
  private static void validateOnlyDeletedGates(ObjectNode current, ObjectNode next) {
    Set<String> before = new java.util.HashSet<>();
    current.path("spec").path("schedulingGates").forEach(g -> before.add(g.path("name").asText()));
    JsonNode after = next.path("spec").path("schedulingGates");
    for (int i = 0; i < after.size(); i++) {
      String gate = after.get(i).path("name").asText();
      if (!before.contains(gate)) {
        throw fieldError(
            current.path("metadata").path("name").asText(),
            "spec.schedulingGates[" + i + "].name",
            "FieldValueForbidden",
            "Forbidden: only deletion is allowed, but found new scheduling gate '" + gate + "'");
      }
    }
  }

  private static ApiException fieldError(
      String name, String field, String causeType, String message) {
    return ApiException.invalid(
        ResourceTypes.PODS, name, List.of(new ApiException.Cause(causeType, message, field)));
  }

  private static void throwIfAny(String name, List<ApiException.Cause> causes) {
    if (!causes.isEmpty()) {
      throw ApiException.invalid(ResourceTypes.PODS, name, causes);
    }
  }

  private static ApiException.Cause invalidDeadline(String value, String detail) {
    return new ApiException.Cause(
        "FieldValueInvalid", "Invalid value: " + value + ": " + detail, ACTIVE_DEADLINE);
  }

  /** Whether a set deadline lies within {@code min..}{@link #MAX_ACTIVE_DEADLINE}. */
  private static boolean deadlineWithin(JsonNode deadline, long min) {
    if (!deadline.canConvertToLong()) {
      return false;
    }
    long v = deadline.asLong();
    return v >= min && v <= MAX_ACTIVE_DEADLINE;
  }

  /**
   * The pod spec's rule, on create and update: a set deadline is 1..{@value #MAX_ACTIVE_DEADLINE}.
   */
  private static void validateDeadlineInSpec(JsonNode spec, List<ApiException.Cause> errors) {
    JsonNode deadline = spec.path("activeDeadlineSeconds");
    if (!deadline.isMissingNode() && !deadline.isNull() && !deadlineWithin(deadline, 1)) {
      errors.add(
          invalidDeadline(
              deadline.asText(), "must be between 1 and " + MAX_ACTIVE_DEADLINE + ", inclusive"));
    }
  }

  /**
   * The update's rule (after the spec's): a deadline may be set from unset or lowered, to a value
   * within 0..{@value #MAX_ACTIVE_DEADLINE}; it may not be raised or unset.
   */
  private static void validateDeadlineUpdate(
      JsonNode currentSpec, JsonNode nextSpec, List<ApiException.Cause> errors) {
    JsonNode before = currentSpec.path("activeDeadlineSeconds");
    JsonNode after = nextSpec.path("activeDeadlineSeconds");
    boolean wasSet = !before.isMissingNode() && !before.isNull();
    if (!after.isMissingNode() && !after.isNull()) {
      if (!deadlineWithin(after, 0)) {
        errors.add(
            invalidDeadline(
                after.asText(), "must be between 0 and " + MAX_ACTIVE_DEADLINE + ", inclusive"));
      } else if (wasSet && before.canConvertToLong() && before.asLong() < after.asLong()) {
        errors.add(invalidDeadline(after.asText(), "must be less than or equal to previous value"));
      }
    } else if (wasSet) {
      errors.add(invalidDeadline("null", "must not update from a positive integer to nil value"));
    }
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
   * Pod updates may change only images, activeDeadlineSeconds (set or lowered), tolerations
   * (additions), terminationGracePeriodSeconds and scheduling gates (removals), as the real pod
   * validation enforces (a gated pod's additions to its node selector and affinity, which the real
   * API also allows, are not simulated). The deadline's errors come first, all of them together, as
   * the real validation lists them before the others; the first other error found is reported
   * alone.
   */
  @Override
  public void validateUpdate(ObjectNode current, ObjectNode next) {
    List<ApiException.Cause> deadline = new ArrayList<>();
    validateDeadlineInSpec(next.path("spec"), deadline);
    validateDeadlineUpdate(current.path("spec"), next.path("spec"), deadline);
    throwIfAny(current.path("metadata").path("name").asText(), deadline);
    validateOnlyDeletedGates(current, next);
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
    s.remove("schedulingGates");
    for (String list : List.of("containers", "initContainers")) {
      if (s.get(list) instanceof ArrayNode arr) {
        for (JsonNode c : arr) {
          ((ObjectNode) c).remove("image");
        }
      }
    }
    return s;
  }

  /**
   * Pods use their termination grace period (or the request's) unless unbound or terminal; the
   * simulated kubelet removes them when it ends.
   */
  @Override
  public long gracePeriod(ObjectNode obj, ObjectStore.DeleteOptions options) {
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

  /** A pod marked for deletion with a grace period waits for it to end, finalizers or not. */
  @Override
  public boolean mayRemoveWhenFinalized(ObjectNode obj) {
    return obj.path("metadata").path("deletionGracePeriodSeconds").asLong(0) == 0;
  }

  /** Pods carry no {@code metadata.generation}. */
  @Override
  public boolean hasGeneration() {
    return false;
  }
}
