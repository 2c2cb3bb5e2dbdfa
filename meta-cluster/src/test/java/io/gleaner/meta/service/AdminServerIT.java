package io.gleaner.meta.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.meta.metrics.Metrics;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminServerIT {
  private final HttpClient http = HttpClient.newHttpClient();
  private Metrics metrics;
  private AdminServer server;

  @BeforeEach
  void start() {
    metrics = Metrics.create("broker", "test");
    server = new AdminServer("127.0.0.1", 0, metrics.registry());
  }

  @AfterEach
  void stop() {
    server.stop();
    metrics.close();
  }

  private HttpResponse<String> call(String method, String path) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthAndReadinessReflectChecks() throws Exception {
    AtomicBoolean zkUp = new AtomicBoolean(false);
    server.addLivenessCheck(HealthCheck.of("event-loop", () -> Health.up("ok")));
    server.addReadinessCheck(
        HealthCheck.of(
            "zookeeper", () -> zkUp.get() ? Health.up("connected") : Health.down("suspended")));
    server.start();
    assertThat(server.port()).isPositive();

    HttpResponse<String> live = call("GET", "/healthz");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(live.body()).getString("status")).isEqualTo("UP");

    HttpResponse<String> notReady = call("GET", "/readyz");
    assertThat(notReady.statusCode()).isEqualTo(503);
    JsonObject body = new JsonObject(notReady.body());
    assertThat(body.getString("status")).isEqualTo("DOWN");
    assertThat(body.getJsonArray("checks").getJsonObject(0).getMap())
        .containsEntry("name", "zookeeper")
        .containsEntry("status", "DOWN")
        .containsEntry("detail", "suspended");

    zkUp.set(true);
    assertThat(call("GET", "/readyz").statusCode()).isEqualTo(200);
  }

  @Test
  void throwingCheckCountsAsDown() throws Exception {
    server.addLivenessCheck(
        HealthCheck.of(
            "broken",
            () -> {
              throw new IllegalStateException("boom");
            }));
    server.start();
    HttpResponse<String> r = call("GET", "/healthz");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("boom");
  }

  @Test
  void servesPrometheusMetricsWithCommonTags() throws Exception {
    metrics.registry().counter("gleaner.test.things", Metrics.TAG_OUTCOME, "ok").increment(3);
    server.start();
    HttpResponse<String> r = call("GET", "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
    assertThat(r.body())
        .contains(
            "gleaner_test_things_total{instance=\"test\",outcome=\"ok\",service=\"broker\"} 3.0")
        .contains("jvm_memory_used_bytes");
  }

  @Test
  void extraRoutesExactAndPrefix() throws Exception {
    server.addRoute("GET", "/dashboard/*", req -> req.response().end("dash " + req.path()));
    server.addRoute("POST", "/api/evict", req -> req.response().setStatusCode(202).end("queued"));
    server.start();
    server.addRoute("GET", "/late", req -> req.response().end("late"));

    assertThat(call("GET", "/dashboard/nodes/a").body()).isEqualTo("dash /dashboard/nodes/a");
    assertThat(call("GET", "/dashboard").body()).isEqualTo("dash /dashboard");
    assertThat(call("GET", "/dashboardx").statusCode()).isEqualTo(404);
    assertThat(call("POST", "/api/evict").statusCode()).isEqualTo(202);
    HttpResponse<String> wrongMethod = call("DELETE", "/api/evict");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("POST");
    assertThat(call("GET", "/late").body()).isEqualTo("late");
    assertThat(call("GET", "/nothing").statusCode()).isEqualTo(404);
    assertThatThrownBy(() -> server.addRoute("GET", "/healthz", req -> {}))
        .hasMessageContaining("already registered");
  }

  @Test
  void failingHandlerGets500() throws Exception {
    server.addRoute(
        "GET",
        "/bad",
        req -> {
          throw new IllegalArgumentException("nope");
        });
    server.start();
    HttpResponse<String> r = call("GET", "/bad");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body()).contains("nope");
  }

  @Test
  void portInUseFailsStartNamingTheAddress() {
    server.start();
    AdminServer second = new AdminServer("127.0.0.1", server.port(), metrics.registry());
    try {
      assertThatThrownBy(second::start)
          .isInstanceOf(LifecycleException.class)
          .hasMessageContaining("127.0.0.1:" + server.port());
    } finally {
      second.stop();
    }
  }
}
