package io.gleaner.sim.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * RBAC's matching of one {@code PolicyRule} against request {@link Attributes} and of one binding
 * {@code subject} against a user, as the Kubernetes RBAC authorizer defines them: {@code *} in
 * verbs, apiGroups and resources; {@code <resource>/<subresource>} and {@code *}/{@code
 * <subresource>}; resourceNames (a rule with names never matches a request without a name);
 * nonResourceURLs exact or with a trailing {@code *} prefix.
 */
public final class RbacRules {
  private RbacRules() {}

  /** Whether {@code rule} (a PolicyRule object) allows the request. */
  public static boolean allows(JsonNode rule, Attributes a) {
    if (!contains(rule.path("verbs"), a.verb(), true)) {
      return false;
    }
    if (!a.resourceRequest()) {
      return nonResourceUrlMatches(rule.path("nonResourceURLs"), a.path());
    }
    return contains(rule.path("apiGroups"), a.apiGroup(), true)
        && resourceMatches(rule.path("resources"), a.combinedResource(), a.subresource())
        && resourceNameMatches(rule.path("resourceNames"), a.name());
  }

  static boolean resourceMatches(JsonNode resources, String combined, String subresource) {
    for (JsonNode r : resources) {
      String rule = r.asText();
      if (rule.equals("*") || rule.equals(combined)) {
        return true;
      }
      if (!subresource.isEmpty()
          && rule.length() == subresource.length() + 2
          && rule.startsWith("*/")
          && rule.endsWith(subresource)) {
        return true;
      }
    }
    return false;
  }

  static boolean resourceNameMatches(JsonNode names, String name) {
    if (names.isMissingNode() || names.isNull() || names.isEmpty()) {
      return true;
    }
    return contains(names, name, false);
  }

  static boolean nonResourceUrlMatches(JsonNode urls, String path) {
    for (JsonNode u : urls) {
      String rule = u.asText();
      if (rule.equals("*") || rule.equals(path)) {
        return true;
      }
      if (rule.endsWith("*") && path.startsWith(rule.substring(0, rule.length() - 1))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a binding subject ({@code kind}, {@code name}, {@code namespace}) names {@code user}; a
   * ServiceAccount subject without namespace means the binding's namespace.
   */
  public static boolean appliesTo(JsonNode subject, UserInfo user, String bindingNamespace) {
    String name = subject.path("name").asText("");
    return switch (subject.path("kind").asText("")) {
      case "User" -> user.name().equals(name);
      case "Group" -> user.inGroup(name);
      case "ServiceAccount" -> {
        String ns = subject.path("namespace").asText("");
        if (ns.isEmpty()) {
          ns = bindingNamespace == null ? "" : bindingNamespace;
        }
        yield !ns.isEmpty() && user.name().equals(UserInfo.SA_PREFIX + ns + ":" + name);
      }
      default -> false;
    };
  }

  /** {@code User "x"}, {@code Group "x"}, {@code ServiceAccount "name/ns"}, as RBAC reasons say. */
  static String describe(JsonNode subject, String bindingNamespace) {
    String kind = subject.path("kind").asText("");
    String name = subject.path("name").asText("");
    if (kind.equals("ServiceAccount")) {
      String ns = subject.path("namespace").asText("");
      return kind + " \"" + name + "/" + (ns.isEmpty() ? bindingNamespace : ns) + "\"";
    }
    return kind + " \"" + name + "\"";
  }

  private static boolean contains(JsonNode values, String value, boolean wildcard) {
    for (JsonNode v : values) {
      String s = v.asText();
      if (s.equals(value) || wildcard && s.equals("*")) {
        return true;
      }
    }
    return false;
  }
}
