package io.gleaner.meta.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ZkStateStoreIT extends StateStoreContract {
  private static TestZk zk;
  private CuratorFramework client;
  private ZkStateStore store;

  @BeforeAll
  static void startServer() throws Exception {
    zk = new TestZk();
  }

  @AfterAll
  static void stopServer() throws Exception {
    zk.close();
  }

  @BeforeEach
  void connect() {
    client = zk.client(Duration.ofSeconds(10));
    store = new ZkStateStore(client);
    store.deleteRecursively("/");
  }

  @AfterEach
  void disconnect() {
    client.close();
  }

  @Override
  protected StateStore store() {
    return store;
  }

  @Test
  void twoClientsConflictOnCompareAndSet() {
    try (CuratorFramework other = zk.client(Duration.ofSeconds(10))) {
      ZkStateStore second = new ZkStateStore(other);
      assertThat(store.compareAndSet("/ledger/node-1", StateStore.ABSENT, b("a")))
          .isEqualTo(new CasResult.Ok(0));
      assertThat(second.compareAndSet("/ledger/node-1", StateStore.ABSENT, b("b")))
          .isEqualTo(new CasResult.Conflict(0));
      Versioned<byte[]> seenBySecond = second.get("/ledger/node-1").orElseThrow();
      assertThat(store.compareAndSet("/ledger/node-1", 0, b("a2"))).isEqualTo(new CasResult.Ok(1));
      assertThat(second.compareAndSet("/ledger/node-1", seenBySecond.version(), b("b2")))
          .isEqualTo(new CasResult.Conflict(1));
      assertThat(s(second.get("/ledger/node-1").orElseThrow().data())).isEqualTo("a2");
    }
  }

  @Test
  void concurrentJsonUpdatesFromTwoClientsLoseNothing() throws Exception {
    record Counter(int n) {}
    try (CuratorFramework other = zk.client(Duration.ofSeconds(10))) {
      List<JsonStateStore<Counter>> stores =
          List.of(
              new JsonStateStore<>(store, Counter.class),
              new JsonStateStore<>(new ZkStateStore(other), Counter.class));
      List<Thread> threads = new ArrayList<>();
      for (JsonStateStore<Counter> s : stores) {
        Thread t =
            new Thread(
                () -> {
                  for (int i = 0; i < 25; i++) {
                    s.update("/counter", c -> new Counter(c == null ? 1 : c.n() + 1));
                  }
                });
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) {
        t.join();
      }
      assertThat(stores.get(0).get("/counter").orElseThrow().data().n()).isEqualTo(50);
    }
  }

  @Test
  void watchSeesWritesOfAnotherClient() {
    Map<String, String> view = new ConcurrentHashMap<>();
    try (CuratorFramework other = zk.client(Duration.ofSeconds(10));
        StateWatch w =
            store.watch(
                "/idle",
                c -> {
                  if (c.type() == StateListener.Type.DELETED) {
                    view.remove(c.path());
                  } else {
                    view.put(c.path(), s(c.data()));
                  }
                })) {
      ZkStateStore writer = new ZkStateStore(other);
      writer.compareAndSet("/idle/n1", StateStore.ABSENT, b("since 10:00"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "since 10:00".equals(view.get("/idle/n1")));
      writer.delete("/idle/n1", 0);
      await().atMost(Duration.ofSeconds(10)).until(() -> !view.containsKey("/idle/n1"));
    }
  }

  @Test
  void restartedClientRebuildsStateFromZooKeeper() {
    record Timer(String node, Instant since) {}
    JsonStateStore<Timer> timers = new JsonStateStore<>(store, Timer.class);
    timers.compareAndSet(
        "/idle/n1", StateStore.ABSENT, new Timer("n1", Instant.parse("2024-01-01T10:00:00Z")));
    timers.compareAndSet(
        "/idle/n2", StateStore.ABSENT, new Timer("n2", Instant.parse("2024-01-01T10:05:00Z")));
    client.close();

    try (CuratorFramework restarted = zk.client(Duration.ofSeconds(10))) {
      JsonStateStore<Timer> again = new JsonStateStore<>(new ZkStateStore(restarted), Timer.class);
      Map<String, Instant> rebuilt = new ConcurrentHashMap<>();
      try (StateWatch w =
          again.watch(
              "/idle", e -> rebuilt.put(e.value().data().node(), e.value().data().since()))) {
        // watch returns after the initial snapshot, so the state is complete right away
        assertThat(rebuilt)
            .containsOnly(
                Map.entry("n1", Instant.parse("2024-01-01T10:00:00Z")),
                Map.entry("n2", Instant.parse("2024-01-01T10:05:00Z")));
      }
      assertThat(again.store().children("/idle")).containsExactly("n1", "n2");
    }
    client = zk.client(Duration.ofSeconds(10)); // for @AfterEach
  }

  @Test
  void connectFailureNamesConnectString() {
    assertThatThrownBy(
            () ->
                Zk.connect("127.0.0.1:1", "gleaner", Duration.ofSeconds(1), Duration.ofMillis(500)))
        .isInstanceOf(CoordinationException.class)
        .hasMessageContaining("could not connect to ZooKeeper at \"127.0.0.1:1\"");
  }

  @Test
  void healthCheckFollowsConnection() {
    assertThat(Zk.connectedCheck(client).check().isUp()).isTrue();
  }
}
