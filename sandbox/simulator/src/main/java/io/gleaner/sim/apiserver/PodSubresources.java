package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * The {@code pods/eviction} (policy/v1) and {@code pods/binding} subresources, and the
 * pod-condition helpers they share with the simulated scheduler and kubelet.
 */
public final class PodSubresources {
  static final String PDB_VIOLATION =
      "Cannot evict pod as it would violate the pod's disruption budget.";

  private final ObjectStore store;

  public PodSubresources(ObjectStore store) {
    this.store = store;
  }

  /** The outcome of a PodDisruptionBudget check. */
  public record BudgetCheck(
      String pdbName, long desiredHealthy, long currentHealthy, long disruptionsAllowed) {}

  /**
   * Evicts a pod: 404 when it does not exist, 409 on a UID/resourceVersion precondition mismatch,
   * 429 when a matching PodDisruptionBudget allows no disruption, otherwise deletes it gracefully
   * (the pod gets a {@code DisruptionTarget} condition first, as in Kubernetes 1.26+).
   */
  public ObjectNode evict(String namespace, String name, JsonNode eviction) {
    return store.atomically(
        () -> {
          ObjectNode pod = store.require(ResourceTypes.PODS, namespace, name);
          ObjectStore.DeleteOptions options =
              ObjectStore.DeleteOptions.from(
                  eviction == null ? null : eviction.path("deleteOptions"));
          JsonNode meta = pod.path("metadata");
          if (options.uidPrecondition() != null
              && !options.uidPrecondition().equals(meta.path("uid").asText())) {
            throw ApiException.conflict(
                ResourceTypes.PODS,
                name,
                "Precondition failed: UID in precondition: "
                    + options.uidPrecondition()
                    + ", UID in object meta: "
                    + meta.path("uid").asText());
          }
          if (!canIgnoreBudget(pod)) {
            List<ObjectNode> pdbs = matchingBudgets(pod);
            if (pdbs.size() > 1) {
              throw new ApiException(
                  500,
                  "InternalError",
                  "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
            }
            if (pdbs.size() == 1) {
              BudgetCheck check = check(pdbs.get(0));
              if (check.disruptionsAllowed() <= 0) {
                throw new ApiException(
                    429,
                    "TooManyRequests",
                    PDB_VIOLATION,
                    null,
                    null,
                    List.of(
                        new ApiException.Cause(
                            "DisruptionBudget",
                            "The disruption budget "
                                + check.pdbName()
                                + " needs "
                                + check.desiredHealthy()
                                + " healthy pods and has "
                                + check.currentHealthy()
                                + " currently",
                            null)));
              }
            }
          }
          if (!meta.has("deletionTimestamp")) {
            store.mutate(
                ResourceTypes.PODS,
                namespace,
                name,
                p -> {
                  setCondition(
                      p,
                      "DisruptionTarget",
                      "True",
                      "EvictionByEvictionAPI",
                      "Eviction API: evicting",
                      store.clock().instant());
                  return p;
                });
          }
          store.delete(ResourceTypes.PODS, namespace, name, options);
          return ApiException.success(201);
        });
  }

  private static boolean canIgnoreBudget(JsonNode pod) {
    String phase = pod.path("status").path("phase").asText("");
    return pod.path("metadata").has("deletionTimestamp")
        || phase.equals("Succeeded")
        || phase.equals("Failed")
        || phase.equals("Pending");
  }

  private List<ObjectNode> matchingBudgets(JsonNode pod) {
    Map<String, String> labels = Selectors.labelsOf(pod);
    String ns = pod.path("metadata").path("namespace").asText();
    return store
        .list(
            ResourceTypes.PDBS,
            ns,
            pdb -> Selectors.matchesLabelSelector(pdb.path("spec").path("selector"), labels))
        .items();
  }

  /**
   * Computes what the disruption controller would publish for {@code pdb}: pods matching its
   * selector, how many of them are healthy (Running, Ready, not terminating), how many must stay
   * healthy.
   */
  public BudgetCheck check(JsonNode pdb) {
    String ns = pdb.path("metadata").path("namespace").asText();
    JsonNode selector = pdb.path("spec").path("selector");
    List<ObjectNode> pods =
        store
            .list(
                ResourceTypes.PODS,
                ns,
                p ->
                    Selectors.matchesLabelSelector(selector, Selectors.labelsOf(p))
                        && !isTerminal(p))
            .items();
    long expected = pods.size();
    long healthy = pods.stream().filter(PodSubresources::isHealthy).count();
    long desired;
    JsonNode spec = pdb.path("spec");
    if (spec.has("minAvailable")) {
      desired = scaled(spec.get("minAvailable"), expected, true);
    } else if (spec.has("maxUnavailable")) {
      desired = Math.max(0, expected - scaled(spec.get("maxUnavailable"), expected, true));
    } else {
      desired = expected;
    }
    long allowed = Math.max(0, healthy - desired);
    return new BudgetCheck(pdb.path("metadata").path("name").asText(), desired, healthy, allowed);
  }

  private static long scaled(JsonNode intOrPercent, long total, boolean roundUp) {
    if (intOrPercent.isNumber()) {
      return intOrPercent.asLong();
    }
    String s = intOrPercent.asText().trim();
    if (s.endsWith("%")) {
      long pct = Long.parseLong(s.substring(0, s.length() - 1));
      return roundUp ? (pct * total + 99) / 100 : pct * total / 100;
    }
    return Long.parseLong(s);
  }

  static boolean isTerminal(JsonNode pod) {
    String phase = pod.path("status").path("phase").asText("");
    return phase.equals("Succeeded") || phase.equals("Failed");
  }

  /** Running, Ready and not being deleted. */
  public static boolean isHealthy(JsonNode pod) {
    if (pod.path("metadata").has("deletionTimestamp")) {
      return false;
    }
    if (!"Running".equals(pod.path("status").path("phase").asText())) {
      return false;
    }
    for (JsonNode c : pod.path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        return "True".equals(c.path("status").asText());
      }
    }
    return false;
  }

