package io.gleaner.idle.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gleaner.idle.state.IdleState.Active;
import io.gleaner.idle.state.IdleState.IdleObserved;
import io.gleaner.idle.state.IdleState.Lent;
import io.gleaner.idle.state.IdleState.Reclaimed;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The durable form of an {@link IdleState}: a small JSON object with RFC 3339 instants, e.g. {@code
 * {"state":"IDLE_OBSERVED","since":"2024-01-01T00:05:00Z"}}, readable with {@code zkCli get}.
 */
public final class IdleStateCodec {
  private static final ObjectMapper JSON = new ObjectMapper();

  private IdleStateCodec() {}

  public static byte[] encode(IdleState state) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("state", state.kind().name());
    if (state instanceof IdleObserved o) {
      m.put("since", o.since().toString());
    } else if (state instanceof Lent l) {
      m.put("idleSince", l.idleSince().toString());
      m.put("lentAt", l.lentAt().toString());
    } else if (state instanceof Reclaimed r) {
      m.put("reclaimedAt", r.reclaimedAt().toString());
      m.put("cooldownUntil", r.cooldownUntil().toString());
    }
    try {
      return JSON.writeValueAsBytes(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode idle state " + state, e);
    }
  }

  /**
   * Parses the durable form.
   *
   * @throws IllegalArgumentException naming the field and value when the data is malformed
   */
  public static IdleState decode(byte[] data) {
    Map<?, ?> m;
    try {
      m = JSON.readValue(data, Map.class);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(
          "idle state is not a JSON object: \"" + new String(data, StandardCharsets.UTF_8) + "\"",
          e);
    }
    String kind = text(m, "state");
    IdleState.Kind k;
    try {
      k = IdleState.Kind.valueOf(kind);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("idle state: unknown state \"" + kind + "\"", e);
    }
    return switch (k) {
      case ACTIVE -> Active.INSTANCE;
      case IDLE_OBSERVED -> new IdleObserved(instant(m, "since"));
      case LENT -> new Lent(instant(m, "idleSince"), instant(m, "lentAt"));
      case RECLAIMED -> new Reclaimed(instant(m, "reclaimedAt"), instant(m, "cooldownUntil"));
    };
  }

  private static String text(Map<?, ?> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(
          "idle state: field \"" + key + "\" must be a string, got " + v);
    }
    return s;
  }

  private static Instant instant(Map<?, ?> m, String key) {
    String s = text(m, key);
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "idle state: field \"" + key + "\" is not an RFC 3339 instant: \"" + s + "\"", e);
    }
  }
}
