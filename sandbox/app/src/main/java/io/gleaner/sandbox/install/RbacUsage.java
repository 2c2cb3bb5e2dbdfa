package io.gleaner.sandbox.install;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.gleaner.sim.apiserver.audit.AuditEvent;
import io.gleaner.sim.apiserver.auth.Attributes;
import io.gleaner.sim.apiserver.auth.RbacRules;
import io.gleaner.sim.apiserver.auth.UserInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Least privilege, measured: what a chart's RBAC grants each of its service accounts, against what
 * the audit trail shows they used. Each rule is split into single grants (one verb on one resource
 * of one API group, with the rule's resourceNames, at the binding's scope); a grant is used when an
 * allowed request of its identity matches it. Requests RBAC refused (403) are listed apart.
 */
public final class RbacUsage {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One verb on one resource, granted to {@code identity}.
   *
   * @param namespace the RoleBinding's namespace, empty for a ClusterRoleBinding
   * @param resourceNames the rule's resourceNames (empty: any)
   */
  public record Grant(
      String identity,
      String namespace,
      String verb,
      String apiGroup,
      String resource,
      List<String> resourceNames) {

    /**
     * {@code <service account> <verb> <group>/<resource>[ names][ in <namespace>]}, e.g. {@code
     * gleaner-broker list gleaner.io/memberclusters}.
     */
    public String id() {
      return identity.substring(identity.lastIndexOf(':') + 1)
          + " "
          + verb
          + " "
          + (apiGroup.isEmpty() ? "core" : apiGroup)
          + "/"
          + resource
          + (resourceNames.isEmpty() ? "" : " " + resourceNames)
          + (namespace.isEmpty() ? "" : " in " + namespace);
    }

    /** This grant as a PolicyRule of its own. */
    ObjectNode rule() {
      ObjectNode rule = JSON.createObjectNode();
      rule.putArray("verbs").add(verb);
      rule.putArray("apiGroups").add(apiGroup);
      rule.putArray("resources").add(resource);
      if (!resourceNames.isEmpty()) {
        resourceNames.forEach(rule.putArray("resourceNames")::add);
      }
      return rule;
    }

    boolean matches(ObjectNode rule, AuditEvent e, String verbUsed) {
      if (!namespace.isEmpty() && !namespace.equals(e.namespace())) {
        return false;
      }
      return RbacRules.allows(
          rule,
          Attributes.resource(
              UserInfo.of(e.effectiveUser(), "", List.of()),
              verbUsed,
              e.apiGroup(),
              e.resource(),
              e.subresource(),
              e.namespace(),
              e.name()));
    }
  }

  /**
   * The outcome.
   *
   * @param used by identity, what it did: {@code <verb> <group>/<resource>} (allowed requests)
   * @param refused requests RBAC refused an identity (403), as audit lines
   * @param grants every grant, in the chart's order
   * @param unused grants no request used
   */
  public record Report(
      Map<String, SortedSet<String>> used,
      List<String> refused,
      List<Grant> grants,
      List<Grant> unused) {

    public List<String> unusedIds() {
      return unused.stream().map(Grant::id).toList();
    }

    public List<String> grantIds() {
      return grants.stream().map(Grant::id).toList();
    }
  }

  private RbacUsage() {}

  /**
   * What the RBAC objects among {@code objects} grant the {@code identities} (user names of service
   * accounts), judged by {@code events} from the clusters the objects were applied to.
   */
  public static Report analyze(
      List<HasMetadata> objects, Set<String> identities, List<AuditEvent> events) {
    List<Grant> grants = grants(objects, identities);
    Map<String, SortedSet<String>> used = new TreeMap<>();
    List<String> refused = new ArrayList<>();
    boolean[] hit = new boolean[grants.size()];
    List<ObjectNode> rules = grants.stream().map(Grant::rule).toList();
    Set<String> seen = new java.util.HashSet<>();
    for (AuditEvent e : events) {
      if (!identities.contains(e.effectiveUser())
          || !e.resourceRequest()
          || !seen.add(
              String.join(
                  " ",
                  e.effectiveUser(),
                  e.verb(),
                  String.valueOf(e.alsoAuthorized()),
                  e.apiGroup(),
                  e.combinedResource(),
                  e.namespace(),
                  e.name(),
                  Integer.toString(e.code())))) {
        continue;
      }
      if (e.code() == 403) {
        refused.add(e + " (" + e.reason() + ")");
        continue;
      }
      if (e.code() == 401) {
        continue;
      }
      List<String> verbs = new ArrayList<>(List.of(e.verb()));
      verbs.addAll(e.alsoAuthorized());
      for (String verb : verbs) {
        used.computeIfAbsent(e.effectiveUser(), k -> new TreeSet<>())
            .add(
                verb
                    + " "
                    + (e.apiGroup().isEmpty() ? "core" : e.apiGroup())
                    + "/"
                    + e.combinedResource());
        for (int i = 0; i < grants.size(); i++) {
          if (!hit[i]
              && grants.get(i).identity().equals(e.effectiveUser())
              && grants.get(i).matches(rules.get(i), e, verb)) {
            hit[i] = true;
          }
        }
      }
    }
    List<Grant> unused = new ArrayList<>();
    for (int i = 0; i < grants.size(); i++) {
      if (!hit[i]) {
        unused.add(grants.get(i));
      }
    }
    return new Report(used, refused, grants, unused);
  }

  /** Every grant the bindings among {@code objects} give the {@code identities}. */
  static List<Grant> grants(List<HasMetadata> objects, Set<String> identities) {
    Map<String, JsonNode> roles = new LinkedHashMap<>();
    List<JsonNode> bindings = new ArrayList<>();
    for (HasMetadata o : objects) {
      JsonNode n = JSON.valueToTree(o);
      String ns = o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace();
      switch (o.getKind()) {
        case "ClusterRole" -> roles.put("ClusterRole/" + o.getMetadata().getName(), n);
        case "Role" -> roles.put("Role/" + ns + "/" + o.getMetadata().getName(), n);
        case "ClusterRoleBinding", "RoleBinding" -> bindings.add(n);
        default -> {}
      }
    }
    List<Grant> out = new ArrayList<>();
    for (JsonNode b : bindings) {
      boolean cluster = b.path("kind").asText().equals("ClusterRoleBinding");
      String ns = cluster ? "" : b.path("metadata").path("namespace").asText("");
      String refKind = b.path("roleRef").path("kind").asText();
      String refName = b.path("roleRef").path("name").asText();
      JsonNode role =
          roles.get(
              refKind.equals("ClusterRole")
                  ? "ClusterRole/" + refName
                  : "Role/" + ns + "/" + refName);
      if (role == null) {
        continue;
      }
      for (JsonNode s : b.path("subjects")) {
        String user =
            switch (s.path("kind").asText()) {
              case "ServiceAccount" ->
                  UserInfo.SA_PREFIX
                      + s.path("namespace").asText(ns)
                      + ":"
                      + s.path("name").asText();
              case "User" -> s.path("name").asText();
              default -> null;
            };
        if (user == null || !identities.contains(user)) {
          continue;
        }
        for (JsonNode rule : role.path("rules")) {
          List<String> names = new ArrayList<>();
          rule.path("resourceNames").forEach(x -> names.add(x.asText()));
          for (JsonNode g : rule.path("apiGroups")) {
            for (JsonNode r : rule.path("resources")) {
              for (JsonNode v : rule.path("verbs")) {
                out.add(
                    new Grant(user, ns, v.asText(), g.asText(), r.asText(), List.copyOf(names)));
              }
            }
          }
        }
      }
    }
    return out;
  }
}
