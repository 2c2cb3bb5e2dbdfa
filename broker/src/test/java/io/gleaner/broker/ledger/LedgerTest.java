package io.gleaner.broker.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.broker.model.BrokerException;
import io.gleaner.broker.model.GangOutcome;
import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.PlaceOutcome;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.time.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LedgerTest {
  private final FakeClock clock = new FakeClock();
  private final InMemoryLedgerStore store = new InMemoryLedgerStore();
  private static final PlacementPolicy POLICY = PlacementPolicy.defaults().withoutMargins();

  @AfterEach
  void close() {
    store.close();
  }

  private Ledger ledger() {
    return new Ledger(store, POLICY, clock, Duration.ofMinutes(2), null);
  }

  private static NodeOffer offer(String cluster, String node, String cpu) {
    return NodeOffer.of(
        cluster,
        node,
        CapacitySource.IDLE,
        Resources.of("cpu", cpu, "memory", "8Gi", "pods", "110"));
  }

  private static PodRequest pod(String uid, String cpu) {
    return PodRequest.of(uid, WorkloadClass.OFFLINE, Resources.of("cpu", cpu, "memory", "1Gi"));
  }

  private static Placement placed(PlaceOutcome o) {
    assertThat(o).isInstanceOf(PlaceOutcome.Placed.class);
    return ((PlaceOutcome.Placed) o).placement();
  }

  @Test
  void placeIsIdempotentAndConfirmReleaseFollowThePod() {
    Ledger l = ledger();
    l.offer(offer("a", "n1", "4"), "src");
    Placement p = placed(l.place(pod("u1", "3")));
    PlaceOutcome again = l.place(pod("u1", "3"));
    assertThat(again).isEqualTo(new PlaceOutcome.Placed(p, true));
    assertThat(l.place(pod("u2", "3"))).isInstanceOf(PlaceOutcome.Unplaceable.class);
    assertThat(l.confirm("u1").confirmed()).isTrue();
    assertThat(l.capacity().placed().cpuMillis()).isEqualTo(3000);
    assertThat(l.release("u1").podUid()).isEqualTo("u1");
    assertThat(placed(l.place(pod("u2", "3"))).node()).isEqualTo(new NodeKey("a", "n1"));
  }

  @Test
  void unknownPodsAreNotFoundAndChangeNothing() {
    Ledger l = ledger();
    l.offer(offer("a", "n1", "4"), "src");
    long before = l.changes();
    assertThatThrownBy(() -> l.release("nope"))
        .isInstanceOf(BrokerException.class)
        .hasMessage("no placement for pod nope: it was never placed or is released")
        .extracting(e -> ((BrokerException) e).code())
        .isEqualTo(BrokerException.Code.NOT_FOUND);
    assertThatThrownBy(() -> l.confirm("nope")).isInstanceOf(BrokerException.class);
    assertThat(l.changes()).isEqualTo(before);
  }

  @Test
  void offersForUnknownClustersAreRejected() {
    Ledger l = new Ledger(store, POLICY, clock, Duration.ofMinutes(2), () -> Set.of("a", "b"));
    Ledger.OfferResult r = l.offer(offer("z", "n1", "4"), "src");
    assertThat(r)
        .isEqualTo(
            new Ledger.OfferResult.Rejected(
                "offer for node z/n1: cluster \"z\" is not a known member cluster (known: a, b)"));
    assertThat(l.snapshot()).isEmpty();
    assertThat(l.offer(offer("a", "n1", "4"), "src"))
        .isInstanceOf(Ledger.OfferResult.Accepted.class);
  }

  @Test
  void offersReplaceTheSnapshotAndUnchangedOnesOnlyRefresh() {
    Ledger l = ledger();
    assertThat(l.offer(offer("a", "n1", "4"), "src"))
        .isInstanceOf(Ledger.OfferResult.Accepted.class);
    assertThat(l.offer(offer("a", "n1", "4").withObservedAt(99), "src"))
        .isInstanceOf(Ledger.OfferResult.Refreshed.class);
    l.offer(offer("a", "n1", "2"), "src");
    assertThat(l.capacity().offered().cpuMillis()).isEqualTo(2000);
  }

  @Test
  void offersExpireAfterTheTtlUnlessRefreshed() {
    Ledger l = ledger();
    l.offer(offer("a", "n1", "4"), "src");
    l.offer(offer("a", "n2", "4"), "src");
    clock.advance(Duration.ofSeconds(90));
    l.offer(offer("a", "n2", "4"), "src");
    clock.advance(Duration.ofSeconds(40));
    assertThat(l.expireOffers()).isEqualTo(1);
    assertThat(l.offeredNodes()).containsExactly(new NodeKey("a", "n2"));
  }

  @Test
  void withdrawalCoolsTheNodeDownAndKeepsReservations() {
    Ledger l = ledger();
    l.offer(offer("a", "n1", "4"), "src");
    placed(l.place(pod("u1", "1")));
    long until = clock.millis() + Duration.ofMinutes(5).toMillis();
    assertThat(l.withdraw(new NodeKey("a", "n1"), "reclaimed", until)).isTrue();
    assertThat(l.offer(offer("a", "n1", "4"), "src"))
        .isInstanceOf(Ledger.OfferResult.Ignored.class);
    assertThat(l.place(pod("u2", "1"))).isInstanceOf(PlaceOutcome.Unplaceable.class);
    assertThat(l.placement("u1")).isNotNull();
    clock.advance(Duration.ofMinutes(6));
    assertThat(l.offer(offer("a", "n1", "4"), "src"))
        .isInstanceOf(Ledger.OfferResult.Accepted.class);
    assertThat(l.freeOf(new NodeKey("a", "n1")).cpuMillis()).isEqualTo(3000);
  }

  /** {@code offer}, with a small reclaim risk of its own. */
  private static NodeOffer slightlyRisky(String cluster, String node, String cpu) {
    NodeOffer o = offer(cluster, node, cpu);
    return new NodeOffer(
        o.key(),
        o.source(),
        o.usable(),
        o.labels(),
        o.taints(),
        0.1,
        o.zone(),
        o.gpuFreeMilli(),
        o.observedAtMs(),
        o.allocatable(),
        o.roomUntilMs());
  }

  @Test
  void aReclaimedNodeIsChosenAfterAnEqualOneForACoolDownAfterItsCoolDownAcrossRestarts() {
    Ledger l = ledger();
    l.offer(offer("a", "hot", "4"), "src");
    l.offer(slightlyRisky("a", "calm", "4"), "src");
    assertThat(placed(l.place(pod("u0", "3"))).node().node()).isEqualTo("hot");
    l.release("u0");
    Duration coolDown = Duration.ofMinutes(30);
    l.withdraw(new NodeKey("a", "hot"), "reclaimed", clock.instant().plus(coolDown).toEpochMilli());
    assertThat(store.load(new NodeKey("a", "hot")).orElseThrow().record().reclaimedAtMs())
        .isEqualTo(clock.millis());
    clock.advance(coolDown.plusMinutes(1));
    // a restarted replica reads the reclaim from the store
    Ledger restarted = ledger();
    restarted.offer(offer("a", "hot", "4"), "src");
    assertThat(placed(restarted.place(pod("u1", "3"))).node().node()).isEqualTo("calm");
    assertThat(placed(restarted.place(pod("u2", "3"))).node().node()).isEqualTo("hot");
    restarted.release("u1");
    restarted.release("u2");
    // 26 minutes after the cool-down the penalty (1 - 26/30) still outweighs calm's own risk
    clock.advance(Duration.ofMinutes(25));
    assertThat(placed(restarted.place(pod("u3", "3"))).node().node()).isEqualTo("calm");
    restarted.release("u3");
    clock.advance(Duration.ofMinutes(4));
    assertThat(placed(restarted.place(pod("u4", "3"))).node().node())
        .as("the penalty has ended")
        .isEqualTo("hot");
    // a withdrawal without a cool-down (the source's own) is no reclaim
    restarted.withdraw(new NodeKey("a", "calm"), "gone", 0);
    assertThat(store.load(new NodeKey("a", "calm")).orElseThrow().record().reclaimedAtMs())
        .isZero();
  }

  @Test
  void unhealthyMembersAreNotPlacedOn() {
    Ledger l = ledger();
    l.offer(offer("a", "n1", "4"), "src");
    l.offer(offer("b", "n1", "8"), "src");
    l.memberHealth("b", false);
    assertThat(placed(l.place(pod("u1", "2"))).node().cluster()).isEqualTo("a");
    assertThat(l.capacity().advertisedNearLine().cpuMillis()).isEqualTo(4000);
  }

  @Test
  void aMemberThatLeavesHasEveryOfferWithdrawnAtOnceAndKeepsItsReservations() {
    Ledger l = ledger();
    l.offer(offer("a", "n1", "4"), "src");
    l.offer(offer("a", "n2", "4"), "other");
    l.offer(offer("b", "n1", "4"), "src");
    placed(l.place(pod("u1", "4")));
    String holder = l.placement("u1").node().cluster();

    assertThat(l.withdrawMember("a", "member a left")).isEqualTo(2);

    assertThat(l.offeredNodes()).containsExactly(new NodeKey("b", "n1"));
    assertThat(l.placement("u1")).as("reservations stay until released").isNotNull();
    assertThat(l.withdrawMember("a", "again")).isZero();
    assertThat(holder).isIn("a", "b");
    // nothing is cooling down: should the member come back, its offers count at once
    assertThat(l.offer(offer("a", "n1", "4"), "src"))
        .isInstanceOf(Ledger.OfferResult.Accepted.class);
  }

  @Test
  void aFullResyncWithdrawsWhatTheSourceNoLongerOffers() {
    Ledger l = ledger();
    l.offer(offer("a", "n1", "4"), "src");
    l.offer(offer("a", "n2", "4"), "src");
    l.offer(offer("a", "n3", "4"), "other");
    assertThat(l.resync("src", Set.of(new NodeKey("a", "n2")))).isEqualTo(1);
    assertThat(l.offeredNodes())
        .containsExactlyInAnyOrder(new NodeKey("a", "n2"), new NodeKey("a", "n3"));
  }

  @Test
  void aRestartedLedgerRebuildsExactly() {
    Ledger l = ledger();
    for (int i = 0; i < 10; i++) {
      l.offer(offer("c" + (i % 3), "n" + i, "8"), "src");
    }
    for (int i = 0; i < 30; i++) {
      placed(l.place(pod("u" + i, "1")));
    }
    l.confirm("u3");
    l.release("u4");
    l.withdraw(new NodeKey("c0", "n0"), "reclaimed", clock.millis() + 1000);
    Ledger restarted = ledger();
    assertThat(restarted.snapshot()).isEqualTo(l.snapshot());
    assertThat(restarted.placements(null)).isEqualTo(l.placements(null));
    assertThat(restarted.capacity()).isEqualTo(l.capacity());
  }

  @Test
  void twoLedgersOnOneStoreNeverOverCommit() throws Exception {
    Ledger a = ledger();
    for (int i = 0; i < 20; i++) {
      a.offer(offer("c" + (i % 4), "n" + i, "10"), "src");
    }
    Ledger b = ledger();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<Integer>> runs = new ArrayList<>();
    for (Ledger l : List.of(a, b)) {
      String who = l == a ? "a" : "b";
      runs.add(
          pool.submit(
              () -> {
                int ok = 0;
                for (int i = 0; i < 200; i++) {
                  if (l.place(pod(who + i, "1")) instanceof PlaceOutcome.Placed) {
                    ok++;
                  }
                }
                return ok;
              }));
    }
    int total = runs.get(0).get() + runs.get(1).get();
    pool.shutdown();
    assertThat(total).as("20 nodes x 8Gi / 1Gi").isEqualTo(160);
    Ledger fresh = ledger();
    for (Map.Entry<NodeKey, NodeRecord> e : fresh.snapshot().entrySet()) {
      long sum =
          e.getValue().placements().values().stream()
              .mapToLong(p -> p.resources().cpuMillis())
              .sum();
      long mem =
          e.getValue().placements().values().stream()
              .mapToLong(p -> p.resources().memoryBytes())
              .sum();
      assertThat(sum).as("cpu reserved on %s", e.getKey()).isLessThanOrEqualTo(10_000);
      assertThat(mem).as("memory reserved on %s", e.getKey()).isLessThanOrEqualTo(8L << 30);
    }
    assertThat(fresh.placements(null)).hasSize(160);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Gangs

  private static List<PodRequest> gang(String prefix, int n, String cpu) {
    List<PodRequest> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(pod(prefix + i, cpu));
    }
    return out;
  }

  private static final Duration TTL = Duration.ofSeconds(60);

  @Test
  void aGangIsReservedWholeInOneMemberDurablyAndIdempotently() {
    Ledger l = ledger();
    l.offer(offer("a", "a1", "6"), "src");
    l.offer(offer("b", "b1", "4"), "src");
    l.offer(offer("b", "b2", "4"), "src");

    GangOutcome o = l.placeGang("team/train", gang("g", 4, "2"), TTL);

    assertThat(o).isInstanceOf(GangOutcome.Placed.class);
    List<Placement> ps = ((GangOutcome.Placed) o).placements();
    assertThat(ps).extracting(p -> p.node().cluster()).containsOnly("b");
    assertThat(ps).allMatch(p -> p.gangId().equals("team/train"));
    assertThat(ps).allMatch(p -> p.expiresAtMs() == clock.millis() + TTL.toMillis());
    assertThat(l.placeGang("team/train", gang("g", 4, "2"), TTL))
        .isEqualTo(new GangOutcome.Placed(ps, true));
    // a restarted broker on the same store knows the gang's reservations, expiry included
    Ledger again = ledger();
    assertThat(again.snapshot()).isEqualTo(l.snapshot());
    assertThat(again.placement("g0")).isEqualTo(ps.get(0));
  }

  @Test
  void aGangThatFitsNoMemberWholeReservesNothing() {
    Ledger l = ledger();
    l.offer(offer("a", "a1", "6"), "src");
    l.offer(offer("b", "b1", "4"), "src");
    long before = l.changes();

    GangOutcome o = l.placeGang("team/train", gang("g", 4, "2"), TTL);

    assertThat(o).isInstanceOf(GangOutcome.Unplaceable.class);
    assertThat(l.placements(null)).isEmpty();
    assertThat(l.capacity().reserved().cpuMillis()).isZero();
    assertThat(l.changes()).isEqualTo(before);
    assertThat(store.loadAll().values())
        .allMatch(v -> v.record().placements().isEmpty(), "no reservation reached the store");
  }

  @Test
  void missingMembersOfAPlacedGangJoinItsMemberOrNothing() {
    Ledger l = ledger();
    l.offer(offer("a", "a1", "16"), "src");
    l.offer(offer("b", "b1", "4"), "src");
    List<PodRequest> first = gang("g", 2, "2");
    List<Placement> ps = ((GangOutcome.Placed) l.placeGang("t/g", first, TTL)).placements();
    String member = ps.get(0).node().cluster();
    String other = member.equals("a") ? "b" : "a";
    l.offer(offer(member, member + "1", "4"), "src"); // now exactly full

    List<PodRequest> grown = new ArrayList<>(first);
    grown.add(pod("g2", "2"));
    // the other member has room, but the gang's first pods are not there: nothing
    assertThat(l.freeOf(new NodeKey(other, other + "1")).cpuMillis()).isGreaterThan(2000);
    assertThat(l.placeGang("t/g", grown, TTL)).isInstanceOf(GangOutcome.Unplaceable.class);
    assertThat(l.placement("g2")).isNull();
    l.offer(offer(member, member + "1", "6"), "src");
    GangOutcome o = l.placeGang("t/g", grown, TTL);
    assertThat(((GangOutcome.Placed) o).placements().get(2).node().cluster()).isEqualTo(member);
  }

  @Test
  void unconfirmedGangReservationsExpireAfterTheTtlConfirmedOnesStay() {
    Ledger l = ledger();
    l.offer(offer("a", "a1", "8"), "src");
    l.placeGang("t/g", gang("g", 3, "2"), TTL);
    l.confirm("g0");
    l.place(pod("single", "1"));

    clock.advance(TTL.minusMillis(1));
    assertThat(l.expireReservations()).isZero();
    clock.advance(Duration.ofMillis(1));
    assertThat(l.expireReservations()).isEqualTo(2);

    assertThat(l.placements(null))
        .extracting(Placement::podUid)
        .containsExactlyInAnyOrder("g0", "single");
    assertThat(l.capacity().reserved().cpuMillis()).isEqualTo(1000);
    assertThat(ledger().placements(null)).hasSize(2);
  }

  @Test
  void gangsAndSinglesNeverOverCommitANode() {
    Ledger l = ledger();
    for (String c : List.of("a", "b")) {
      for (int n = 0; n < 3; n++) {
        l.offer(offer(c, c + n, "8"), "src");
      }
    }
    int gangs = 0;
    for (int i = 0; i < 40; i++) {
      if (i % 3 == 0) {
        l.place(pod("s" + i, "3"));
      } else if (l.placeGang("t/g" + i, gang("g" + i + "-", 3, "2"), TTL)
          instanceof GangOutcome.Placed p) {
        gangs++;
        assertThat(p.placements())
            .extracting(x -> x.node().cluster())
            .hasSize(3)
            .containsOnly(p.placements().get(0).node().cluster());
      } else {
        String id = "t/g" + i;
        assertThat(l.placements(null)).noneMatch(x -> x.gangId().equals(id));
      }
    }
    assertThat(gangs).isPositive();
    for (NodeRecord r : l.snapshot().values()) {
      long used = r.placements().values().stream().mapToLong(p -> p.resources().cpuMillis()).sum();
      assertThat(used).isLessThanOrEqualTo(8000);
    }
  }

  @Test
  void aGangRequestMustNameItsGangAndListEachPodOnce() {
    Ledger l = ledger();
    assertThatThrownBy(() -> l.placeGang("", gang("g", 2, "1"), TTL))
        .hasMessage("gang_id must not be empty");
    assertThatThrownBy(() -> l.placeGang("t/g", List.of(pod("x", "1"), pod("x", "1")), TTL))
        .hasMessage("pod x is listed twice in gang t/g");
  }
}
