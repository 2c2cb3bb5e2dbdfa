package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Server-side printing ({@code meta.k8s.io/v1 Table}) for {@code kubectl get}: the columns
 * kube-apiserver prints for pods, nodes and events ({@code -o wide} columns have priority 1),
 * Name/Age for the rest.
 */
final class Tables {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private Tables() {}

  static boolean wantsTable(String accept) {
    return accept != null && accept.contains("as=Table");
  }

  static ObjectNode table(
      ResourceType type, List<ObjectNode> items, long resourceVersion, Instant now) {
    return table(type, List.of(), items, resourceVersion, now);
  }

  /** A table; {@code custom} columns (from a CRD) replace the default Name/Age when present. */
  static ObjectNode table(
      ResourceType type,
      List<ResourceTypes.PrinterColumn> custom,
      List<ObjectNode> items,
      long resourceVersion,
      Instant now) {
    ObjectNode t = F.objectNode();
    t.put("kind", "Table");
    t.put("apiVersion", "meta.k8s.io/v1");
    t.putObject("metadata").put("resourceVersion", Long.toString(resourceVersion));
    ArrayNode cols = t.putArray("columnDefinitions");
    List<String[]> columns = custom.isEmpty() ? columns(type) : customColumns(custom);
    for (String[] c : columns) {
      ObjectNode col = cols.addObject();
      col.put("name", c[0]);
      col.put("type", c[1]);
      col.put("format", c[0].equals("Name") ? "name" : "");
      col.put("description", c[0]);
      col.put("priority", Integer.parseInt(c[2]));
    }
    ArrayNode rows = t.putArray("rows");
    for (ObjectNode o : items) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      for (String v : custom.isEmpty() ? cells(type, o, now) : customCells(custom, o, now)) {
        cells.add(v);
      }
      row.set("object", o);
    }
    return t;
  }

  private static List<String[]> columns(ResourceType type) {
    if (type.equals(ResourceTypes.PODS)) {
      return List.of(
          c("Name", 0),
          c("Ready", 0),
          c("Status", 0),
          c("Restarts", 0),
          c("Age", 0),
          c("IP", 1),
          c("Node", 1),
          c("Nominated Node", 1),
          c("Readiness Gates", 1));
    }
    if (type.equals(ResourceTypes.NODES)) {
      return List.of(
          c("Name", 0),
          c("Status", 0),
          c("Roles", 0),
          c("Age", 0),
          c("Version", 0),
          c("Internal-IP", 1),
          c("External-IP", 1),
          c("OS-Image", 1),
          c("Kernel-Version", 1),
          c("Container-Runtime", 1));
    }
    if (type.equals(ResourceTypes.EVENTS)) {
      return List.of(
          c("Last Seen", 0), c("Type", 0), c("Reason", 0), c("Object", 0), c("Message", 0));
    }
    return List.of(c("Name", 0), c("Age", 0));
  }

  private static List<String[]> customColumns(List<ResourceTypes.PrinterColumn> custom) {
    List<String[]> cols = new ArrayList<>();
    cols.add(c("Name", 0));
    boolean age = false;
    for (ResourceTypes.PrinterColumn pc : custom) {
      cols.add(new String[] {pc.name(), "string", Integer.toString(pc.priority())});
      age |= pc.name().equals("Age");
    }
    if (!age) {
      cols.add(c("Age", 0));
    }
    return cols;
  }

  private static List<String> customCells(
      List<ResourceTypes.PrinterColumn> custom, JsonNode o, Instant now) {
    List<String> cells = new ArrayList<>();
    cells.add(o.path("metadata").path("name").asText());
    boolean age = false;
    for (ResourceTypes.PrinterColumn pc : custom) {
      JsonNode v = jsonPath(o, pc.jsonPath());
      String text;
      if (v == null || v.isNull() || v.isMissingNode()) {
        text = "";
      } else if (pc.type().equals("date")) {
        text = age(v.asText(), now);
      } else {
        text = v.isValueNode() ? v.asText() : v.toString();
      }
      cells.add(text);
      age |= pc.name().equals("Age");
    }
    if (!age) {
      cells.add(age(o.path("metadata").path("creationTimestamp").asText(""), now));
    }
    return cells;
  }

  /**
   * The subset of JSONPath CRD printer columns use: {@code .a.b}, {@code .a[0]} and {@code
   * .a[?(@.key=="value")].b}. Returns null when the path does not resolve.
   */
  static JsonNode jsonPath(JsonNode root, String path) {
    JsonNode node = root;
    String p = path.startsWith("$") ? path.substring(1) : path;
    int i = 0;
    while (node != null && i < p.length()) {
      char ch = p.charAt(i);
      if (ch == '.') {
        int end = i + 1;
        while (end < p.length() && p.charAt(end) != '.' && p.charAt(end) != '[') {
          end++;
        }
        node = node.get(p.substring(i + 1, end));
        i = end;
      } else if (ch == '[') {
        int close = p.indexOf(']', i);
        if (close < 0) {
          return null;
        }
        String inner = p.substring(i + 1, close);
        if (inner.startsWith("?(@.") && inner.endsWith(")")) {
          String cond = inner.substring(4, inner.length() - 1);
          int eq = cond.indexOf("==");
          if (eq < 0 || !node.isArray()) {
            return null;
          }
          String key = cond.substring(0, eq).trim();
          String want = cond.substring(eq + 2).trim().replaceAll("^[\"']|[\"']$", "");
          JsonNode found = null;
          for (JsonNode el : node) {
            if (want.equals(el.path(key).asText(null))) {
              found = el;
              break;
            }
          }
          node = found;
        } else {
          try {
            node = node.get(Integer.parseInt(inner.trim()));
          } catch (NumberFormatException e) {
            return null;
          }
        }
        i = close + 1;
      } else {
        return null;
      }
    }
    return node;
  }

  private static String[] c(String name, int priority) {
    return new String[] {name, "string", Integer.toString(priority)};
  }

  private static List<String> cells(ResourceType type, JsonNode o, Instant now) {
    JsonNode meta = o.path("metadata");
    String name = meta.path("name").asText();
    String age = age(meta.path("creationTimestamp").asText(""), now);
    if (type.equals(ResourceTypes.PODS)) {
      JsonNode st = o.path("status");
      int total = o.path("spec").path("containers").size();
      int ready = 0;
      long restarts = 0;
      String reason = st.path("reason").asText(st.path("phase").asText("Pending"));
      for (JsonNode c : st.path("conditions")) {
        // as kubectl's pod printer: a gated pod shows SchedulingGated
        if ("PodScheduled".equals(c.path("type").asText())
            && PodRules.SCHEDULING_GATED.equals(c.path("reason").asText())) {
          reason = PodRules.SCHEDULING_GATED;
        }
      }
      // as kubectl's pod printer: an init container not yet completed shows Init:<reason> or
      // Init:<done>/<all>, and hides the containers' states
      boolean initializing = false;
      int initIndex = 0;
      for (JsonNode cs : st.path("initContainerStatuses")) {
        restarts += cs.path("restartCount").asLong();
        JsonNode terminated = cs.path("state").path("terminated");
        String waiting = cs.path("state").path("waiting").path("reason").asText("");
        if (terminated.isObject() && terminated.path("exitCode").asInt() == 0) {
          initIndex++;
          continue;
        }
        initializing = true;
        if (terminated.isObject()) {
          reason = "Init:" + terminated.path("reason").asText("Error");
        } else if (!waiting.isEmpty() && !waiting.equals("PodInitializing")) {
          reason = "Init:" + waiting;
        } else {
          reason = "Init:" + initIndex + "/" + o.path("spec").path("initContainers").size();
        }
        break;
      }
      for (JsonNode cs : initializing ? List.<JsonNode>of() : st.path("containerStatuses")) {
        if (cs.path("ready").asBoolean()) {
          ready++;
        }
        restarts += cs.path("restartCount").asLong();
        String waiting = cs.path("state").path("waiting").path("reason").asText("");
        String terminated = cs.path("state").path("terminated").path("reason").asText("");
        if (!waiting.isEmpty()) {
          reason = waiting;
        } else if (!terminated.isEmpty() && !"Running".equals(reason)) {
          reason = terminated;
        }
      }
      if (meta.has("deletionTimestamp")) {
        reason = "Terminating";
      }
      return List.of(
          name,
          ready + "/" + total,
          reason,
          Long.toString(restarts),
          age,
          st.path("podIP").asText("<none>"),
          o.path("spec").path("nodeName").asText("<none>"),
          st.path("nominatedNodeName").asText("<none>"),
          "<none>");
    }
    if (type.equals(ResourceTypes.NODES)) {
      String status = "Unknown";
      for (JsonNode c : o.path("status").path("conditions")) {
        if ("Ready".equals(c.path("type").asText())) {
          status = "True".equals(c.path("status").asText()) ? "Ready" : "NotReady";
        }
      }
      if (o.path("spec").path("unschedulable").asBoolean(false)) {
        status += ",SchedulingDisabled";
      }
      List<String> roles = new ArrayList<>();
      meta.path("labels")
          .fieldNames()
          .forEachRemaining(
              k -> {
                if (k.startsWith("node-role.kubernetes.io/")) {
                  roles.add(k.substring("node-role.kubernetes.io/".length()));
                }
              });
      // Like kubectl's printer: the legacy kubernetes.io/role label names a role too
      // (virtual-kubelet sets "agent").
      String legacyRole = meta.path("labels").path("kubernetes.io/role").asText("");
      if (!legacyRole.isEmpty() && !roles.contains(legacyRole)) {
        roles.add(legacyRole);
      }
      String internal = "<none>";
      String external = "<none>";
      for (JsonNode a : o.path("status").path("addresses")) {
        if ("InternalIP".equals(a.path("type").asText())) {
          internal = a.path("address").asText();
        } else if ("ExternalIP".equals(a.path("type").asText())) {
          external = a.path("address").asText();
        }
      }
      JsonNode info = o.path("status").path("nodeInfo");
      return List.of(
          name,
          status,
          roles.isEmpty() ? "<none>" : String.join(",", roles),
          age,
          info.path("kubeletVersion").asText(""),
          internal,
          external,
          info.path("osImage").asText("<unknown>"),
          info.path("kernelVersion").asText("<unknown>"),
          info.path("containerRuntimeVersion").asText("<unknown>"));
    }
    if (type.equals(ResourceTypes.EVENTS)) {
      JsonNode io = o.path("involvedObject");
      String last =
          o.path("lastTimestamp")
              .asText(o.path("eventTime").asText(meta.path("creationTimestamp").asText("")));
      return List.of(
          age(last.length() > 20 ? last.substring(0, 19) + "Z" : last, now),
          o.path("type").asText(),
          o.path("reason").asText(),
          io.path("kind").asText().toLowerCase() + "/" + io.path("name").asText(),
          o.path("message").asText());
    }
    return List.of(name, age);
  }

  /**
   * Human-readable age as kubectl prints it ({@code 45s}, {@code 3m12s}, {@code 5h}, {@code 2d3h}).
   */
  static String age(String timestamp, Instant now) {
    if (timestamp == null || timestamp.isEmpty()) {
      return "<unknown>";
    }
    Duration d = Duration.between(Instant.parse(timestamp), now);
    long s = Math.max(0, d.getSeconds());
    if (s < 120) {
      return s + "s";
    }
    long m = s / 60;
    if (m < 10) {
      return m + "m" + (s % 60 == 0 ? "" : (s % 60) + "s");
    }
    if (m < 180) {
      return m + "m";
    }
    long h = m / 60;
    if (h < 8) {
      return h + "h" + (m % 60 == 0 ? "" : (m % 60) + "m");
    }
    if (h < 48) {
      return h + "h";
    }
    long days = h / 24;
    if (days < 8) {
      return days + "d" + (h % 24 == 0 ? "" : (h % 24) + "h");
    }
    if (days < 730) {
      return days + "d";
    }
    return (days / 365) + "y";
  }
}