  /**
   * Binds a pod to a node: 404 for an unknown pod, 409 when it is already bound, being deleted or
   * still has scheduling gates. Sets {@code spec.nodeName} and {@code PodScheduled=True}.
   */
  public ObjectNode bind(String namespace, String name, JsonNode binding) {
    String node = binding.path("target").path("name").asText("");
    if (node.isEmpty()) {
      throw ApiException.invalid(ResourceTypes.PODS, name, "target.name", "Required value");
    }
    return store.atomically(
        () -> {
          ObjectNode pod = store.require(ResourceTypes.PODS, namespace, name);
          String bound = pod.path("spec").path("nodeName").asText("");
          if (!bound.isEmpty()) {
            throw new ApiException(
                409,
                "Conflict",
                "Operation cannot be fulfilled on pods/binding \""
                    + name
                    + "\": pod "
                    + name
                    + " is already assigned to node \""
                    + bound
                    + "\"",
                "pods/binding",
                name,
                List.of());
          }
          if (pod.path("metadata").has("deletionTimestamp")) {
            throw ApiException.conflict(
                ResourceTypes.PODS,
                name,
                "pod " + name + " is being deleted, cannot be assigned to a host");
          }
          if (PodRules.isGated(pod)) {
            throw new ApiException(
                409,
                "Conflict",
                "Operation cannot be fulfilled on pods/binding \""
                    + name
                    + "\": pod "
                    + name
                    + " has non-empty .spec.schedulingGates",
                "pods/binding",
                name,
                List.of());
          }
          store.mutate(
              ResourceTypes.PODS,
              namespace,
              name,
              p -> {
                p.with("spec").put("nodeName", node);
                JsonNode annotations = binding.path("metadata").path("annotations");
                if (annotations.isObject() && !annotations.isEmpty()) {
                  p.with("metadata").with("annotations").setAll((ObjectNode) annotations);
                }
                setCondition(p, "PodScheduled", "True", null, null, store.clock().instant());
                return p;
              });
          return ApiException.success(201);
        });
  }

  /**
   * Sets a pod condition (adding it if absent); {@code lastTransitionTime} changes only when the
   * status does. Returns true if anything changed.
   */
  public static boolean setCondition(
      ObjectNode pod,
      String type,
      String status,
      String reason,
      String message,
      java.time.Instant now) {
    ObjectNode st = pod.with("status");
    ArrayNode conditions = ObjectStore.arrayOrNew(st, "conditions");
    ObjectNode c = null;
    for (JsonNode existing : conditions) {
      if (type.equals(existing.path("type").asText())) {
        c = (ObjectNode) existing;
      }
    }
    if (c == null) {
      c = conditions.addObject();
      c.put("type", type);
    }
    boolean changed =
        !status.equals(c.path("status").asText())
            || !eq(reason, c.path("reason").asText(null))
            || !eq(message, c.path("message").asText(null));
    if (!status.equals(c.path("status").asText()) || !c.has("lastTransitionTime")) {
      c.put("lastTransitionTime", Times.format(now));
    }
    c.put("status", status);
    if (!c.has("lastProbeTime")) {
      c.putNull("lastProbeTime");
    }
    if (reason != null) {
      c.put("reason", reason);
    } else {
      c.remove("reason");
    }
    if (message != null) {
      c.put("message", message);
    } else {
      c.remove("message");
    }
    return changed;
  }

  private static boolean eq(String a, String b) {
    return a == null ? b == null : a.equals(b);
  }

  static ObjectNode emptyObject() {
    return JsonNodeFactory.instance.objectNode();
  }
}
