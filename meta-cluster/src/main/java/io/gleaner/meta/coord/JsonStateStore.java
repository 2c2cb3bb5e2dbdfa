package io.gleaner.meta.coord;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed values over a {@link StateStore}, stored as JSON. Unknown JSON fields are ignored on read,
 * so a newer replica may add fields during a rolling upgrade.
 *
 * <p>{@link #update} is the usual way to change a value: read, apply a pure function, write with
 * compare-and-set, and on a conflict re-read and re-apply.
 *
 * @param <T> the value type (a record, typically)
 */
public final class JsonStateStore<T> {
  private static final Logger log = LoggerFactory.getLogger(JsonStateStore.class);

  /** How many conflicting writes {@link #update} tolerates before giving up. */
  public static final int MAX_UPDATE_ATTEMPTS = 32;

  private final StateStore store;
  private final ObjectMapper mapper;
  private final JavaType type;

  public JsonStateStore(StateStore store, Class<T> type) {
    this(store, defaultMapper(), defaultMapper().constructType(type));
  }

  /** For generic value types: {@code mapper.getTypeFactory().constructCollectionType(...)}. */
  public JsonStateStore(StateStore store, ObjectMapper mapper, JavaType type) {
    this.store = Objects.requireNonNull(store, "store");
    this.mapper = Objects.requireNonNull(mapper, "mapper");
    this.type = Objects.requireNonNull(type, "type");
  }

  /** JSON with java.time as ISO-8601 strings, tolerant of unknown fields. */
  public static ObjectMapper defaultMapper() {
    return JsonMapper.builder()
        .addModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .build();
  }

  public StateStore store() {
    return store;
  }

  public Optional<Versioned<T>> get(String path) {
    return store.get(path).map(v -> new Versioned<>(decode(path, v.data()), v.version()));
  }

  /** See {@link StateStore#compareAndSet}; {@link StateStore#ABSENT} creates. */
  public CasResult compareAndSet(String path, int expectedVersion, T value) {
    return store.compareAndSet(path, expectedVersion, encode(value));
  }

  public CasResult delete(String path, int expectedVersion) {
    return store.delete(path, expectedVersion);
  }

  /**
   * An op writing {@code value} in a transaction: create when {@code expectedVersion} is ABSENT,
   * else set.
   */
  public Op writeOp(String path, int expectedVersion, T value) {
    return expectedVersion == StateStore.ABSENT
        ? Op.create(path, encode(value))
        : Op.set(path, expectedVersion, encode(value));
  }

  /**
   * Atomically replaces the value at {@code path} with {@code fn(current)}, retrying on concurrent
   * writes. {@code fn} gets null when there is no value, must be free of side effects (it may run
   * several times) and returns:
   *
   * <ul>
   *   <li>a new value, which is written;
   *   <li>a value equal to the current one, and nothing is written;
   *   <li>null, and the value is deleted (nothing happens if there was none).
   * </ul>
   *
   * @return the value now stored, empty if none
   * @throws CoordinationException after {@link #MAX_UPDATE_ATTEMPTS} conflicts, naming the path
   */
  public Optional<Versioned<T>> update(String path, UnaryOperator<T> fn) {
    Objects.requireNonNull(fn, "fn");
    for (int attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
      Optional<Versioned<T>> current = get(path);
      T before = current.map(Versioned::data).orElse(null);
      T after = fn.apply(before);
      if (Objects.equals(before, after)) {
        return current;
      }
      CasResult result;
      if (after == null) {
        result = store.delete(path, current.get().version());
        if (result instanceof CasResult.Ok) {
          return Optional.empty();
        }
      } else {
        int expected = current.map(Versioned::version).orElse(StateStore.ABSENT);
        result = store.compareAndSet(path, expected, encode(after));
        if (result instanceof CasResult.Ok ok) {
          return Optional.of(new Versioned<>(after, ok.newVersion()));
        }
      }
      log.debug("update of {} conflicted ({}), attempt {}", path, result.outcome(), attempt);
      backoff(attempt);
    }
    throw new CoordinationException(
        "gave up updating " + path + " after " + MAX_UPDATE_ATTEMPTS + " conflicting writes");
  }

  /**
   * Watches {@code path} and below, decoding values; empty nodes (parents) are skipped, and a value
   * that does not decode is logged and skipped. See {@link StateStore#watch} for delivery rules.
   */
  public StateWatch watch(String path, Consumer<Event<T>> listener) {
    Objects.requireNonNull(listener, "listener");
    return store.watch(
        path,
        change -> {
          if (change.data().length == 0) {
            return; // a parent node that holds no value
          }
          T value;
          try {
            value = decode(change.path(), change.data());
          } catch (CoordinationException e) {
            log.warn("skipping undecodable state at {}: {}", change.path(), e.getMessage());
            return;
          }
          listener.accept(
              new Event<>(change.type(), change.path(), new Versioned<>(value, change.version())));
        });
  }

  /** A decoded change; for DELETED, {@code value} is the last known value. */
  public record Event<T>(StateListener.Type type, String path, Versioned<T> value) {}

  public byte[] encode(T value) {
    Objects.requireNonNull(value, "value");
    try {
      return mapper.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot encode " + value.getClass().getSimpleName() + " as JSON: " + e.getMessage(), e);
    }
  }

  public T decode(String path, byte[] data) {
    try {
      return mapper.readValue(data, type);
    } catch (IOException e) {
      throw new CoordinationException(
          "state at "
              + path
              + " is not a valid "
              + type.getRawClass().getSimpleName()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private static void backoff(int attempt) {
    long maxMicros = Math.min(50_000L, 500L << Math.min(attempt, 7));
    LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(maxMicros) * 1000);
  }
}
