package io.gleaner.meta.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class JsonStateStoreTest {
  record IdleTimer(String node, Instant idleSince, int samples) {}

  private final InMemoryStateStore raw = new InMemoryStateStore();
  private final JsonStateStore<IdleTimer> store = new JsonStateStore<>(raw, IdleTimer.class);

  @Test
  void roundTripsRecordsWithInstants() {
    IdleTimer t = new IdleTimer("n1", Instant.parse("2024-01-01T00:10:00Z"), 3);
    assertThat(store.compareAndSet("/idle/n1", StateStore.ABSENT, t).isOk()).isTrue();
    assertThat(store.get("/idle/n1")).contains(new Versioned<>(t, 0));
    assertThat(new String(raw.get("/idle/n1").orElseThrow().data(), StandardCharsets.UTF_8))
        .contains("\"2024-01-01T00:10:00Z\"");
  }

  @Test
  void updateCreatesChangesSkipsAndDeletes() {
    assertThat(store.update("/idle/n1", t -> new IdleTimer("n1", Instant.EPOCH, 1)))
        .hasValueSatisfying(v -> assertThat(v.version()).isZero());
    assertThat(
            store.update("/idle/n1", t -> new IdleTimer(t.node(), t.idleSince(), t.samples() + 1)))
        .hasValueSatisfying(v -> assertThat(v.data().samples()).isEqualTo(2));
    assertThat(store.update("/idle/n1", t -> t))
        .hasValueSatisfying(v -> assertThat(v.version()).isEqualTo(1));
    assertThat(store.update("/idle/n1", t -> null)).isEmpty();
    assertThat(store.get("/idle/n1")).isEmpty();
    assertThat(store.update("/idle/n1", t -> null)).isEmpty();
  }

  @Test
  void updateRetriesWhenAnotherWriterInterleaves() {
    store.compareAndSet("/idle/n1", StateStore.ABSENT, new IdleTimer("n1", Instant.EPOCH, 0));
    AtomicInteger calls = new AtomicInteger();
    store.update(
        "/idle/n1",
        t -> {
          if (calls.incrementAndGet() == 1) {
            // a concurrent writer sneaks in between our read and our write
            store.compareAndSet("/idle/n1", 0, new IdleTimer("n1", Instant.EPOCH, 10));
          }
          return new IdleTimer(t.node(), t.idleSince(), t.samples() + 1);
        });
    assertThat(calls.get()).isEqualTo(2);
    assertThat(store.get("/idle/n1").orElseThrow().data().samples()).isEqualTo(11);
  }

  @Test
  void concurrentUpdatesLoseNothing() throws Exception {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Thread t =
          new Thread(
              () -> {
                for (int j = 0; j < 50; j++) {
                  store.update(
                      "/counter",
                      c -> new IdleTimer("n", Instant.EPOCH, c == null ? 1 : c.samples() + 1));
                }
              });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(store.get("/counter").orElseThrow().data().samples()).isEqualTo(200);
  }

  @Test
  void undecodableStateNamesPath() {
    raw.compareAndSet("/idle/bad", StateStore.ABSENT, "{not json".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> store.get("/idle/bad"))
        .isInstanceOf(CoordinationException.class)
        .hasMessageContaining("state at /idle/bad is not a valid IdleTimer");
  }

  @Test
  void typedWatchAndWriteOps() {
    List<String> seen = new ArrayList<>();
    try (StateWatch w =
        store.watch("/idle", e -> seen.add(e.type() + " " + e.value().data().node()))) {
      TxResult r =
          raw.transaction(
              List.of(
                  store.writeOp("/idle/a", StateStore.ABSENT, new IdleTimer("a", Instant.EPOCH, 0)),
                  store.writeOp(
                      "/idle/b", StateStore.ABSENT, new IdleTimer("b", Instant.EPOCH, 0))));
      assertThat(r.isCommitted()).isTrue();
    }
    assertThat(seen).containsExactly("CREATED a", "CREATED b");
  }
}
