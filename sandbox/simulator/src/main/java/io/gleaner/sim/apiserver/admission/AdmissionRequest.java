package io.gleaner.sim.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an admission policy sees of one API request: kube-apiserver's admission attributes. {@code
 * object} is the object the request would store (null for DELETE; for a subresource such as {@code
 * pods/eviction} or {@code pods/exec} the request's own body: an Eviction, PodExecOptions), {@code
 * oldObject} the stored one (null for CREATE and CONNECT), {@code namespaceObject} the namespace of
 * a namespaced request (null for cluster-scoped ones).
 */
public record AdmissionRequest(
    String operation,
    String username,
    List<String> groups,
    String group,
    String version,
    String resource,
    String subResource,
    String namespace,
    String name,
    JsonNode object,
    JsonNode oldObject,
    JsonNode namespaceObject) {

  public AdmissionRequest {
    groups = groups == null ? List.of() : List.copyOf(groups);
    group = group == null ? "" : group;
    subResource = subResource == null ? "" : subResource;
    namespace = namespace == null ? "" : namespace;
    name = name == null ? "" : name;
  }

  /** {@code resource} or {@code resource/subResource}, as admission rules name it. */
  public String resourcePath() {
    return subResource.isEmpty() ? resource : resource + "/" + subResource;
  }

  /**
   * The CEL variable {@code request}: an AdmissionRequest as kube-apiserver converts it, empty
   * optional fields left out (so an expression must test them with {@code has()}).
   */
  Map<String, Object> celValue() {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("kind", Map.of("group", group, "version", version, "kind", ""));
    r.put("resource", Map.of("group", group, "version", version, "resource", resource));
    if (!subResource.isEmpty()) {
      r.put("subResource", subResource);
    }
    if (!name.isEmpty()) {
      r.put("name", name);
    }
    if (!namespace.isEmpty()) {
      r.put("namespace", namespace);
    }
    r.put("operation", operation);
    Map<String, Object> user = new LinkedHashMap<>();
    if (username != null && !username.isEmpty()) {
      user.put("username", username);
    }
    if (!groups.isEmpty()) {
      user.put("groups", groups);
    }
    r.put("userInfo", user);
    r.put("dryRun", false);
    return r;
  }
}
