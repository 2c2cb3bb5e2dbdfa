package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Events: no {@code metadata.generation}, and they expire (the API server's event TTL). */
final class EventRules implements ResourceRules {
  @Override
  public boolean hasGeneration() {
    return false;
  }

  /**
   * Removes the events whose last timestamp (or creation, without one) is older than {@code ttl};
   * returns how many. Call with the store lock held.
   */
  static int expire(ObjectStore store, Duration ttl) {
    Instant cutoff = store.clock().instant().minus(ttl);
    List<ObjectNode> expired = new ArrayList<>();
    for (ObjectNode ev : store.list(ResourceTypes.EVENTS)) {
      String ts =
          ev.path("lastTimestamp").asText(ev.path("metadata").path("creationTimestamp").asText(""));
      Instant t = ts.isEmpty() ? null : Instant.parse(ts);
      if (t != null && t.isBefore(cutoff)) {
        expired.add(ev);
      }
    }
    for (ObjectNode ev : expired) {
      store.forceDelete(
          ResourceTypes.EVENTS,
          ev.path("metadata").path("namespace").asText(),
          ev.path("metadata").path("name").asText());
    }
    return expired.size();
  }
}
