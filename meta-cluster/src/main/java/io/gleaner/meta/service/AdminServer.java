package io.gleaner.meta.service;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP admin surface every service exposes, on Vert.x core:
 *
 * <ul>
 *   <li>{@code GET /healthz}: liveness; 200 when every liveness check is UP, else 503;
 *   <li>{@code GET /readyz}: readiness; 200 when every readiness check is UP, else 503;
 *   <li>{@code GET /metrics}: the Prometheus text exposition of the service's registry.
 * </ul>
 *
 * Health bodies are JSON: {@code {"status":"UP","checks":[{"name":..,"status":..,"detail":..}]}}.
 * Other components add their own routes with {@link #addRoute} (e.g. the broker dashboard).
 *
 * <p>Port 0 binds an ephemeral port; {@link #port()} returns the bound one once started.
 */
public final class AdminServer extends AbstractLifecycle {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

  /** Content type of the Prometheus text format 0.0.4. */
  public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final String host;
  private final int requestedPort;
  private final PrometheusMeterRegistry registry;
  private final boolean ownsVertx;
  private final Vertx vertx;
  private final HttpRoutes routes = new HttpRoutes();
  private final List<HealthCheck> liveness = new CopyOnWriteArrayList<>();
  private final List<HealthCheck> readiness = new CopyOnWriteArrayList<>();
  private volatile HttpServer server;

  /** An admin server on its own small Vert.x instance, closed with the server. */
  public AdminServer(String host, int port, PrometheusMeterRegistry registry) {
    this(null, host, port, registry);
  }

  /**
   * An admin server on a shared Vert.x instance (which the caller closes), or on its own when
   * {@code vertx} is null.
   */
  public AdminServer(Vertx vertx, String host, int port, PrometheusMeterRegistry registry) {
    super("admin-server");
    this.host = Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("admin server port must be 0..65535, got " + port);
    }
    this.requestedPort = port;
    this.registry = Objects.requireNonNull(registry, "registry");
    this.ownsVertx = vertx == null;
    this.vertx =
        vertx != null
            ? vertx
            : Vertx.vertx(
                new VertxOptions()
                    .setEventLoopPoolSize(1)
                    .setWorkerPoolSize(2)
                    .setInternalBlockingPoolSize(2));
    routes.add("GET", "/healthz", req -> serveHealth(req, liveness));
    routes.add("GET", "/livez", req -> serveHealth(req, liveness));
    routes.add("GET", "/readyz", req -> serveHealth(req, readiness));
    routes.add("GET", "/metrics", this::serveMetrics);
  }

  /** Adds a check to {@code /healthz}; allowed before or after start. */
  public AdminServer addLivenessCheck(HealthCheck check) {
    liveness.add(Objects.requireNonNull(check, "check"));
    return this;
  }

  /** Adds a check to {@code /readyz}; allowed before or after start. */
  public AdminServer addReadinessCheck(HealthCheck check) {
    readiness.add(Objects.requireNonNull(check, "check"));
    return this;
  }

  /**
   * Adds a route; see {@link HttpRoutes#add} for matching rules. Handlers run on the event loop and
   * must not block.
   */
  public AdminServer addRoute(String method, String path, Handler<HttpServerRequest> handler) {
    routes.add(method, path, handler);
    return this;
  }

  /**
   * The Vert.x instance serving requests, for handlers that need {@code executeBlocking} or timers.
   */
  public Vertx vertx() {
    return vertx;
  }

  /** The bound port; only valid while running. */
  public int port() {
    HttpServer s = server;
    if (s == null) {
      throw new IllegalStateException("admin server is not started");
    }
    return s.actualPort();
  }

  /** {@code http://host:port}, with the bound port. */
  public String baseUrl() {
    String h = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    return "http://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + port();
  }

  @Override
  protected void doStart() throws Exception {
    HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(requestedPort);
    server =
        await(
            vertx.createHttpServer(options).requestHandler(routes).listen(),
            "bind admin server to " + host + ":" + requestedPort);
    log.info(
        "admin server listening on {}:{} (/healthz, /readyz, /metrics)", host, server.actualPort());
  }

  @Override
  protected void doStop() throws Exception {
    HttpServer s = server;
    if (s != null) {
      await(s.close(), "close admin server");
    }
    if (ownsVertx) {
      await(vertx.close(), "close admin server's Vert.x");
    }
  }

  /** Runs every check, counting an exception as DOWN. */
  public static JsonObject evaluate(List<HealthCheck> checks) {
    JsonArray results = new JsonArray();
    boolean allUp = true;
    for (HealthCheck check : checks) {
      Health h;
      try {
        h = Objects.requireNonNull(check.check(), "check returned null");
      } catch (RuntimeException e) {
        h = Health.down("check failed: " + e);
      }
      allUp &= h.isUp();
      results.add(
          new JsonObject()
              .put("name", check.name())
              .put("status", h.status().name())
              .put("detail", h.detail()));
    }
    return new JsonObject().put("status", allUp ? "UP" : "DOWN").put("checks", results);
  }

  private void serveHealth(HttpServerRequest request, List<HealthCheck> checks) {
    vertx
        .executeBlocking((Callable<JsonObject>) () -> evaluate(checks), false)
        .onComplete(
            result -> {
              if (result.failed()) {
                HttpRoutes.error(request, 500, "health evaluation failed: " + result.cause());
                return;
              }
              JsonObject body = result.result();
              request
                  .response()
                  .setStatusCode("UP".equals(body.getString("status")) ? 200 : 503)
                  .putHeader("Content-Type", "application/json")
                  .putHeader("Cache-Control", "no-store")
                  .end(body.encodePrettily());
            });
  }

  private void serveMetrics(HttpServerRequest request) {
    vertx
        .executeBlocking((Callable<String>) registry::scrape, false)
        .onComplete(
            result -> {
              if (result.failed()) {
                HttpRoutes.error(request, 500, "scrape failed: " + result.cause());
                return;
              }
              request
                  .response()
                  .putHeader("Content-Type", PROMETHEUS_CONTENT_TYPE)
                  .end(result.result());
            });
  }

  private static <T> T await(Future<T> future, String what) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      throw new LifecycleException("could not " + what + ": " + cause.getMessage(), cause);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new LifecycleException("could not " + what + " within 15s", e);
    }
  }
}
