package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Watches on the wire: a store watch ({@link ObjectStore#watch}) sent as {@code {"type", "object"}}
 * events over a WebSocket or a chunked HTTP response, as kube-apiserver does; a watch that cannot
 * start (410 Gone, a bad resource version) sends one ERROR event with the Status.
 */
final class WatchStreams {
  private static final long WATCH_START_DELAY_MS = 20;

  private final Vertx vertx;
  private final ObjectStore store;

  WatchStreams(Vertx vertx, ObjectStore store) {
    this.vertx = vertx;
    this.store = store;
  }

  /**
   * Serves a watch of {@code type} in {@code namespace} (null: all) for the objects that match
   * {@code filter}, from the request's {@code resourceVersion}; a chunked HTTP watch ends after its
   * {@code timeoutSeconds}.
   */
  void serve(
      HttpServerRequest req, ResourceType type, String namespace, Predicate<JsonNode> filter) {
    String rv = req.params().get("resourceVersion");
    String upgrade = req.getHeader("Upgrade");
    if (upgrade != null && upgrade.equalsIgnoreCase("websocket")) {
      // fabric8's Vert.x client sets its frame handlers a task after the upgrade and drops frames
      // that come before:
      // the watch starts at once (nothing is missed), but its first frames are held back a moment
      req.toWebSocket()
          .onSuccess(
              ws -> {
                List<String> held = new ArrayList<>();
                boolean[] open = {false};
                ObjectStore.Subscription sub;
                try {
                  sub =
                      store.watch(
                          type,
                          namespace,
                          filter,
                          rv,
                          e -> {
                            synchronized (held) {
                              if (!open[0]) {
                                held.add(e.json());
                              } else if (!ws.isClosed()) {
                                ws.writeTextMessage(e.json());
                              }
                            }
                          });
                } catch (ApiException e) {
                  vertx.setTimer(
                      WATCH_START_DELAY_MS,
                      id -> {
                        ws.writeTextMessage(errorEvent(e));
                        ws.close();
                      });
                  return;
                }
                ws.closeHandler(v -> sub.close());
                ws.exceptionHandler(err -> sub.close());
                vertx.setTimer(
                    WATCH_START_DELAY_MS,
                    id -> {
                      synchronized (held) {
                        open[0] = true;
                        held.forEach(
                            m -> {
                              if (!ws.isClosed()) {
                                ws.writeTextMessage(m);
                              }
                            });
                        held.clear();
                      }
                    });
              });
      return;
    }
    HttpServerResponse resp = req.response();
    resp.setChunked(true);
    resp.putHeader("Content-Type", HttpJson.JSON);
    resp.putHeader("Transfer-Encoding", "chunked");
    // kube-apiserver answers a watch at once and flushes: a client (client-go's reflector) blocks
    // on the response head until then, and one whose object is already gone gets no event to
    // bring it (kubectl delete --wait then hung until the watch's timeout)
    resp.writeHead();
    ObjectStore.Subscription sub;
    try {
      sub =
          store.watch(
              type,
              namespace,
              filter,
              rv,
              e -> {
                if (!resp.closed() && !resp.ended()) {
                  resp.write(e.json() + "\n");
                }
              });
    } catch (ApiException e) {
      resp.end(errorEvent(e) + "\n");
      return;
    }
    resp.closeHandler(v -> sub.close());
    String timeout = req.params().get("timeoutSeconds");
    if (timeout != null && !timeout.isEmpty()) {
      vertx.setTimer(
          Math.max(1, Long.parseLong(timeout)) * 1000L,
          id -> {
            sub.close();
            if (!resp.ended() && !resp.closed()) {
              resp.end();
            }
          });
    }
  }

  private static String errorEvent(ApiException e) {
    ObjectNode ev = HttpJson.MAPPER.createObjectNode();
    ev.put("type", "ERROR");
    ev.set("object", e.toStatus());
    return ev.toString();
  }
}
