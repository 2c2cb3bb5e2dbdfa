package io.gleaner.meta.service;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny request dispatcher on Vert.x core (vertx-web is deliberately not a dependency).
 *
 * <p>A route matches a method ({@code "GET"}, ... or {@code "*"} for any) and either an exact path
 * ({@code /healthz}) or a prefix written with a trailing {@code /*} ({@code /api/*} matches {@code
 * /api} and everything under it). Exact routes win over prefixes; the longest prefix wins. A path
 * that matches only with another method gets 405 with an {@code Allow} header; no match gets 404.
 * Both answer with a small JSON error body. Routes may be added at any time; handlers run on the
 * Vert.x event loop and must not block (use {@code vertx.executeBlocking}).
 */
public final class HttpRoutes implements Handler<HttpServerRequest> {
  private static final Logger log = LoggerFactory.getLogger(HttpRoutes.class);

  private record Route(
      String method, String path, boolean prefix, Handler<HttpServerRequest> handler) {
    boolean matchesPath(String requestPath) {
      if (!prefix) {
        return path.equals(requestPath);
      }
      return requestPath.equals(path)
          || requestPath.startsWith(path.endsWith("/") ? path : path + "/");
    }

    boolean matchesMethod(String requestMethod) {
      return method.equals("*")
          || method.equals(requestMethod)
          || (method.equals("GET") && requestMethod.equals("HEAD"));
    }
  }

  private final List<Route> routes = new CopyOnWriteArrayList<>();

  /**
   * Adds a route.
   *
   * @param method an HTTP method or {@code "*"}; a GET route also answers HEAD
   * @param path an absolute path, or a prefix ending in {@code /*}
   * @throws IllegalArgumentException if the path is not absolute or the same method and path are
   *     taken
   */
  public HttpRoutes add(String method, String path, Handler<HttpServerRequest> handler) {
    Objects.requireNonNull(handler, "handler");
    String m = Objects.requireNonNull(method, "method").toUpperCase(Locale.ROOT);
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("route path must start with '/', got \"" + path + "\"");
    }
    boolean prefix = path.endsWith("/*");
    String p = prefix ? path.substring(0, path.length() - 2) : path;
    if (prefix && p.isEmpty()) {
      p = "/";
    }
    Route route = new Route(m, p, prefix, handler);
    synchronized (routes) {
      for (Route r : routes) {
        if (r.method.equals(m) && r.path.equals(route.path) && r.prefix == prefix) {
          throw new IllegalArgumentException("route " + m + " " + path + " is already registered");
        }
      }
      routes.add(route);
    }
    return this;
  }

  @Override
  public void handle(HttpServerRequest request) {
    String path = request.path();
    String method = request.method().name();
    Route best = null;
    Route mostSpecific = null;
    Set<String> allowed = new TreeSet<>();
    for (Route r : candidates()) {
      if (!r.matchesPath(path)) {
        continue;
      }
      if (mostSpecific == null) {
        mostSpecific = r;
      } else if (mostSpecific.prefix != r.prefix || !mostSpecific.path.equals(r.path)) {
        break; // only routes as specific as the first match compete
      }
      if (r.matchesMethod(method)) {
        best = r;
        break;
      }
      allowed.add(r.method);
    }
    if (best == null) {
      if (!allowed.isEmpty()) {
        request.response().putHeader("Allow", String.join(", ", allowed));
        error(request, 405, "method " + method + " is not allowed on " + path);
      } else {
        error(request, 404, "no handler for " + path);
      }
      return;
    }
    try {
      best.handler.handle(request);
    } catch (RuntimeException e) {
      log.warn("handler for {} {} failed", method, path, e);
      if (!request.response().headWritten()) {
        error(request, 500, "internal error: " + e.getMessage());
      }
    }
  }

  private List<Route> candidates() {
    return routes.stream()
        .sorted(Comparator.comparing((Route r) -> r.prefix).thenComparing(r -> -r.path.length()))
        .toList();
  }

  /** Ends {@code request} with {@code status} and {@code {"error": message}}. */
  public static void error(HttpServerRequest request, int status, String message) {
    request
        .response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", message).encode());
  }
}
