package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The legacy discovery documents ({@code /api}, {@code /apis}, {@code /api/v1}, {@code /apis/g/v}),
 * {@code /version} and {@code /openapi/v3}, and which path serves which ({@link #document}).
 */
final class Discovery {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  static final String GIT_VERSION = "v1.31.0-gleaner-sim";

  private Discovery() {}

  /**
   * The document served at {@code path} (without a trailing slash), or null when {@code path} is no
   * discovery path; 404 for an unknown group or version. {@code requestPath} is the path as
   * requested (for a 404), {@code serverAddress} the address {@code /api} reports.
   */
  static ObjectNode document(
      ResourceTypes types, String path, String requestPath, Supplier<String> serverAddress) {
    switch (path) {
      case "/version" -> {
        return version();
      }
      case "/api" -> {
        return apiVersions(serverAddress.get());
      }
      case "/apis" -> {
        return groupList(types);
      }
      case "/openapi/v3" -> {
        return openApiV3Root(types);
      }
      default -> {}
    }
    if (path.startsWith("/openapi/v3/")) {
      ObjectNode doc = openApiV3(types, path.substring("/openapi/v3/".length()));
      if (doc == null) {
        throw HttpJson.notFoundPath(path);
      }
      return doc;
    }
    String[] segs = path.substring(1).split("/");
    if (segs[0].equals("api") && segs.length == 2) {
      return resourceList(types, "", segs[1], requestPath);
    }
    if (segs[0].equals("apis") && segs.length == 2) {
      Map<String, List<ResourceType>> versions = types.byGroup().get(segs[1]);
      if (versions == null) {
        throw HttpJson.notFoundPath(path);
      }
      return group(segs[1], versions.keySet());
    }
    if (segs[0].equals("apis") && segs.length == 3) {
      return resourceList(types, segs[1], segs[2], requestPath);
    }
    return null;
  }

  private static ObjectNode resourceList(
      ResourceTypes types, String group, String version, String requestPath) {
    Map<String, List<ResourceType>> versions = types.byGroup().get(group);
    if (versions == null || !versions.containsKey(version)) {
      throw HttpJson.notFoundPath(requestPath);
    }
    return resourceList(group.isEmpty() ? version : group + "/" + version, versions.get(version));
  }

  static ObjectNode version() {
    ObjectNode v = F.objectNode();
    v.put("major", "1");
    v.put("minor", "31");
    v.put("gitVersion", GIT_VERSION);
    v.put("gitCommit", "0000000000000000000000000000000000000000");
    v.put("gitTreeState", "clean");
    v.put("buildDate", "2024-08-13T00:00:00Z");
    v.put("goVersion", "go1.22.5");
    v.put("compiler", "gc");
    v.put("platform", "linux/amd64");
    return v;
  }

  static ObjectNode apiVersions(String serverAddress) {
    ObjectNode o = F.objectNode();
    o.put("kind", "APIVersions");
    o.putArray("versions").add("v1");
    ObjectNode cidr = o.putArray("serverAddressByClientCIDRs").addObject();
    cidr.put("clientCIDR", "0.0.0.0/0");
    cidr.put("serverAddress", serverAddress);
    return o;
  }

  static ObjectNode groupList(ResourceTypes types) {
    ObjectNode o = F.objectNode();
    o.put("kind", "APIGroupList");
    o.put("apiVersion", "v1");
    ArrayNode groups = o.putArray("groups");
    for (Map.Entry<String, Map<String, List<ResourceType>>> g : types.byGroup().entrySet()) {
      if (g.getKey().isEmpty()) {
        continue;
      }
      groups.add(group(g.getKey(), g.getValue().keySet()));
    }
    return o;
  }

  static ObjectNode group(String name, Iterable<String> versions) {
    ObjectNode group = F.objectNode();
    group.put("kind", "APIGroup");
    group.put("apiVersion", "v1");
    group.put("name", name);
    ArrayNode vs = group.putArray("versions");
    String first = null;
    for (String v : versions) {
      ObjectNode gv = vs.addObject();
      gv.put("groupVersion", name + "/" + v);
      gv.put("version", v);
      if (first == null) {
        first = v;
      }
    }
    ObjectNode preferred = group.putObject("preferredVersion");
    preferred.put("groupVersion", name + "/" + first);
    preferred.put("version", first);
    return group;
  }

  static ObjectNode resourceList(String groupVersion, List<ResourceType> types) {
    ObjectNode o = F.objectNode();
    o.put("kind", "APIResourceList");
    o.put("apiVersion", "v1");
    o.put("groupVersion", groupVersion);
    ArrayNode resources = o.putArray("resources");
    for (ResourceType t : types) {
      boolean metrics = t.group().equals("metrics.k8s.io");
      ObjectNode r = resources.addObject();
      r.put("name", t.plural());
      r.put("singularName", t.singular());
      r.put("namespaced", t.namespaced());
      r.put("kind", t.kind());
      ArrayNode verbs = r.putArray("verbs");
      List<String> vs =
          metrics
              ? List.of("get", "list")
              : ResourceTypes.REVIEWS.contains(t)
                  ? List.of("create")
                  : List.of(
                      "create",
                      "delete",
                      "deletecollection",
                      "get",
                      "list",
                      "patch",
                      "update",
                      "watch");
      vs.forEach(verbs::add);
      if (!t.shortNames().isEmpty()) {
        ArrayNode sn = r.putArray("shortNames");
        t.shortNames().forEach(sn::add);
      }
      if (!t.categories().isEmpty()) {
        ArrayNode cat = r.putArray("categories");
        t.categories().forEach(cat::add);
      }
      if (t.statusSubresource()) {
        ObjectNode s = resources.addObject();
        s.put("name", t.plural() + "/status");
        s.put("singularName", "");
        s.put("namespaced", t.namespaced());
        s.put("kind", t.kind());
        ArrayNode sv = s.putArray("verbs");
        List.of("get", "patch", "update").forEach(sv::add);
      }
      if (t.equals(ResourceTypes.PODS)) {
        subresource(resources, "pods/eviction", "Eviction", "policy", "v1", List.of("create"));
        subresource(resources, "pods/binding", "Binding", null, null, List.of("create"));
        subresource(resources, "pods/log", "Pod", null, null, List.of("get"));
        subresource(resources, "pods/exec", "PodExecOptions", null, null, List.of("create", "get"));
      }
    }
    return o;
  }

  private static void subresource(
      ArrayNode resources,
      String name,
      String kind,
      String group,
      String version,
      List<String> verbs) {
    ObjectNode s = resources.addObject();
    s.put("name", name);
    s.put("singularName", "");
    s.put("namespaced", true);
    if (group != null) {
      s.put("group", group);
      s.put("version", version);
    }
    s.put("kind", kind);
    ArrayNode v = s.putArray("verbs");
    verbs.forEach(v::add);
  }

  /** {@code /openapi/v3}: one entry per served group-version. */
  static ObjectNode openApiV3Root(ResourceTypes types) {
    ObjectNode root = F.objectNode();
    ObjectNode paths = root.putObject("paths");
    for (Map.Entry<String, Map<String, List<ResourceType>>> g : types.byGroup().entrySet()) {
      for (String v : g.getValue().keySet()) {
        String rel = g.getKey().isEmpty() ? "api/" + v : "apis/" + g.getKey() + "/" + v;
        paths
            .putObject(rel)
            .put(
                "serverRelativeURL",
                "/openapi/v3/"
                    + rel
                    + "?hash="
                    + Integer.toHexString(g.getValue().get(v).hashCode()));
      }
    }
    return root;
  }

  /**
   * A minimal OpenAPI v3 document for one group-version: every resource's paths with the {@code
   * fieldValidation} parameter and GVK extension, which is what kubectl checks to decide that the
   * server validates fields itself (so {@code kubectl apply} needs no client-side schema).
   */
  static ObjectNode openApiV3(ResourceTypes types, String groupVersionPath) {
    String group;
    String version;
    String[] parts = groupVersionPath.split("/");
    if (parts.length == 2 && parts[0].equals("api")) {
      group = "";
      version = parts[1];
    } else if (parts.length == 3 && parts[0].equals("apis")) {
      group = parts[1];
      version = parts[2];
    } else {
      return null;
    }
    Map<String, List<ResourceType>> versions = types.byGroup().get(group);
    if (versions == null || !versions.containsKey(version)) {
      return null;
    }
    ObjectNode doc = F.objectNode();
    doc.put("openapi", "3.0.0");
    doc.putObject("info").put("title", "Kubernetes").put("version", GIT_VERSION);
    ObjectNode paths = doc.putObject("paths");
    for (ResourceType t : versions.get(version)) {
      String base = t.basePath() + (t.namespaced() ? "/namespaces/{namespace}/" : "/") + t.plural();
      for (String path : List.of(base, base + "/{name}")) {
        ObjectNode item = paths.putObject(path);
        for (String verb :
            path.endsWith("{name}")
                ? List.of("get", "put", "patch", "delete")
                : List.of("get", "post")) {
          ObjectNode op = item.putObject(verb);
          op.put("operationId", verb + t.kind());
          ObjectNode gvk = op.putObject("x-kubernetes-group-version-kind");
          gvk.put("group", t.group());
          gvk.put("version", t.version());
          gvk.put("kind", t.kind());
          ArrayNode params = op.putArray("parameters");
          if (!verb.equals("get") && !verb.equals("delete")) {
            ObjectNode p = params.addObject();
            p.put("name", "fieldValidation");
            p.put("in", "query");
            p.putObject("schema").put("type", "string").put("uniqueItems", true);
          }
          op.putObject("responses").putObject("200").put("description", "OK");
        }
      }
    }
    doc.putObject("components").putObject("schemas");
    return doc;
  }
}
