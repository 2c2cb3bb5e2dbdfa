package io.gleaner.sim.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The authentication and authorization APIs, answered from the same authenticator and authorizer
 * that guard every request: {@code TokenReview} and {@code SelfSubjectReview} ({@code
 * authentication.k8s.io/v1}), {@code SubjectAccessReview}, {@code LocalSubjectAccessReview}, {@code
 * SelfSubjectAccessReview} and {@code SelfSubjectRulesReview} ({@code authorization.k8s.io/v1}),
 * and the TokenRequest subresource {@code serviceaccounts/<name>/token}. These are create-only;
 * nothing is stored.
 */
public final class AuthApi {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final String AUTHN = "/apis/authentication.k8s.io/v1/";
  private static final String AUTHZ = "/apis/authorization.k8s.io/v1/";

  private final ServiceAccountTokens tokens;
  private final Authorizer authorizer;

  public AuthApi(ServiceAccountTokens tokens, Authorizer authorizer) {
    this.tokens = tokens;
    this.authorizer = authorizer;
  }

  /** Whether {@code path} is one of these APIs (then {@link #handle} answers it). */
  public static boolean handles(String path) {
    if (path.startsWith(AUTHN) || path.startsWith(AUTHZ)) {
      return !path.endsWith("/v1");
    }
    String[] p = path.split("/");
    // "", api, v1, namespaces, <ns>, serviceaccounts, <name>, token
    return p.length == 8
        && p[1].equals("api")
        && p[3].equals("namespaces")
        && p[5].equals("serviceaccounts")
        && p[7].equals("token");
  }

  /**
   * Answers a request to one of these APIs: the created review or TokenRequest (HTTP 201).
   *
   * @param body the parsed request body
   * @param user the caller
   */
  public ObjectNode handle(String method, String path, JsonNode body, UserInfo user) {
    if (!method.equals("POST")) {
      throw ApiException.methodNotAllowed(
          "the server does not allow this method on the requested resource");
    }
    String[] p = path.split("/");
    if (path.startsWith("/api/")) {
      return tokens.tokenRequest(p[4], p[6], body);
    }
    String resource = p[p.length - 1];
    String namespace = p.length == 7 && p[4].equals("namespaces") ? p[5] : null;
    ObjectNode out = body.isObject() ? ((ObjectNode) body).deepCopy() : F.objectNode();
    out.with("metadata").put("creationTimestamp", (String) null);
    switch (path.startsWith(AUTHN) ? "authn/" + resource : resource) {
      case "authn/tokenreviews" -> tokenReview(out);
      case "authn/selfsubjectreviews" -> {
        out.put("kind", "SelfSubjectReview").put("apiVersion", "authentication.k8s.io/v1");
        out.putObject("status").set("userInfo", userJson(user));
      }
      case "subjectaccessreviews" -> access(out, "SubjectAccessReview", specUser(out), null);
      case "localsubjectaccessreviews" -> {
        if (namespace == null) {
          throw notFound(path);
        }
        access(out, "LocalSubjectAccessReview", specUser(out), namespace);
      }
      case "selfsubjectaccessreviews" -> access(out, "SelfSubjectAccessReview", user, null);
      case "selfsubjectrulesreviews" -> rulesReview(out, user);
      default -> throw notFound(path);
    }
    return out;
  }

  private void tokenReview(ObjectNode out) {
    out.put("kind", "TokenReview").put("apiVersion", "authentication.k8s.io/v1");
    String token = out.path("spec").path("token").asText("");
    List<String> wanted = new ArrayList<>();
    out.path("spec").path("audiences").forEach(a -> wanted.add(a.asText()));
    ObjectNode status = out.putObject("status");
    Optional<ServiceAccountTokens.Review> r =
        token.isEmpty() ? Optional.empty() : tokens.review(token);
    List<String> target = wanted.isEmpty() ? List.of(ServiceAccountTokens.API_AUDIENCE) : wanted;
    List<String> matching =
        r.map(x -> x.audiences().stream().filter(target::contains).toList()).orElse(List.of());
    if (r.isEmpty() || matching.isEmpty()) {
      status.put("authenticated", false);
      status.put("error", r.isEmpty() ? "[invalid bearer token]" : "token audiences mismatch");
      return;
    }
    status.put("authenticated", true);
    status.set("user", userJson(r.get().user()));
    ArrayNode aud = status.putArray("audiences");
    matching.forEach(aud::add);
  }

