package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.gleaner.meta.resources.Quantities;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * ResourceQuotas of pods, as kube-apiserver's ResourceQuota admission plugin and the quota
 * controller keep them: a pod whose create would take a quota that matches it over {@code
 * spec.hard} is refused with 403 Forbidden ({@code exceeded quota: <name>, requested: ..., used:
 * ..., limited: ...}, only the resources that overflow, sorted); a pod that leaves cpu or memory
 * unset where a quota limits it is refused ({@code failed quota: <name>: must specify ...}); {@code
 * status.hard} follows {@code spec.hard} and {@code status.used} counts every non-terminal pod the
 * quota matches, recomputed as pods come, end and go.
 *
 * <p>Tracked for pods: {@code pods} and {@code count/pods}; {@code cpu}, {@code memory}, {@code
 * ephemeral-storage} and {@code requests.<resource>} (any resource, e.g. {@code
 * requests.nvidia.com/gpu}) from the effective requests (the larger of the containers' sum and the
 * largest init container); {@code limits.<resource>} likewise from limits. Scopes: {@code
 * Terminating} / {@code NotTerminating} ({@code activeDeadlineSeconds} set or not), {@code
 * BestEffort} / {@code NotBestEffort} (the QoS class), {@code PriorityClass} (a priority class
 * set), and {@code scopeSelector.matchExpressions} on those with {@code In}, {@code NotIn}, {@code
 * Exists} and {@code DoesNotExist} ({@code In}/{@code NotIn} on {@code PriorityClass} compare the
 * pod's {@code priorityClassName}, after defaulting).
 */
final class QuotaRules implements ResourceRules {
  private static final Set<String> MUST_SPECIFY =
      Set.of("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory");

  @Override
  public void prepareCreate(ObjectStore store, ObjectNode quota) {
    JsonNode hard = quota.path("spec").path("hard");
    String name = quota.path("metadata").path("name").asText();
    for (Iterator<Map.Entry<String, JsonNode>> it = hard.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      try {
        Quantities.parseCanonical(base(e.getKey()), e.getValue().asText());
      } catch (InvalidQuantityException ex) {
        throw ApiException.invalid(
            ResourceTypes.RESOURCE_QUOTAS, name, "spec.hard[" + e.getKey() + "]", ex.getMessage());
      }
    }
    quota.set("status", status(quota, podsOf(store, quota)));
  }

  /** A changed {@code spec.hard} or scope is in the status at once (the controller's resync). */
  @Override
  public void afterUpdate(ObjectStore store, ObjectNode quota) {
    recount(store, quota.path("metadata").path("namespace").asText());
  }

  /**
   * Refuses {@code pod} (defaulted, not yet stored) when a quota of its namespace that matches it
   * would be exceeded, or needs a request the pod does not set.
   */
  static void admit(ObjectStore store, ObjectNode pod) {
    String ns = pod.path("metadata").path("namespace").asText();
    List<ObjectNode> quotas = store.list(ResourceTypes.RESOURCE_QUOTAS, ns, q -> true).items();
    if (quotas.isEmpty() || terminal(pod)) {
      return;
    }
    String podName = pod.path("metadata").path("name").asText();
    for (ObjectNode quota : quotas) {
      if (!matches(quota, pod)) {
        continue;
      }
      String quotaName = quota.path("metadata").path("name").asText();
      JsonNode hard = quota.path("spec").path("hard");
      Set<String> missing = new TreeSet<>();
      for (Iterator<String> it = hard.fieldNames(); it.hasNext(); ) {
        String r = it.next();
        if (MUST_SPECIFY.contains(r) && !specifiesInEveryContainer(pod, r)) {
          missing.add(r);
        }
      }
      if (!missing.isEmpty()) {
        throw forbidden(
            podName, "failed quota: " + quotaName + ": must specify " + String.join(",", missing));
      }
      Map<String, Long> used = usedBy(podsOf(store, quota), hard);
      Map<String, String> requested = new TreeMap<>();
      Map<String, String> usedText = new TreeMap<>();
      Map<String, String> limited = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = hard.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String r = e.getKey();
        long want = usage(pod, r);
        if (want <= 0) {
          continue;
        }
        long limit = Quantities.parseCanonical(base(r), e.getValue().asText());
        long now = used.getOrDefault(r, 0L);
        if (now + want > limit) {
          requested.put(r, format(r, want));
          usedText.put(r, format(r, now));
          limited.put(r, e.getValue().asText());
        }
      }
      if (!requested.isEmpty()) {
        throw forbidden(
            podName,
            "exceeded quota: "
                + quotaName
                + ", requested: "
                + joined(requested)
                + ", used: "
                + joined(usedText)
                + ", limited: "
                + joined(limited));
      }
    }
  }

  /** Recomputes {@code status} of every quota in {@code namespace} (after a pod change). */
  static void recount(ObjectStore store, String namespace) {
    for (ObjectNode quota :
        store.list(ResourceTypes.RESOURCE_QUOTAS, namespace, q -> true).items()) {
      ObjectNode status = status(quota, podsOf(store, quota));
      if (!status.equals(quota.path("status"))) {
        store.mutate(
            ResourceTypes.RESOURCE_QUOTAS,
            namespace,
            quota.path("metadata").path("name").asText(),
            q -> {
              q.set("status", status);
              return q;
            });
      }
    }
  }

  /** Whether {@code namespace} holds any quota (a cheap test before {@link #recount}). */
  static boolean any(ObjectStore store, String namespace) {
    return !store.list(ResourceTypes.RESOURCE_QUOTAS, namespace, q -> true).items().isEmpty();
  }

  private static ObjectNode status(ObjectNode quota, List<ObjectNode> pods) {
    JsonNode hard = quota.path("spec").path("hard");
    ObjectNode status = quota.objectNode();
    status.set("hard", hard.deepCopy());
    ObjectNode used = status.putObject("used");
    Map<String, Long> sums = usedBy(pods, hard);
    for (Iterator<String> it = hard.fieldNames(); it.hasNext(); ) {
      String r = it.next();
      used.put(r, format(r, sums.getOrDefault(r, 0L)));
    }
    return status;
  }

  private static List<ObjectNode> podsOf(ObjectStore store, ObjectNode quota) {
    String ns = quota.path("metadata").path("namespace").asText();
    return store
        .list(ResourceTypes.PODS, ns, p -> !terminal(p) && matches(quota, (ObjectNode) p))
        .items();
  }

  private static Map<String, Long> usedBy(List<ObjectNode> pods, JsonNode hard) {
    Map<String, Long> sums = new TreeMap<>();
    for (Iterator<String> it = hard.fieldNames(); it.hasNext(); ) {
      String r = it.next();
      long sum = 0;
      for (ObjectNode p : pods) {
        sum += usage(p, r);
      }
      sums.put(r, sum);
    }
    return sums;
  }

  private static boolean terminal(JsonNode pod) {
    String phase = pod.path("status").path("phase").asText("");
    return phase.equals("Succeeded") || phase.equals("Failed");
  }

  /** What one pod takes of quota resource {@code r}, in the canonical unit of its base resource. */
  static long usage(JsonNode pod, String r) {
    if (r.equals("pods") || r.equals("count/pods")) {
      return 1;
    }
    String field;
    String resource;
    if (r.startsWith("requests.")) {
      field = "requests";
      resource = r.substring("requests.".length());
    } else if (r.startsWith("limits.")) {
      field = "limits";
      resource = r.substring("limits.".length());
    } else if (r.equals("cpu") || r.equals("memory") || r.equals("ephemeral-storage")) {
      field = "requests";
      resource = r;
    } else {
      return 0; // object counts of other kinds, services.*, storage: not a pod's
    }
    JsonNode spec = pod.path("spec");
    long sum = 0;
    for (JsonNode c : spec.path("containers")) {
      sum += amount(c, field, resource);
    }
    long init = 0;
    for (JsonNode c : spec.path("initContainers")) {
      init = Math.max(init, amount(c, field, resource));
    }
    return Math.max(sum, init);
  }

  private static long amount(JsonNode container, String field, String resource) {
    JsonNode q = container.path("resources").path(field).path(resource);
    return q.isMissingNode() || q.isNull() ? 0 : Quantities.parseCanonical(resource, q.asText());
  }

  private static boolean specifiesInEveryContainer(JsonNode pod, String r) {
    String resource = r.contains(".") ? r.substring(r.indexOf('.') + 1) : r;
    String field = r.startsWith("limits.") ? "limits" : "requests";
    for (JsonNode c : pod.path("spec").path("containers")) {
      if (!c.path("resources").path(field).has(resource)) {
        return false;
      }
    }
    return true;
  }

  /** Whether every scope of {@code quota} (and every expression of its selector) takes the pod. */
  static boolean matches(ObjectNode quota, ObjectNode pod) {
    JsonNode spec = quota.path("spec");
    for (JsonNode scope : spec.path("scopes")) {
      if (!scopeHolds(scope.asText(), "Exists", List.of(), pod)) {
        return false;
      }
    }
    for (JsonNode expr : spec.path("scopeSelector").path("matchExpressions")) {
      List<String> values = new ArrayList<>();
      expr.path("values").forEach(v -> values.add(v.asText()));
      if (!scopeHolds(
          expr.path("scopeName").asText(), expr.path("operator").asText(), values, pod)) {
        return false;
      }
    }
    return true;
  }

  private static boolean scopeHolds(
      String scope, String operator, List<String> values, ObjectNode pod) {
    JsonNode spec = pod.path("spec");
    if (scope.equals("PriorityClass")) {
      String pc = spec.path("priorityClassName").asText("");
      return switch (operator) {
        case "In" -> values.contains(pc);
        case "NotIn" -> !values.contains(pc);
        case "Exists" -> !pc.isEmpty();
        case "DoesNotExist" -> pc.isEmpty();
        default -> false;
      };
    }
    boolean holds =
        switch (scope) {
          case "Terminating" -> spec.path("activeDeadlineSeconds").asLong(-1) >= 0;
          case "NotTerminating" -> spec.path("activeDeadlineSeconds").asLong(-1) < 0;
          case "BestEffort" -> "BestEffort".equals(pod.path("status").path("qosClass").asText());
          case "NotBestEffort" ->
              !"BestEffort".equals(pod.path("status").path("qosClass").asText());
          default -> false; // CrossNamespacePodAffinity: no simulated pod has such terms
        };
    return operator.equals("DoesNotExist") ? !holds : holds;
  }

  private static String base(String r) {
    if (r.startsWith("requests.")) {
      return r.substring("requests.".length());
    }
    if (r.startsWith("limits.")) {
      return r.substring("limits.".length());
    }
    return r;
  }

  private static String format(String r, long canonical) {
    return Quantities.format(base(r), canonical);
  }

  private static String joined(Map<String, String> m) {
    StringBuilder b = new StringBuilder();
    m.forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return b.toString();
  }

  private static ApiException forbidden(String podName, String why) {
    return new ApiException(403, "Forbidden", "pods \"" + podName + "\" is forbidden: " + why);
  }
}
