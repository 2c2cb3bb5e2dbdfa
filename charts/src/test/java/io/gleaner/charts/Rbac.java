package io.gleaner.charts;

import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Flattens RBAC rules into {@code group/resource[name]:verb} permissions, which read well in
 * assertions.
 */
final class Rbac {

  private Rbac() {}

  /**
   * One string per (group, resource, verb): {@code "/pods:get"}, {@code
   * "gleaner.io/memberclusters:watch"}; rules restricted by resourceNames read {@code
   * "/nodes[gleaner]:patch"}.
   */
  static Set<String> permissions(List<PolicyRule> rules) {
    Set<String> out = new TreeSet<>();
    for (PolicyRule rule : rules) {
      String names =
          rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
              ? ""
              : rule.getResourceNames().toString().replace(" ", "");
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            out.add(group + "/" + resource + names + ":" + verb);
          }
        }
      }
    }
    return out;
  }

  /** Every verb, resource and group named anywhere in the rules, to look for wildcards. */
  static Set<String> allTokens(List<PolicyRule> rules) {
    Set<String> out = new TreeSet<>();
    for (PolicyRule rule : rules) {
      out.addAll(rule.getVerbs());
      out.addAll(rule.getResources());
      out.addAll(rule.getApiGroups());
      if (rule.getResourceNames() != null) {
        out.addAll(rule.getResourceNames());
      }
    }
    return out;
  }
}
