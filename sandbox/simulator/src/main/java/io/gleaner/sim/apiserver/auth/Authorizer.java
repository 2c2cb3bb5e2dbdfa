package io.gleaner.sim.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceType;
import io.gleaner.sim.apiserver.ResourceTypes;
import java.util.ArrayList;
import java.util.List;

/**
 * kube-apiserver's authorization chain {@code --authorization-mode=RBAC} with the privileged-group
 * authorizer in front: members of {@code system:masters} may do anything; everyone else gets what
 * the ClusterRoleBindings, and the RoleBindings of the request's namespace, grant through the
 * (Cluster)Roles stored in the cluster. Bindings whose role does not exist grant nothing and are
 * named in the denial reason, as RBAC does.
 */
public final class Authorizer {
  private final ObjectStore store;

  public Authorizer(ObjectStore store) {
    this.store = store;
  }

  public Decision authorize(Attributes a) {
    if (a.user().inGroup(UserInfo.MASTERS)) {
      return Decision.allow("");
    }
    List<String> errors = new ArrayList<>();
    for (ObjectNode binding : store.list(ResourceTypes.CLUSTER_ROLE_BINDINGS)) {
      String allowedBy = visit(binding, null, a, errors);
      if (allowedBy != null) {
        return Decision.allow("RBAC: allowed by " + allowedBy);
      }
    }
    if (!a.namespace().isEmpty()) {
      for (ObjectNode binding :
          store.list(ResourceTypes.ROLE_BINDINGS, a.namespace(), o -> true).items()) {
        String allowedBy = visit(binding, a.namespace(), a, errors);
        if (allowedBy != null) {
          return Decision.allow("RBAC: allowed by " + allowedBy);
        }
      }
    }
    if (errors.isEmpty()) {
      return Decision.deny("");
    }
    return Decision.deny(
        "RBAC: " + (errors.size() == 1 ? errors.get(0) : "[" + String.join(", ", errors) + "]"));
  }

  /**
   * The rules RBAC grants {@code user} in {@code namespace} (cluster-wide ones included), for
   * SelfSubjectRulesReview; {@code system:masters} gets one rule allowing everything.
   */
  public List<JsonNode> rules(UserInfo user, String namespace) {
    List<JsonNode> rules = new ArrayList<>();
    if (user.inGroup(UserInfo.MASTERS)) {
      ObjectNode all = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
      all.putArray("verbs").add("*");
      all.putArray("apiGroups").add("*");
      all.putArray("resources").add("*");
      ObjectNode urls = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
      urls.putArray("verbs").add("*");
      urls.putArray("nonResourceURLs").add("*");
      return List.of(all, urls);
    }
    List<ObjectNode> bindings = new ArrayList<>(store.list(ResourceTypes.CLUSTER_ROLE_BINDINGS));
    int clusterBindings = bindings.size();
    if (namespace != null && !namespace.isEmpty()) {
      bindings.addAll(store.list(ResourceTypes.ROLE_BINDINGS, namespace, o -> true).items());
    }
    for (int i = 0; i < bindings.size(); i++) {
      JsonNode b = bindings.get(i);
      String ns = i < clusterBindings ? null : namespace;
      boolean applies = false;
      for (JsonNode s : b.path("subjects")) {
        applies |= RbacRules.appliesTo(s, user, ns);
      }
      if (!applies) {
        continue;
      }
      String kind = b.path("roleRef").path("kind").asText("");
      ObjectNode role =
          kind.equals("ClusterRole")
              ? store.get(
                  ResourceTypes.CLUSTER_ROLES, null, b.path("roleRef").path("name").asText())
              : kind.equals("Role") && ns != null
                  ? store.get(ResourceTypes.ROLES, ns, b.path("roleRef").path("name").asText())
                  : null;
      if (role != null) {
        role.path("rules").forEach(rules::add);
      }
    }
    return rules;
  }

  /**
   * The description of {@code binding} when one of its subjects is the user and its role allows the
   * request; otherwise null (a missing role adds to {@code errors}).
   */
  private String visit(JsonNode binding, String namespace, Attributes a, List<String> errors) {
    JsonNode subject = null;
    for (JsonNode s : binding.path("subjects")) {
      if (RbacRules.appliesTo(s, a.user(), namespace)) {
        subject = s;
        break;
      }
    }
    if (subject == null) {
      return null;
    }
    JsonNode ref = binding.path("roleRef");
    String kind = ref.path("kind").asText("");
    String roleName = ref.path("name").asText("");
    ResourceType roleType =
        kind.equals("ClusterRole") ? ResourceTypes.CLUSTER_ROLES : ResourceTypes.ROLES;
    ObjectNode role =
        kind.equals("ClusterRole") || kind.equals("Role") && namespace != null
            ? store.get(roleType, namespace, roleName)
            : null;
    if (role == null) {
      errors.add(
          (kind.equals("ClusterRole") ? "clusterrole" : "role")
              + ".rbac.authorization.k8s.io \""
              + roleName
              + "\" not found");
      return null;
    }
    for (JsonNode rule : role.path("rules")) {
      if (RbacRules.allows(rule, a)) {
        String bindingName = binding.path("metadata").path("name").asText();
        return namespace == null
            ? "ClusterRoleBinding \""
                + bindingName
                + "\" of "
                + kind
                + " \""
                + roleName
                + "\" to "
                + RbacRules.describe(subject, "")
            : "RoleBinding \""
                + bindingName
                + "/"
                + namespace
                + "\" of "
                + kind
                + " \""
                + roleName
                + "\" to "
                + RbacRules.describe(subject, namespace);
      }
    }
    return null;
  }
}
