package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubelet API authentication and authorization, as the kubelet does with {@code
 * --authentication-token-webhook} and {@code --authorization-mode=Webhook}: a bearer token is
 * checked with a TokenReview, then the request with a SubjectAccessReview on {@code
 * nodes/<subresource>} of this node ({@code /containerLogs} → {@code nodes/proxy}, {@code /stats} →
 * {@code nodes/stats}, {@code /metrics} → {@code nodes/metrics}, {@code /pods} and {@code /exec} →
 * {@code nodes/proxy}). Anonymous requests are refused unless explicitly allowed.
 */
public final class KubeletAuth {
  private static final Logger log = LoggerFactory.getLogger(KubeletAuth.class);

  /** The answer for one request. */
  public sealed interface Decision {
    record Allowed(String user) implements Decision {}

    record Denied(int status, String message) implements Decision {}
  }

  private final KubernetesClient meta;
  private final String nodeName;
  private final boolean anonymous;

  private KubeletAuth(KubernetesClient meta, String nodeName, boolean anonymous) {
    this.meta = meta;
    this.nodeName = nodeName;
    this.anonymous = anonymous;
  }

  /** Token + SubjectAccessReview against the metadata cluster; anonymous refused. */
  public static KubeletAuth webhook(KubernetesClient meta, String nodeName) {
    return new KubeletAuth(meta, nodeName, false);
  }

  /** Sandbox only: every request is allowed. Says so in the log. */
  public static KubeletAuth anonymous(String nodeName) {
    log.warn(
        "kubelet API of node {}: anonymous access ENABLED (sandbox); every request is allowed without a token",
        nodeName);
    return new KubeletAuth(null, nodeName, true);
  }

  public Decision authorize(String bearerToken, String method, String path) {
    if (anonymous) {
      return new Decision.Allowed("system:anonymous");
    }
    if (bearerToken == null || bearerToken.isBlank()) {
      return new Decision.Denied(
          401, "Unauthorized: a bearer token is required (anonymous access is disabled)");
    }
    TokenReview review =
        meta.resource(
                new TokenReviewBuilder().withNewSpec().withToken(bearerToken).endSpec().build())
            .create();
    if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())) {
      String err = review.getStatus() == null ? null : review.getStatus().getError();
      return new Decision.Denied(
          401, "Unauthorized: token rejected" + (err == null ? "" : ": " + err));
    }
    var user = review.getStatus().getUser();
    String subresource = subresource(path);
    String verb =
        switch (method) {
          case "POST", "PUT" -> "create";
          case "DELETE" -> "delete";
          default -> "get";
        };
    SubjectAccessReview sar =
        meta.resource(
                new SubjectAccessReviewBuilder()
                    .withNewSpec()
                    .withUser(user.getUsername())
                    .withUid(user.getUid())
                    .withGroups(user.getGroups())
                    .withNewResourceAttributes()
                    .withGroup("")
                    .withResource("nodes")
                    .withSubresource(subresource)
                    .withName(nodeName)
                    .withVerb(verb)
                    .endResourceAttributes()
                    .endSpec()
                    .build())
            .create();
    if (sar.getStatus() == null || !Boolean.TRUE.equals(sar.getStatus().getAllowed())) {
      return new Decision.Denied(
          403,
          "Forbidden (user="
              + user.getUsername()
              + ", verb="
              + verb
              + ", resource=nodes, subresource="
              + subresource
              + ")");
    }
    return new Decision.Allowed(user.getUsername());
  }

  static String subresource(String path) {
    if (path.startsWith("/stats")) {
      return "stats";
    }
    if (path.startsWith("/metrics")) {
      return "metrics";
    }
    if (path.startsWith("/logs")) {
      return "log";
    }
    return "proxy";
  }
}