  private static UserInfo specUser(ObjectNode review) {
    JsonNode spec = review.path("spec");
    String name = spec.path("user").asText("");
    List<String> groups = new ArrayList<>();
    spec.path("groups").forEach(g -> groups.add(g.asText()));
    if (name.isEmpty() && groups.isEmpty()) {
      throw invalid(review, "spec.user", "at least one of user or group must be specified");
    }
    return new UserInfo(name, spec.path("uid").asText(""), groups, Map.of());
  }

  private void access(ObjectNode out, String kind, UserInfo user, String urlNamespace) {
    out.put("kind", kind).put("apiVersion", "authorization.k8s.io/v1");
    JsonNode spec = out.path("spec");
    JsonNode res = spec.path("resourceAttributes");
    JsonNode non = spec.path("nonResourceAttributes");
    if (res.isObject() == non.isObject()) {
      throw invalid(
          out,
          "spec.resourceAttributes",
          "exactly one of nonResourceAttributes or resourceAttributes must be specified");
    }
    Attributes a;
    if (res.isObject()) {
      String ns = res.path("namespace").asText("");
      if (urlNamespace != null && !urlNamespace.equals(ns)) {
        throw invalid(
            out,
            "spec.resourceAttributes.namespace",
            "must match metadata.namespace (" + urlNamespace + ")");
      }
      a =
          Attributes.resource(
              user,
              res.path("verb").asText(""),
              res.path("group").asText(""),
              res.path("resource").asText(""),
              res.path("subresource").asText(""),
              ns,
              res.path("name").asText(""));
    } else {
      a = Attributes.nonResource(user, non.path("verb").asText(""), non.path("path").asText(""));
    }
    Decision d = authorizer.authorize(a);
    ObjectNode status = out.putObject("status");
    status.put("allowed", d.allowed());
    if (!d.reason().isEmpty()) {
      status.put("reason", d.reason());
    }
  }

  private void rulesReview(ObjectNode out, UserInfo user) {
    out.put("kind", "SelfSubjectRulesReview").put("apiVersion", "authorization.k8s.io/v1");
    String ns = out.path("spec").path("namespace").asText("");
    ObjectNode status = out.putObject("status");
    ArrayNode resourceRules = status.putArray("resourceRules");
    ArrayNode nonResourceRules = status.putArray("nonResourceRules");
    for (JsonNode rule : authorizer.rules(user, ns)) {
      if (rule.has("nonResourceURLs") && !rule.path("nonResourceURLs").isEmpty()) {
        ObjectNode r = nonResourceRules.addObject();
        r.set("verbs", rule.path("verbs"));
        r.set("nonResourceURLs", rule.path("nonResourceURLs"));
      } else {
        ObjectNode r = resourceRules.addObject();
        r.set("verbs", rule.path("verbs"));
        for (String f : List.of("apiGroups", "resources", "resourceNames")) {
          if (rule.has(f)) {
            r.set(f, rule.get(f));
          }
        }
      }
    }
    status.put("incomplete", false);
  }

  static ObjectNode userJson(UserInfo user) {
    ObjectNode u = F.objectNode();
    u.put("username", user.name());
    if (!user.uid().isEmpty()) {
      u.put("uid", user.uid());
    }
    ArrayNode groups = u.putArray("groups");
    user.groups().forEach(groups::add);
    if (!user.extra().isEmpty()) {
      ObjectNode extra = u.putObject("extra");
      user.extra().forEach((k, v) -> v.forEach(x -> extra.withArray(k).add(x)));
    }
    return u;
  }

  private static ApiException invalid(ObjectNode review, String field, String message) {
    String kind = review.path("kind").asText("SubjectAccessReview");
    String name = review.path("metadata").path("name").asText("");
    return new ApiException(
        422,
        "Invalid",
        kind
            + ".authorization.k8s.io \""
            + name
            + "\" is invalid: "
            + field
            + ": Invalid value: \"\": "
            + message,
        kind,
        name,
        List.of(new ApiException.Cause("FieldValueInvalid", message, field)));
  }

  private static ApiException notFound(String path) {
    return new ApiException(
        404, "NotFound", "the server could not find the requested resource (" + path + ")");
  }
}
