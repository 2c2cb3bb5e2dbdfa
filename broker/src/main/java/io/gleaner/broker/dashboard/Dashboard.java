package io.gleaner.broker.dashboard;

import io.gleaner.meta.service.AdminServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * The capacity dashboard, served by the broker on its admin HTTP server.
 *
 * <p>Pages and JSON API (all GET):
 *
 * <ul>
 *   <li>{@code /} — the dashboard page (self-contained HTML, SVG charts, no external assets);
 *   <li>{@code /api/v1/summary} — current capacity (advertised, offered, reserved, placed; by
 *       class), largest placeable shape, per-cluster capacity and health, pods by class and phase,
 *       latest reclaims;
 *   <li>{@code /api/v1/history} — offered cores by source and by cluster over time, oldest first;
 *   <li>{@code /api/v1/reclaims} — the latest reclaim events, newest first.
 * </ul>
 *
 * Quantities appear as {@code {"text": "1500m", "value": 1.5}} with values in cores, GiB or counts.
 */
public final class Dashboard {
  private final DashboardModel model;
  private final String page;

  public Dashboard(DashboardModel model) {
    this.model = Objects.requireNonNull(model, "model");
    this.page = loadPage();
  }

  /**
   * Adds the routes to the admin server and samples the history every {@code samplePeriod} (real
   * time).
   */
  public void install(AdminServer server, Duration samplePeriod) {
    server.addRoute("GET", "/", req -> html(req));
    server.addRoute("GET", "/index.html", req -> html(req));
    server.addRoute(
        "GET", "/api/v1/summary", req -> json(server, req, () -> model.summary().encode()));
    server.addRoute(
        "GET", "/api/v1/history", req -> json(server, req, () -> model.history().encode()));
    server.addRoute(
        "GET", "/api/v1/reclaims", req -> json(server, req, () -> model.reclaims().encode()));
    model.sample();
    server
        .vertx()
        .setPeriodic(
            Math.max(100, samplePeriod.toMillis()),
            id ->
                server
                    .vertx()
                    .executeBlocking(
                        () -> {
                          model.sample();
                          return null;
                        },
                        false));
  }

  public DashboardModel model() {
    return model;
  }

  private void html(HttpServerRequest req) {
    req.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .end(page);
  }

  private static void json(
      AdminServer server, HttpServerRequest req, java.util.concurrent.Callable<String> body) {
    server
        .vertx()
        .executeBlocking(body, false)
        .onComplete(
            r -> {
              if (r.failed()) {
                req.response()
                    .setStatusCode(500)
                    .putHeader("Content-Type", "application/json")
                    .end(
                        new io.vertx.core.json.JsonObject()
                            .put("error", String.valueOf(r.cause().getMessage()))
                            .encode());
                return;
              }
              req.response()
                  .putHeader("Content-Type", "application/json")
                  .putHeader("Cache-Control", "no-store")
                  .end(r.result());
            });
  }

  private static String loadPage() {
    try (InputStream in = Dashboard.class.getResourceAsStream("dashboard.html")) {
      if (in == null) {
        throw new IllegalStateException("dashboard.html is missing from the broker jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
