package io.gleaner.sim.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.ApiException;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceType;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.apiserver.Times;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Service account tokens: those of the TokenRequest API ({@code serviceaccounts/<name>/token}) and
 * those the token controller writes into legacy {@code kubernetes.io/service-account-token}
 * Secrets. Tokens are opaque random strings the server remembers (TokenRequest) or finds in the
 * Secret; either is valid only while its ServiceAccount exists with the same UID, a bound object
 * (Pod or Secret) still exists with its UID, the expiry (cluster clock) has not passed, and — for
 * Secret tokens — the Secret still holds it.
 */
public final class ServiceAccountTokens {
  /** The API server's own audience (kube-apiserver's default {@code --api-audiences}). */
  public static final String API_AUDIENCE = "https://kubernetes.default.svc.cluster.local";

  public static final String SECRET_TYPE = "kubernetes.io/service-account-token";
  public static final String SA_NAME_ANNOTATION = "kubernetes.io/service-account.name";
  public static final String SA_UID_ANNOTATION = "kubernetes.io/service-account.uid";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long MIN_EXPIRATION_SECONDS = 600;
  private static final long DEFAULT_EXPIRATION_SECONDS = 3600;

  private final ObjectStore store;
  private final Map<String, Issued> issued = new ConcurrentHashMap<>();

  /** A token's owner and audiences. */
  public record Review(UserInfo user, List<String> audiences) {}

  private record Issued(
      String namespace,
      String serviceAccount,
      String serviceAccountUid,
      Instant expires,
      List<String> audiences,
      ResourceType boundType,
      String boundName,
      String boundUid) {}

  public ServiceAccountTokens(ObjectStore store) {
    this.store = store;
  }

  /** A new opaque token. */
  static String newToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return "sim." + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /**
   * Serves {@code POST serviceaccounts/<name>/token}: returns the TokenRequest with {@code
   * status.token} and {@code status.expirationTimestamp}.
   */
  public ObjectNode tokenRequest(String namespace, String name, JsonNode body) {
    ObjectNode sa = store.require(ResourceTypes.SERVICEACCOUNTS, namespace, name);
    JsonNode spec = body.path("spec");
    long seconds = spec.path("expirationSeconds").asLong(DEFAULT_EXPIRATION_SECONDS);
    if (seconds < MIN_EXPIRATION_SECONDS) {
      throw new ApiException(
          422,
          "Invalid",
          "TokenRequest.authentication.k8s.io \""
              + name
              + "\" is invalid: spec.expirationSeconds: Invalid value: "
              + seconds
              + ": may not specify a duration less than 10 minutes",
          "TokenRequest",
          name,
          List.of());
    }
    List<String> audiences = new ArrayList<>();
    spec.path("audiences").forEach(a -> audiences.add(a.asText()));
    if (audiences.isEmpty()) {
      audiences.add(API_AUDIENCE);
    }
    ResourceType boundType = null;
    String boundName = null;
    String boundUid = null;
    JsonNode ref = spec.path("boundObjectRef");
    if (ref.isObject()) {
      boundType =
          switch (ref.path("kind").asText("")) {
            case "Pod" -> ResourceTypes.PODS;
            case "Secret" -> ResourceTypes.SECRETS;
            default ->
                throw ApiException.badRequest(
                    "cannot bind token to object of type " + ref.path("kind").asText(""));
          };
      boundName = ref.path("name").asText("");
      ObjectNode bound = store.require(boundType, namespace, boundName);
      boundUid = bound.path("metadata").path("uid").asText();
      String wantedUid = ref.path("uid").asText("");
      if (!wantedUid.isEmpty() && !wantedUid.equals(boundUid)) {
        throw new ApiException(
            409,
            "Conflict",
            "the UID in the bound object reference ("
                + wantedUid
                + ") does not match the UID in record. The object might have been deleted and then "
                + "recreated");
      }
    }
    Instant expires = store.clock().instant().plusSeconds(seconds);
    String token = newToken();
    issued.put(
        token,
        new Issued(
            namespace,
            name,
            sa.path("metadata").path("uid").asText(),
            expires,
            List.copyOf(audiences),
            boundType,
            boundName,
            boundUid));
    prune();
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    r.put("kind", "TokenRequest");
    r.put("apiVersion", "authentication.k8s.io/v1");
    r.putObject("metadata")
        .put("name", name)
        .put("namespace", namespace)
        .put("creationTimestamp", Times.format(store.clock().instant()));
    ObjectNode outSpec = r.putObject("spec");
    ArrayNode aud = outSpec.putArray("audiences");
    audiences.forEach(aud::add);
    outSpec.put("expirationSeconds", seconds);
    if (ref.isObject()) {
      outSpec.set("boundObjectRef", ref);
    } else {
      outSpec.putNull("boundObjectRef");
    }
    r.putObject("status").put("token", token).put("expirationTimestamp", Times.format(expires));
    return r;
  }

  /** Who {@code token} belongs to, if it is a valid service account token. */
  public Optional<Review> review(String token) {
    Issued i = issued.get(token);
    if (i != null) {
      if (!store.clock().instant().isBefore(i.expires())) {
        issued.remove(token);
        return Optional.empty();
      }
      ObjectNode sa = store.get(ResourceTypes.SERVICEACCOUNTS, i.namespace(), i.serviceAccount());
      if (sa == null || !sa.path("metadata").path("uid").asText().equals(i.serviceAccountUid())) {
        return Optional.empty();
      }
      if (i.boundType() != null) {
        ObjectNode bound = store.get(i.boundType(), i.namespace(), i.boundName());
        if (bound == null
            || !bound.path("metadata").path("uid").asText().equals(i.boundUid())
            || bound.path("metadata").has("deletionTimestamp")) {
          return Optional.empty();
        }
      }
      return Optional.of(
          new Review(
              UserInfo.serviceAccount(i.namespace(), i.serviceAccount(), i.serviceAccountUid()),
              i.audiences()));
    }
    return secretToken(token);
  }

  private Optional<Review> secretToken(String token) {
    String encoded = Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8));
    List<ObjectNode> secrets =
        store
            .list(
                ResourceTypes.SECRETS,
                null,
                s ->
                    SECRET_TYPE.equals(s.path("type").asText())
                        && encoded.equals(s.path("data").path("token").asText()))
            .items();
    for (ObjectNode s : secrets) {
      JsonNode meta = s.path("metadata");
      String ns = meta.path("namespace").asText();
      String saName = meta.path("annotations").path(SA_NAME_ANNOTATION).asText("");
      ObjectNode sa = store.get(ResourceTypes.SERVICEACCOUNTS, ns, saName);
      if (sa == null) {
        continue;
      }
      String uid = sa.path("metadata").path("uid").asText();
      String wantedUid = meta.path("annotations").path(SA_UID_ANNOTATION).asText("");
      if (!wantedUid.isEmpty() && !wantedUid.equals(uid)) {
        continue;
      }
      return Optional.of(
          new Review(UserInfo.serviceAccount(ns, saName, uid), List.of(API_AUDIENCE)));
    }
    return Optional.empty();
  }

  private void prune() {
    if (issued.size() < 1024) {
      return;
    }
    Instant now = store.clock().instant();
    issued.values().removeIf(i -> !now.isBefore(i.expires()));
  }
}
