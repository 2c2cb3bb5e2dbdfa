package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes core/v1 Events for a simulated component, as client-go's event recorder does: an identical
 * event (same object, reason and message) is aggregated into the existing Event by raising {@code
 * count} and {@code lastTimestamp}. Thread-safe.
 */
public final class EventRecorder {
  private static final int REMEMBERED = 20_000;

  private final ObjectStore store;
  private final String component;
  private final String host;
  private final AtomicLong sequence = new AtomicLong(System.nanoTime() & 0xffffffffL);
  private final Map<String, String> recent =
      new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
          return size() > REMEMBERED;
        }
      };

  public EventRecorder(ObjectStore store, String component, String host) {
    this.store = store;
    this.component = component;
    this.host = host;
  }

  /** Records an event about {@code object} (a stored object); {@code type} is Normal or Warning. */
  public void record(JsonNode object, String type, String reason, String message) {
    JsonNode meta = object.path("metadata");
    String ns = meta.path("namespace").asText("");
    if (ns.isEmpty()) {
      ns = "default";
    }
    String key = meta.path("uid").asText() + "|" + reason + "|" + message;
    Instant now = store.clock().instant();
    String existing;
    synchronized (recent) {
      existing = recent.get(key);
    }
    try {
      if (existing != null) {
        ObjectNode updated =
            store.mutate(
                ResourceTypes.EVENTS,
                ns,
                existing,
                e -> {
                  e.put("count", e.path("count").asInt(1) + 1);
                  e.put("lastTimestamp", Times.format(now));
                  return e;
                });
        if (updated != null) {
          return;
        }
      }
      ObjectNode e = JsonNodeFactory.instance.objectNode();
      String name = meta.path("name").asText() + "." + Long.toHexString(sequence.incrementAndGet());
      e.putObject("metadata").put("name", name).put("namespace", ns);
      ObjectNode io = e.putObject("involvedObject");
      io.put("kind", object.path("kind").asText());
      io.put("namespace", meta.path("namespace").asText(""));
      io.put("name", meta.path("name").asText());
      io.put("uid", meta.path("uid").asText());
      io.put("apiVersion", object.path("apiVersion").asText());
      io.put("resourceVersion", meta.path("resourceVersion").asText());
      e.put("reason", reason);
      e.put("message", message);
      e.put("type", type);
      ObjectNode source = e.putObject("source").put("component", component);
      if (host != null) {
        source.put("host", host);
      }
      e.put("firstTimestamp", Times.format(now));
      e.put("lastTimestamp", Times.format(now));
      e.put("count", 1);
      e.put("reportingComponent", component);
      e.put("reportingInstance", host == null ? component : component + "-" + host);
      store.create(ResourceTypes.EVENTS, ns, e);
      synchronized (recent) {
        recent.put(key, name);
      }
    } catch (ApiException ex) {
      // The namespace is gone or the event exists already: nothing to record.
    }
  }
}
