package io.gleaner.broker.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.PlaceOutcome;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.time.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ZkLedgerStoreIT {
  private static TestingServer zk;
  private final FakeClock clock = new FakeClock();
  private static final PlacementPolicy POLICY = PlacementPolicy.defaults();

  @BeforeAll
  static void startZk() throws Exception {
    zk = new TestingServer(true);
  }

  @AfterAll
  static void stopZk() throws Exception {
    zk.close();
  }

  private static CuratorFramework client() {
    CuratorFramework c =
        CuratorFrameworkFactory.newClient(
            zk.getConnectString(), 10_000, 5_000, new ExponentialBackoffRetry(100, 3));
    c.start();
    return c;
  }

  private Ledger ledger(CuratorFramework c, String base) {
    return new Ledger(new ZkLedgerStore(c, base), POLICY, clock, Duration.ofMinutes(2), null);
  }

  @Test
  void twoBrokersRacingOnANearlyFullFederationNeverOverCommitAndARestartRebuildsExactly()
      throws Exception {
    String base = "/gleaner/it/broker/ledger-race";
    try (CuratorFramework ca = client();
        CuratorFramework cb = client();
        CuratorFramework cc = client()) {
      Ledger a = ledger(ca, base);
      // 40 nodes in 4 clusters, 10 CPU each with a 10% idle margin: room for 40 x 9 = 360 one-CPU
      // pods
      for (int i = 0; i < 40; i++) {
        a.offer(
            NodeOffer.of(
                "c" + (i % 4),
                "n" + i,
                CapacitySource.IDLE,
                Resources.of("cpu", "10", "memory", "64Gi", "pods", "110")),
            "src");
      }
      // pre-fill most of it so the federation is nearly full
      for (int i = 0; i < 300; i++) {
        assertThat(
                a.place(
                    PodRequest.of("pre" + i, WorkloadClass.NEAR_LINE, Resources.of("cpu", "1"))))
            .isInstanceOf(PlaceOutcome.Placed.class);
      }
      Ledger b = ledger(cb, base);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<Integer>> runs = new ArrayList<>();
      for (Ledger l : List.of(a, b)) {
        String who = l == a ? "a" : "b";
        runs.add(
            pool.submit(
                () -> {
                  int ok = 0;
                  for (int i = 0; i < 1000; i++) {
                    var shape = Resources.of("cpu", i % 3 == 0 ? "500m" : "1", "memory", "256Mi");
                    if (l.place(PodRequest.of(who + i, WorkloadClass.NEAR_LINE, shape))
                        instanceof PlaceOutcome.Placed) {
                      ok++;
                    }
                  }
                  return ok;
                }));
      }
      int placed = runs.get(0).get() + runs.get(1).get();
      pool.shutdown();
      assertThat(placed).isPositive();

      Ledger fresh = ledger(cc, base);
      Map<NodeKey, NodeRecord> state = fresh.snapshot();
      Set<String> uids = new HashSet<>();
      long totalCpu = 0;
      for (var e : state.entrySet()) {
        long cpu =
            e.getValue().placements().values().stream()
                .mapToLong(p -> p.resources().cpuMillis())
                .sum();
        assertThat(cpu).as("cpu reserved on %s", e.getKey()).isLessThanOrEqualTo(9_000);
        totalCpu += cpu;
        e.getValue()
            .placements()
            .keySet()
            .forEach(u -> assertThat(uids.add(u)).as("pod %s once", u).isTrue());
      }
      assertThat(uids).hasSize(300 + placed);
      assertThat(totalCpu).as("the race filled the federation").isGreaterThan(360_000 - 1_000);
      // both replicas converge on what ZooKeeper holds, and a restarted one rebuilds it exactly
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                assertThat(a.snapshot()).isEqualTo(state);
                assertThat(b.snapshot()).isEqualTo(state);
              });
      assertThat(fresh.capacity())
          .usingRecursiveComparison()
          .ignoringFields("generatedAtMs")
          .isEqualTo(a.capacity());
      assertThat(fresh.placements(null)).isEqualTo(a.placements(null));
    }
  }

  @Test
  void thePodIndexKeepsPlaceIdempotentAcrossReplicasAndReleaseFreesRoom() {
    String base = "/gleaner/it/broker/ledger-idem";
    try (CuratorFramework ca = client();
        CuratorFramework cb = client()) {
      Ledger a = ledger(ca, base);
      // room for one 2-CPU pod after the 5 % elastic margin
      a.offer(NodeOffer.of("c", "n", CapacitySource.ELASTIC, Resources.of("cpu", "2200m")), "src");
      Ledger b = ledger(cb, base);
      PodRequest p = PodRequest.of("u", WorkloadClass.NEAR_LINE, Resources.of("cpu", "2"));
      PlaceOutcome first = a.place(p);
      assertThat(first).isInstanceOf(PlaceOutcome.Placed.class);
      PlaceOutcome second = b.place(p);
      assertThat(second).isInstanceOf(PlaceOutcome.Placed.class);
      assertThat(((PlaceOutcome.Placed) second).placement())
          .isEqualTo(((PlaceOutcome.Placed) first).placement());
      await().atMost(Duration.ofSeconds(10)).until(() -> b.placement("u") != null);
      b.release("u");
      await().atMost(Duration.ofSeconds(10)).until(() -> a.placement("u") == null);
      assertThat(a.place(p.withUid("v"))).isInstanceOf(PlaceOutcome.Placed.class);
    }
  }

  @Test
  void anOfferRefreshedThroughOneReplicaIsNotExpiredByTheOther() throws Exception {
    String base = "/gleaner/it/broker/ledger-two-replicas";
    try (CuratorFramework ca = client();
        CuratorFramework cb = client()) {
      Ledger a = ledger(ca, base);
      ZkLedgerStore storeB = new ZkLedgerStore(cb, base);
      Ledger b = new Ledger(storeB, POLICY, clock, Duration.ofMinutes(2), null);
      NodeOffer offer =
          NodeOffer.of("c1", "n1", CapacitySource.IDLE, Resources.of("cpu", "8", "pods", "110"));
      NodeKey key = new NodeKey("c1", "n1");
      assertThat(a.offer(offer, "detector")).isInstanceOf(Ledger.OfferResult.Accepted.class);
      await().until(() -> b.offeredNodes().contains(key));
      // the detector's stream goes to replica a only, refreshing every 30 s (TTL 2 min); both
      // replicas sweep every 10 s, as BrokerService does every second. Replica a shares freshness
      // at most every TTL/4 (30 s), asynchronously: on this fast clock, wait until b can see it.
      long lastMark = clock.millis();
      for (int s = 0; s < 6 * 60; s += 10) {
        clock.advance(Duration.ofSeconds(10));
        if (s % 30 == 0) {
          long before = storeB.freshness("c1").orElse(-1);
          assertThat(a.offer(offer, "detector")).isInstanceOf(Ledger.OfferResult.Refreshed.class);
          if (clock.millis() - lastMark >= 30_000) {
            lastMark = clock.millis();
            await().until(() -> storeB.freshness("c1").orElse(-1) != before);
          }
        }
        assertThat(a.expireOffers()).as("replica a expired at %d s", s).isZero();
        assertThat(b.expireOffers()).as("replica b expired at %d s", s).isZero();
      }
      assertThat(a.offeredNodes()).contains(key);
      assertThat(b.offeredNodes()).contains(key);

      // the stream ends: both replicas withdraw the offer within two TTLs
      for (int s = 0;
          s < 4 * 60 && (a.offeredNodes().contains(key) || b.offeredNodes().contains(key));
          s += 10) {
        clock.advance(Duration.ofSeconds(10));
        a.expireOffers();
        b.expireOffers();
        Thread.sleep(20); // let each replica's cache see the other's withdrawal
      }
      await().until(() -> !a.offeredNodes().contains(key) && !b.offeredNodes().contains(key));
    }
  }
}
