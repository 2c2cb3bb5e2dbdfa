package io.gleaner.vk.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.gleaner.sim.apiserver.auth.ClusterCa;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kubelet API server with webhook authentication on (the default), against a metadata API
 * server that answers TokenReview and SubjectAccessReview (fabric8 mock, expectations mode): over
 * HTTPS, no token is 401, a token the review rejects is 401, an authenticated user the
 * SubjectAccessReview denies is 403 and an allowed one gets the answer; a WebSocket {@code /exec}
 * upgrade is refused with the same statuses before any stream opens. A client certificate signed by
 * the client CA (as kube-apiserver's {@code --kubelet-client-certificate}) authenticates its CN and
 * O as user and groups, which the SubjectAccessReview then names; one from another CA is 401.
 */
@EnableKubernetesMockClient(https = false)
class KubeletServerAuthIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  KubernetesMockServer server;
  KubernetesClient client;
  private final Vertx vertx = Vertx.vertx();
  private final List<JsonNode> reviews = new CopyOnWriteArrayList<>();
  private final AtomicInteger tokenReviews = new AtomicInteger();
  private final ClusterCa clientCa = ClusterCa.create("meta-ca");
  private KubeletServer kubelet;
  private KubeletAuth auth;
  private HttpClient http;

  @BeforeEach
  void setUp() {
    server
        .expect()
        .post()
        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(
            201,
            req -> {
              tokenReviews.incrementAndGet();
              String token = read(req.getBody().readUtf8()).path("spec").path("token").asText();
              boolean ok = token.startsWith("good-");
              return "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"status\":{\"authenticated\":"
                  + ok
                  + (ok
                      ? ",\"user\":{\"username\":\""
                          + token.substring(5)
                          + "\",\"groups\":[\"team\"]}"
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
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("train-0")
            .withNamespace("team-a")
            .endMetadata()
            .build();
    KubeletBackend backend =
        new KubeletBackend() {
          @Override
          public Collection<Pod> pods() {
            return List.of(pod);
          }

          @Override
          public Optional<Target> resolve(String namespace, String name) {
            return Optional.empty();
          }

          @Override
          public Map<String, Object> statsSummary() {
            return Map.of("node", Map.of("nodeName", "gleaner"), "pods", List.of());
          }

          @Override
          public String resourceMetrics() {
            return "scrape_error 0\n";
          }
        };
    auth = KubeletAuth.webhook(client, "gleaner", List.of(clientCa.certificate()), false);
    kubelet = new KubeletServer(vertx, backend, auth, Clock.systemUTC());
    kubelet.start(
        "127.0.0.1",
        0,
        SelfSignedCertificate.generate(
            "gleaner", "127.0.0.1", Clock.systemUTC(), Duration.ofDays(1)));
    http =
        vertx.createHttpClient(
            new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false));
  }

  @AfterEach
  void tearDown() throws Exception {
    http.close();
    kubelet.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static JsonNode read(String s) {
    try {
      return JSON.readTree(s);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** "status body" of a GET with an optional bearer token. */
  private String get(String path, String token) throws Exception {
    return get(http, path, token);
  }

  /** "status body" of a GET that presents {@code cert} as TLS client certificate. */
  private String getWithCert(String path, ClusterCa.Issued cert) throws Exception {
    HttpClient withCert = vertx.createHttpClient(clientOptions(cert));
    try {
      return get(withCert, path, null);
    } finally {
      withCert.close();
    }
  }

  private static HttpClientOptions clientOptions(ClusterCa.Issued cert) {
    return new HttpClientOptions()
        .setSsl(true)
        .setTrustAll(true)
        .setVerifyHost(false)
        .setKeyCertOptions(
            new PemKeyCertOptions()
                .addCertValue(io.vertx.core.buffer.Buffer.buffer(cert.certificatePem()))
                .addKeyValue(io.vertx.core.buffer.Buffer.buffer(cert.pkcs8KeyPem())));
  }

  private String get(HttpClient http, String path, String token) throws Exception {
    RequestOptions o =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost("127.0.0.1")
            .setPort(kubelet.port())
            .setURI(path);
    if (token != null) {
      o.putHeader("Authorization", "Bearer " + token);
    }
    return http.request(o)
        .compose(r -> r.send().compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b)))
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  /** The status the kubelet answers a WebSocket exec upgrade with (101 = accepted). */
  private int execUpgrade(String token) throws Exception {
    return execUpgrade(token, null);
  }

  private int execUpgrade(String token, ClusterCa.Issued cert) throws Exception {
    WebSocketConnectOptions o =
        new WebSocketConnectOptions()
            .setHost("127.0.0.1")
            .setPort(kubelet.port())
            .setSsl(true)
            .setURI("/exec/team-a/train-0/main?command=ls&output=1")
            .setSubProtocols(List.of("v5.channel.k8s.io", "v4.channel.k8s.io"));
    if (token != null) {
      o.addHeader("Authorization", "Bearer " + token);
    }
    try {
      vertx
          .createWebSocketClient(wsOptions(cert))
          .connect(o)
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS)
          .close();
      return 101;
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(UpgradeRejectedException.class);
      return ((UpgradeRejectedException) e.getCause()).getStatus();
    }
  }

  @Test
  void noTokenIsUnauthorizedAndNoReviewIsAsked() throws Exception {
    assertThat(get("/pods", null)).startsWith("401 ").contains("anonymous access is disabled");
    assertThat(get("/stats/summary", null)).startsWith("401 ");
    assertThat(execUpgrade(null)).isEqualTo(401);
    assertThat(server.getRequestCount()).isZero();
    assertThat(get("/healthz", null)).isEqualTo("200 ok");
  }

  @Test
  void tokenTheReviewRejectsIsUnauthorized() throws Exception {
    assertThat(get("/pods", "stale")).startsWith("401 ").contains("token expired");
    assertThat(get("/metrics/resource", "stale")).startsWith("401 ");
    assertThat(execUpgrade("stale")).isEqualTo(401);
    assertThat(reviews).as("no SubjectAccessReview for an unauthenticated caller").isEmpty();
  }

  @Test
  void authenticatedButDeniedIsForbidden() throws Exception {
    assertThat(get("/pods", "good-bob")).startsWith("403 ").contains("user=bob");
    assertThat(get("/stats/summary", "good-bob")).startsWith("403 ").contains("subresource=stats");
    assertThat(execUpgrade("good-bob")).isEqualTo(403);
    assertThat(reviews)
        .extracting(r -> r.path("spec").path("resourceAttributes").path("name").asText())
        .containsOnly("gleaner");
  }

  @Test
  void allowedUserGetsTheAnswer() throws Exception {
    assertThat(get("/pods", "good-alice"))
        .startsWith("200 ")
        .contains("\"kind\":\"PodList\"")
        .contains("train-0");
    assertThat(get("/stats/summary", "good-alice"))
        .startsWith("200 ")
        .contains("\"nodeName\":\"gleaner\"");
    assertThat(get("/metrics/resource", "good-alice")).isEqualTo("200 scrape_error 0\n");
    // past authorization, exec reaches the backend, which has no member pod for it
    assertThat(execUpgrade("good-alice")).isEqualTo(404);
    assertThat(reviews)
        .extracting(r -> r.path("spec").path("resourceAttributes").path("subresource").asText())
        .containsExactly("proxy", "stats", "metrics", "proxy");
    assertThat(reviews.get(3).path("spec").path("resourceAttributes").path("verb").asText())
        .isEqualTo("create");
  }

  private static WebSocketClientOptions wsOptions(ClusterCa.Issued cert) {
    WebSocketClientOptions o =
        new WebSocketClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false);
    if (cert != null) {
      o.setKeyCertOptions(
          new PemKeyCertOptions()
              .addCertValue(io.vertx.core.buffer.Buffer.buffer(cert.certificatePem()))
              .addKeyValue(io.vertx.core.buffer.Buffer.buffer(cert.pkcs8KeyPem())));
    }
    return o;
  }

  @Test
  void clientCertificateFromTheClientCaIsAuthorizedAsItsCnAndO() throws Exception {
    // what kube-apiserver presents when it relays kubectl logs/exec (--kubelet-client-certificate)
    ClusterCa.Issued alice = clientCa.issueClient("alice", List.of("system:masters"));
    assertThat(getWithCert("/pods", alice)).startsWith("200 ").contains("train-0");
    assertThat(execUpgrade(null, alice)).isEqualTo(404);
    ClusterCa.Issued bob = clientCa.issueClient("bob", List.of("team"));
    assertThat(getWithCert("/stats/summary", bob)).startsWith("403 ").contains("user=bob");
    assertThat(tokenReviews).as("a certificate needs no TokenReview").hasValue(0);
    assertThat(reviews).hasSize(3);
    assertThat(reviews.get(0).path("spec").path("user").asText()).isEqualTo("alice");
    assertThat(reviews.get(0).path("spec").path("groups").get(0).asText())
        .isEqualTo("system:masters");
    assertThat(reviews.get(2).path("spec").path("groups").get(0).asText()).isEqualTo("team");
  }

  @Test
  void clientCertificateFromAnotherCaIsUnauthorized() throws Exception {
    ClusterCa other = ClusterCa.create("other-ca");
    ClusterCa.Issued mallory = other.issueClient("alice", List.of("system:masters"));
    assertThat(getWithCert("/pods", mallory)).startsWith("401 ");
    assertThat(execUpgrade(null, mallory)).isEqualTo(401);
    assertThat(server.getRequestCount()).as("no review for an unverified certificate").isZero();
  }

  @Test
  void aSecondIdenticalRequestAsksNoSecondReview() throws Exception {
    ClusterCa.Issued alice = clientCa.issueClient("alice", List.of("system:masters"));
    assertThat(getWithCert("/pods", alice)).startsWith("200 ");
    assertThat(getWithCert("/pods", alice)).startsWith("200 ");
    assertThat(get("/pods", "good-alice")).startsWith("200 ");
    assertThat(get("/pods", "good-alice")).startsWith("200 ");
    assertThat(tokenReviews).hasValue(1);
    // the certificate's user has groups [system:masters], the token's [team]: two questions
    assertThat(reviews).hasSize(2);
  }

  @Test
  void aRotatedClientCaVerifiesTheNextRequests() throws Exception {
    // as a kubelet follows its --client-ca-file: both CAs, then the new one alone
    ClusterCa next = ClusterCa.create("meta-ca-next");
    ClusterCa.Issued ofOld = clientCa.issueClient("alice", List.of("system:masters"));
    ClusterCa.Issued ofNext = next.issueClient("alice", List.of("system:masters"));
    assertThat(getWithCert("/pods", ofNext)).startsWith("401 ");

    auth.trustClientCas(List.of(clientCa.certificate(), next.certificate()));
    assertThat(getWithCert("/pods", ofNext)).startsWith("200 ");
    assertThat(getWithCert("/pods", ofOld)).startsWith("200 ");
    assertThat(execUpgrade(null, ofNext)).isEqualTo(404);

    auth.trustClientCas(List.of(next.certificate()));
    assertThat(getWithCert("/pods", ofOld)).startsWith("401 ");
    assertThat(getWithCert("/pods", ofNext)).startsWith("200 ");
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> auth.trustClientCas(List.of())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(getWithCert("/pods", ofNext)).startsWith("200 ");
  }
}
