package io.gleaner.sim.apiserver.auth;

import io.gleaner.sim.apiserver.ApiException;
import java.util.List;

/** The 403 of a denied request, with kube-apiserver's wording. */
final class Forbidden {
  private Forbidden() {}

  /**
   * E.g. {@code pods "p" is forbidden: User "u" cannot get resource "pods" in API group "" in the
   * namespace "ns"}, {@code nodes is forbidden: User "u" cannot list resource "nodes" in API group
   * "" at the cluster scope}, {@code forbidden: User "u" cannot get path "/metrics"}; the
   * authorizer's reason, when it gives one, follows after {@code ": "}.
   */
  static ApiException of(Attributes a, String reason) {
    String why = reason == null || reason.isEmpty() ? message(a) : message(a) + ": " + reason;
    String qualified =
        a.resource().isEmpty()
            ? ""
            : a.apiGroup().isEmpty() ? a.resource() : a.resource() + "." + a.apiGroup();
    String text;
    if (qualified.isEmpty()) {
      text = "forbidden: " + why;
    } else if (a.name().isEmpty()) {
      text = qualified + " is forbidden: " + why;
    } else {
      text = qualified + " \"" + a.name() + "\" is forbidden: " + why;
    }
    return new ApiException(
        403,
        "Forbidden",
        text,
        a.resource().isEmpty() ? null : a.resource(),
        a.name().isEmpty() ? null : a.name(),
        List.of());
  }

  static String message(Attributes a) {
    String user = "User \"" + a.user().name() + "\"";
    if (!a.resourceRequest()) {
      return user + " cannot " + a.verb() + " path \"" + a.path() + "\"";
    }
    String head =
        user
            + " cannot "
            + a.verb()
            + " resource \""
            + a.combinedResource()
            + "\" in API group \""
            + a.apiGroup()
            + "\"";
    return a.namespace().isEmpty()
        ? head + " at the cluster scope"
        : head + " in the namespace \"" + a.namespace() + "\"";
  }
}
