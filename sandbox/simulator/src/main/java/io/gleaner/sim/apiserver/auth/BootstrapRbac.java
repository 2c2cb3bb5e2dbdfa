package io.gleaner.sim.apiserver.auth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import java.util.List;

/**
 * The bootstrap ClusterRoles and ClusterRoleBindings kube-apiserver's RBAC creates that matter to
 * clients: {@code cluster-admin} (bound to {@code system:masters}), {@code system:discovery}
 * (discovery and OpenAPI paths), {@code system:basic-user} (self reviews) and {@code
 * system:public-info-viewer} (health and version paths) for every authenticated user. The
 * aggregated {@code admin}/{@code edit}/{@code view} roles are not installed.
 */
public final class BootstrapRbac {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final String AUTHENTICATED = UserInfo.AUTHENTICATED;

  private BootstrapRbac() {}

  public static void install(ObjectStore store) {
    ObjectNode all = rule(List.of("*"));
    all.putArray("apiGroups").add("*");
    all.putArray("resources").add("*");
    ObjectNode allUrls = rule(List.of("*"));
    allUrls.putArray("nonResourceURLs").add("*");
    clusterRole(store, "cluster-admin", all, allUrls);
    binding(store, "cluster-admin", "cluster-admin", UserInfo.MASTERS);

    clusterRole(
        store,
        "system:discovery",
        urls(
            List.of("get"),
            List.of(
                "/api",
                "/api/*",
                "/apis",
                "/apis/*",
                "/healthz",
                "/livez",
                "/openapi",
                "/openapi/*",
                "/readyz",
                "/version",
                "/version/")));
    binding(store, "system:discovery", "system:discovery", AUTHENTICATED);

    ObjectNode selfAccess = rule(List.of("create"));
    selfAccess.putArray("apiGroups").add("authorization.k8s.io");
    selfAccess.putArray("resources").add("selfsubjectaccessreviews").add("selfsubjectrulesreviews");
    ObjectNode selfReview = rule(List.of("create"));
    selfReview.putArray("apiGroups").add("authentication.k8s.io");
    selfReview.putArray("resources").add("selfsubjectreviews");
    clusterRole(store, "system:basic-user", selfAccess, selfReview);
    binding(store, "system:basic-user", "system:basic-user", AUTHENTICATED);

    clusterRole(
        store,
        "system:public-info-viewer",
        urls(List.of("get"), List.of("/healthz", "/livez", "/readyz", "/version", "/version/")));
    binding(
        store,
        "system:public-info-viewer",
        "system:public-info-viewer",
        AUTHENTICATED,
        "system:unauthenticated");
  }

  private static ObjectNode rule(List<String> verbs) {
    ObjectNode r = F.objectNode();
    ArrayNode v = r.putArray("verbs");
    verbs.forEach(v::add);
    return r;
  }

  private static ObjectNode urls(List<String> verbs, List<String> paths) {
    ObjectNode r = rule(verbs);
    ArrayNode u = r.putArray("nonResourceURLs");
    paths.forEach(u::add);
    return r;
  }

  private static ObjectNode metadata(ObjectNode o, String name) {
    ObjectNode meta = o.putObject("metadata");
    meta.put("name", name);
    meta.putObject("labels").put("kubernetes.io/bootstrapping", "rbac-defaults");
    meta.putObject("annotations").put("rbac.authorization.kubernetes.io/autoupdate", "true");
    return meta;
  }

  private static void clusterRole(ObjectStore store, String name, ObjectNode... rules) {
    ObjectNode role = F.objectNode();
    metadata(role, name);
    ArrayNode r = role.putArray("rules");
    for (ObjectNode rule : rules) {
      r.add(rule);
    }
    store.create(ResourceTypes.CLUSTER_ROLES, null, role);
  }

  private static void binding(ObjectStore store, String name, String role, String... groups) {
    ObjectNode b = F.objectNode();
    metadata(b, name);
    b.putObject("roleRef")
        .put("apiGroup", "rbac.authorization.k8s.io")
        .put("kind", "ClusterRole")
        .put("name", role);
    ArrayNode subjects = b.putArray("subjects");
    for (String g : groups) {
      subjects
          .addObject()
          .put("apiGroup", "rbac.authorization.k8s.io")
          .put("kind", "Group")
          .put("name", g);
    }
    store.create(ResourceTypes.CLUSTER_ROLE_BINDINGS, null, b);
  }
}
