package io.gleaner.sim.apiserver.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Maps an HTTP request to the {@link Attributes} RBAC decides on, as kube-apiserver's {@code
 * RequestInfoFactory}: paths under {@code /api/<v>/...} and {@code /apis/<g>/<v>/...} are resource
 * requests whose verb comes from the method ({@code GET} → get, or list/watch without a name,
 * {@code POST} → create, {@code PUT} → update, {@code PATCH} → patch, {@code DELETE} → delete, or
 * deletecollection without a name); every other path is a non-resource request with the lower-case
 * method as verb.
 */
public final class RequestInfo {
  private static final Set<String> NAMESPACE_SUBRESOURCES = Set.of("status", "finalize");
  private static final Set<String> SPECIAL_VERBS = Set.of("proxy", "watch");

  /** Subresources whose WebSocket upgrade (a GET) must also be allowed to {@code create}. */
  private static final Set<String> CONNECT_SUBRESOURCES = Set.of("exec", "attach", "portforward");

  private RequestInfo() {}

  /**
   * The checks a request must pass: its attributes, plus for a WebSocket upgrade of {@code
   * pods/exec}, {@code pods/attach} or {@code pods/portforward} the same with verb {@code create}
   * (kube-apiserver's {@code AuthorizePodWebsocketUpgradeCreatePermission}, on by default since
   * 1.35).
   *
   * @param query the request's query parameters by name (null when absent)
   */
  public static List<Attributes> checks(
      UserInfo user,
      String method,
      String path,
      Function<String, String> query,
      boolean websocketUpgrade) {
    Attributes a = resolve(user, method, path, query);
    List<Attributes> checks = new ArrayList<>(List.of(a));
    if (websocketUpgrade
        && a.resourceRequest()
        && a.verb().equals("get")
        && a.apiGroup().isEmpty()
        && a.resource().equals("pods")
        && CONNECT_SUBRESOURCES.contains(a.subresource())) {
      checks.add(a.withVerb("create"));
    }
    return checks;
  }

  /** The attributes of one request. */
  public static Attributes resolve(
      UserInfo user, String method, String path, Function<String, String> query) {
    String m = method.toUpperCase(Locale.ROOT);
    Attributes nonResource = Attributes.nonResource(user, m.toLowerCase(Locale.ROOT), path);
    List<String> parts = split(path);
    if (parts.size() < 3 || !(parts.get(0).equals("api") || parts.get(0).equals("apis"))) {
      return nonResource;
    }
    boolean grouped = parts.get(0).equals("apis");
    parts = parts.subList(1, parts.size());
    String group = "";
    if (grouped) {
      if (parts.size() < 3) {
        return nonResource;
      }
      group = parts.get(0);
      parts = parts.subList(1, parts.size());
    }
    String version = parts.get(0);
    parts = parts.subList(1, parts.size());
    String verb;
    if (SPECIAL_VERBS.contains(parts.get(0))) {
      if (parts.size() < 2) {
        return nonResource;
      }
      verb = parts.get(0);
      parts = parts.subList(1, parts.size());
    } else {
      verb =
          switch (m) {
            case "POST" -> "create";
            case "GET", "HEAD" -> "get";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> "delete";
            default -> "";
          };
    }
    String namespace = "";
    if (parts.get(0).equals("namespaces")) {
      if (parts.size() > 1) {
        namespace = parts.get(1);
        if (parts.size() > 2 && !NAMESPACE_SUBRESOURCES.contains(parts.get(2))) {
          parts = parts.subList(2, parts.size());
        }
      }
    }
    String resource = parts.get(0);
    String name = parts.size() >= 2 ? parts.get(1) : "";
    String subresource = parts.size() >= 3 ? parts.get(2) : "";
    if (name.isEmpty() && verb.equals("get")) {
      verb = isTrue(query.apply("watch")) ? "watch" : "list";
      String fieldName = exactName(query.apply("fieldSelector"));
      if (fieldName != null) {
        name = fieldName;
      }
    }
    if (name.isEmpty() && verb.equals("delete")) {
      verb = "deletecollection";
    }
    return new Attributes(
        user, verb, true, group, version, resource, subresource, namespace, name, path);
  }

  /** The name a field selector requires ({@code metadata.name=x} or {@code ==}), or null. */
  static String exactName(String fieldSelector) {
    if (fieldSelector == null || fieldSelector.isEmpty()) {
      return null;
    }
    for (String term : fieldSelector.split(",")) {
      String t = term.trim();
      for (String op : List.of("==", "=")) {
        int i = t.indexOf(op);
        if (i > 0 && !t.substring(0, i).endsWith("!")) {
          if (t.substring(0, i).trim().equals("metadata.name")) {
            String v = t.substring(i + op.length()).trim();
            return v.isEmpty() || v.contains("/") ? null : v;
          }
          break;
        }
      }
    }
    return null;
  }

  private static List<String> split(String path) {
    List<String> parts = new ArrayList<>();
    for (String p : path.split("/")) {
      if (!p.isEmpty()) {
        parts.add(p);
      }
    }
    return parts;
  }

  private static boolean isTrue(String v) {
    return v != null && (v.equalsIgnoreCase("true") || v.equals("1") || v.equals("t"));
  }
}
