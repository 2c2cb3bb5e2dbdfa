package io.gleaner.idle.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.idle.IdleDetector;
import io.gleaner.idle.IdleDetectorSettings;
import io.gleaner.idle.IdleMetrics;
import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.offer.Offer;
import io.gleaner.idle.publish.OfferSink;
import io.gleaner.idle.source.ClusterCache;
import io.gleaner.meta.coord.StateStore;
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkStateStore;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.time.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Idle timers in a real ZooKeeper: a detector restarted at minute 5 still lends at minute 10. */
class DurableIdleTimerStoreIT {
  private TestingServer zk;
  private CuratorFramework curator;
  private StateStore state;
  private final FakeClock clock = new FakeClock();
  private final Instant t0 = clock.instant();

  @BeforeEach
  void setUp() throws Exception {
    zk = new TestingServer(true);
    curator = Zk.connect(zk.getConnectString(), "gleaner-it", Duration.ofSeconds(10));
    state = new ZkStateStore(curator);
  }

  @AfterEach
  void tearDown() throws Exception {
    curator.close();
    zk.close();
  }

  private static final OfferSink NO_SINK =
      new OfferSink() {
        @Override
        public void offer(Offer offer, long changeNanos) {}

        @Override
        public void withdraw(String cluster, String node, String reason, long changeNanos) {}

        @Override
        public void member(String cluster, boolean reachable, String message) {}

        @Override
        public void clusterRemoved(String cluster) {}
      };

  private IdleDetector detector(IdleTimerStore store, ClusterCache cache) {
    IdleDetector d =
        new IdleDetector(
            clock,
            IdleDetectorSettings.defaults(),
            store,
            NO_SINK,
            (c, n, p) -> CompletableFuture.completedFuture(null),
            new IdleMetrics(new SimpleMeterRegistry()),
            null);
    d.addCluster("web", Set.of(MemberRole.ONLINE), cache);
    d.setReachable("web", true, "");
    d.process();
    d.process();
    return d;
  }

  @Test
  void aRestartAtMinuteFiveStillLendsAtMinuteTen() {
    ClusterCache cache = new ClusterCache("web");
    cache.putNode(MemberNodeInfo.of("n1", Resources.of("cpu", "8", "memory", "32Gi")));
    DurableIdleTimerStore store =
        new DurableIdleTimerStore(state, DurableIdleTimerStore.DEFAULT_ROOT);
    IdleDetector first = detector(store, cache);
    assertThat(first.state("web", "n1")).contains(new IdleState.IdleObserved(t0));
    clock.advance(Duration.ofMinutes(5));
    first.process();
    store.close();

    // The process restarts: a new store and detector on the same ZooKeeper.
    DurableIdleTimerStore reopened =
        new DurableIdleTimerStore(state, DurableIdleTimerStore.DEFAULT_ROOT);
    IdleDetector second = detector(reopened, cache);
    assertThat(second.state("web", "n1")).contains(new IdleState.IdleObserved(t0));
    clock.set(t0.plus(Duration.ofMinutes(9)).plusSeconds(59));
    second.process();
    assertThat(second.state("web", "n1").orElseThrow().kind())
        .isEqualTo(IdleState.Kind.IDLE_OBSERVED);
    clock.set(t0.plus(Duration.ofMinutes(10)));
    second.process();
    assertThat(second.state("web", "n1"))
        .contains(new IdleState.Lent(t0, t0.plus(Duration.ofMinutes(10))));
    reopened.flush();
    assertThat(
            new String(
                state.get("/idle-detector/timers/web/n1").orElseThrow().data(),
                StandardCharsets.UTF_8))
        .contains("\"state\":\"LENT\"")
        .contains("\"lentAt\":\"2024-01-01T00:10:00Z\"");
    reopened.close();
  }

  @Test
  void writesCoalescePerNodeAndActiveIsADeletion() {
    DurableIdleTimerStore store = new DurableIdleTimerStore(state, "/timers");
    for (int i = 0; i < 50; i++) {
      store.save("c", "n" + (i % 5), new IdleState.IdleObserved(t0.plusSeconds(i)));
    }
    store.flush();
    assertThat(store.load("c"))
        .hasSize(5)
        .containsEntry("n4", new IdleState.IdleObserved(t0.plusSeconds(49)));
    store.save("c", "n4", IdleState.Active.INSTANCE);
    store.delete("c", "n3");
    store.flush();
    assertThat(store.load("c")).hasSize(3).doesNotContainKeys("n3", "n4");
    assertThat(store.load("unknown")).isEmpty();
    store.close();
  }

  @Test
  void unreadableEntriesAreSkipped() {
    DurableIdleTimerStore store = new DurableIdleTimerStore(state, "/timers");
    state.compareAndSet(
        "/timers/c/bad", StateStore.ABSENT, "garbage".getBytes(StandardCharsets.UTF_8));
    store.save("c", "good", new IdleState.Reclaimed(t0, t0.plusSeconds(60)));
    store.flush();
    assertThat(store.load("c")).containsOnlyKeys("good");
    store.close();
  }
}
