package io.gleaner.vk.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kubelet API's webhook authentication against a metadata API server that answers TokenReview
 * and SubjectAccessReview: no token 401, rejected token 401, authenticated but not allowed 403,
 * allowed 200; and the SubjectAccessReview asks about {@code nodes/<subresource>} of this node with
 * the request's verb.
 */
@EnableKubernetesMockClient(https = false)
class KubeletAuthIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  KubernetesMockServer server;
  KubernetesClient client;
  private final List<JsonNode> reviews = new CopyOnWriteArrayList<>();
  private final AtomicInteger tokenReviews = new AtomicInteger();

  @BeforeEach
  void expectations() {
    server
        .expect()
        .post()
        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(
            201,
            req -> {
              tokenReviews.incrementAndGet();
              JsonNode body = read(req.getBody().readUtf8());
              String token = body.path("spec").path("token").asText();
              boolean ok = token.startsWith("good-");
              return "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"status\":{\"authenticated\":"
                  + ok
                  + (ok
                      ? ",\"user\":{\"username\":\""
                          + token.substring(5)
                          + "\",\"uid\":\"u-1\",\"groups\":[\"team\"]}"
                      : ",\"error\":\"token expired\"")
                  + "}}";
            })
        .always();
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/subjectaccessreviews")
        .andReply(
            201,
            req -> {
              JsonNode body = read(req.getBody().readUtf8());
              reviews.add(body);
              boolean allowed = "alice".equals(body.path("spec").path("user").asText());
              return "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"status\":{\"allowed\":"
                  + allowed
                  + "}}";
            })
        .always();
  }

  private static JsonNode read(String s) {
    try {
      return JSON.readTree(s);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void noTokenIsUnauthorized() {
    KubeletAuth.Decision d = KubeletAuth.webhook(client, "gleaner").authorize(null, "GET", "/pods");
    assertThat(d)
        .isInstanceOfSatisfying(
            KubeletAuth.Decision.Denied.class,
            x -> {
              assertThat(x.status()).isEqualTo(401);
              assertThat(x.message()).contains("anonymous access is disabled");
            });
  }

  @Test
  void rejectedTokenIsUnauthorizedWithTheReviewError() {
    KubeletAuth.Decision d =
        KubeletAuth.webhook(client, "gleaner").authorize("stale", "GET", "/pods");
    assertThat(d)
        .isInstanceOfSatisfying(
            KubeletAuth.Decision.Denied.class,
            x -> {
              assertThat(x.status()).isEqualTo(401);
              assertThat(x.message()).contains("token expired");
            });
    assertThat(reviews).as("no SubjectAccessReview for an unauthenticated user").isEmpty();
  }

  @Test
  void authenticatedButNotAllowedIsForbidden() {
    KubeletAuth.Decision d =
        KubeletAuth.webhook(client, "gleaner")
            .authorize("good-bob", "GET", "/containerLogs/ns/p/main");
    assertThat(d)
        .isInstanceOfSatisfying(
            KubeletAuth.Decision.Denied.class,
            x -> {
              assertThat(x.status()).isEqualTo(403);
              assertThat(x.message()).contains("user=bob").contains("subresource=proxy");
            });
  }

  @Test
  void allowedUserPassesAndTheReviewNamesNodeSubresourceAndVerb() {
    KubeletAuth.Decision d =
        KubeletAuth.webhook(client, "gleaner").authorize("good-alice", "GET", "/stats/summary");
    assertThat(d).isEqualTo(new KubeletAuth.Decision.Allowed("alice"));
    JsonNode attrs = reviews.get(0).path("spec").path("resourceAttributes");
    assertThat(attrs.path("resource").asText()).isEqualTo("nodes");
    assertThat(attrs.path("subresource").asText()).isEqualTo("stats");
    assertThat(attrs.path("name").asText()).isEqualTo("gleaner");
    assertThat(attrs.path("verb").asText()).isEqualTo("get");
    assertThat(reviews.get(0).path("spec").path("groups").get(0).asText()).isEqualTo("team");

    assertThat(
            KubeletAuth.webhook(client, "gleaner")
                .authorize("good-alice", "POST", "/exec/ns/p/main"))
        .isEqualTo(new KubeletAuth.Decision.Allowed("alice"));
    assertThat(reviews.get(1).path("spec").path("resourceAttributes").path("verb").asText())
        .isEqualTo("create");
  }

  @Test
  void aSecondIdenticalRequestAsksNoSecondReview() {
    KubeletAuth auth = KubeletAuth.webhook(client, "gleaner");
    assertThat(auth.authorize("good-alice", "GET", "/containerLogs/ns/p/main"))
        .isEqualTo(new KubeletAuth.Decision.Allowed("alice"));
    assertThat(auth.authorize("good-alice", "GET", "/containerLogs/ns/p/main"))
        .isEqualTo(new KubeletAuth.Decision.Allowed("alice"));
    // another path of the same subresource and verb is the same authorization question
    assertThat(auth.authorize("good-alice", "GET", "/pods"))
        .isEqualTo(new KubeletAuth.Decision.Allowed("alice"));
    assertThat(tokenReviews).hasValue(1);
    assertThat(reviews).hasSize(1);

    // a denial is cached too (for less long), and a rejected token is not
    assertThat(auth.authorize("good-bob", "GET", "/pods"))
        .isInstanceOf(KubeletAuth.Decision.Denied.class);
    assertThat(auth.authorize("good-bob", "GET", "/pods"))
        .isInstanceOf(KubeletAuth.Decision.Denied.class);
    assertThat(reviews).hasSize(2);
    auth.authorize("stale", "GET", "/pods");
    auth.authorize("stale", "GET", "/pods");
    assertThat(tokenReviews).hasValue(4);

    // another subresource or verb is another question
    auth.authorize("good-alice", "GET", "/stats/summary");
    auth.authorize("good-alice", "POST", "/exec/ns/p/main");
    assertThat(reviews)
        .extracting(r -> r.path("spec").path("resourceAttributes").path("subresource").asText())
        .containsExactly("proxy", "proxy", "stats", "proxy");
  }

  @Test
  void anonymousWhenEnabledIsAuthorizedBySubjectAccessReviewAsSystemAnonymous() {
    KubeletAuth auth = KubeletAuth.webhook(client, "gleaner", List.of(), true);
    assertThat(auth.authorize(List.of(), null, "GET", "/pods"))
        .isInstanceOfSatisfying(
            KubeletAuth.Decision.Denied.class, x -> assertThat(x.status()).isEqualTo(403));
    assertThat(reviews.get(0).path("spec").path("user").asText()).isEqualTo("system:anonymous");
    assertThat(reviews.get(0).path("spec").path("groups").get(0).asText())
        .isEqualTo("system:unauthenticated");
    assertThat(tokenReviews).hasValue(0);
  }
}
