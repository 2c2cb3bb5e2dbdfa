package io.gleaner.sim.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.apiserver.Times;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Volcano PodGroup status as the Volcano scheduler maintains it: {@code Pending} (the gang does not
 * fit), {@code Inqueue} (admitted: its minResources fit the cluster's free capacity, or minMember
 * pods are bound), {@code Running} (at least minMember pods run); counts of
 * running/succeeded/failed members; an {@code Unschedulable} condition while the gang cannot be
 * placed.
 */
final class PodGroupStatus {
  private final ObjectStore store;
  private final Map<String, String> unschedulableMessages = new HashMap<>();

  PodGroupStatus(ObjectStore store) {
    this.store = store;
  }

  /**
   * Notes a change to a PodGroup or one of its pods (statuses are recomputed every cycle anyway).
   */
  void touch(JsonNode object) {
    // Statuses are recomputed for all groups in update(); nothing to remember per object.
  }

  void unschedulable(String ns, String group, String message) {
    unschedulableMessages.put(ns + "/" + group, message);
  }

  void update(Collection<PodInfo> pods, Collection<NodeInfo> nodes) {
    Resources free = Resources.ZERO;
    for (NodeInfo n : nodes) {
      free = free.plus(n.allocatable().minus(n.requested()).clampAtZero());
    }
    Map<String, int[]> counts = new HashMap<>();
    for (PodInfo p : pods) {
      if (p.groupName() == null) {
        continue;
      }
      int[] c = counts.computeIfAbsent(p.namespace() + "/" + p.groupName(), k -> new int[4]);
      String phase = p.phase();
      if ("Running".equals(phase)) {
        c[0]++;
      } else if ("Succeeded".equals(phase)) {
        c[1]++;
      } else if ("Failed".equals(phase)) {
        c[2]++;
      }
      if (p.occupiesNode() && !p.terminating()) {
        c[3]++;
      }
    }
    for (ObjectNode pg : store.list(ResourceTypes.PODGROUPS)) {
      String ns = pg.path("metadata").path("namespace").asText();
      String name = pg.path("metadata").path("name").asText();
      String key = ns + "/" + name;
      int[] c = counts.getOrDefault(key, new int[4]);
      int minMember = Math.max(1, pg.path("spec").path("minMember").asInt(1));
      Resources minResources = Resources.ZERO;
      JsonNode mr = pg.path("spec").path("minResources");
      if (mr.isObject()) {
        Map<String, String> q = new HashMap<>();
        mr.fields().forEachRemaining(e -> q.put(e.getKey(), e.getValue().asText()));
        minResources = Resources.parse(q);
      }
      String phase;
      if (c[0] >= minMember) {
        phase = "Running";
      } else if (c[3] >= minMember
          || (minResources.without(Resources.PODS).fitsIn(free)
              && !unschedulableMessages.containsKey(key))) {
        phase = "Inqueue";
      } else {
        phase = "Pending";
      }
      String message = phase.equals("Running") ? null : unschedulableMessages.get(key);
      unschedulableMessages.remove(key);
      String newPhase = phase;
      store.mutate(
          ResourceTypes.PODGROUPS,
          ns,
          name,
          o -> {
            ObjectNode st = o.with("status");
            ObjectNode before = st.deepCopy();
            st.put("phase", newPhase);
            st.put("running", c[0]);
            st.put("succeeded", c[1]);
            st.put("failed", c[2]);
            if (message != null) {
              setCondition(st, "Unschedulable", "True", "NotEnoughResources", message);
            } else if (newPhase.equals("Running")) {
              setCondition(st, "Scheduled", "True", "tasks in gang are ready to be scheduled", "");
              removeCondition(st, "Unschedulable");
            }
            return st.equals(before) ? null : o;
          });
    }
  }

  private void setCondition(
      ObjectNode status, String type, String value, String reason, String message) {
    ArrayNode conditions =
        status.has("conditions") && status.get("conditions").isArray()
            ? (ArrayNode) status.get("conditions")
            : status.putArray("conditions");
    for (JsonNode c : conditions) {
      if (type.equals(c.path("type").asText())) {
        if (value.equals(c.path("status").asText()) && message.equals(c.path("message").asText())) {
          return;
        }
        ((ObjectNode) c)
            .put("status", value)
            .put("reason", reason)
            .put("message", message)
            .put("lastTransitionTime", Times.format(store.clock().instant()));
        return;
      }
    }
    conditions
        .addObject()
        .put("type", type)
        .put("status", value)
        .put("reason", reason)
        .put("message", message)
        .put("lastTransitionTime", Times.format(store.clock().instant()));
  }

  private static void removeCondition(ObjectNode status, String type) {
    if (status.get("conditions") instanceof ArrayNode conditions) {
      for (int i = conditions.size() - 1; i >= 0; i--) {
        if (type.equals(conditions.get(i).path("type").asText())) {
          conditions.remove(i);
        }
      }
    }
  }
}
