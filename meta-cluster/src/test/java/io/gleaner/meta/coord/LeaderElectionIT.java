package io.gleaner.meta.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LeaderElectionIT {
  private static final Duration WAIT = Duration.ofSeconds(15);

  private TestZk zk;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  /** Records listener calls as "started:<epoch>" and "stopped". */
  static final class Journal implements LeadershipListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void onStartedLeading(long epoch) {
      events.add("started:" + epoch);
    }

    @Override
    public void onStoppedLeading() {
      events.add("stopped");
    }

    String last() {
      return events.isEmpty() ? "" : events.get(events.size() - 1);
    }
  }

  record Replica(CuratorFramework client, ZkLeaderElection election, Journal journal) {}

  @BeforeEach
  void start() throws Exception {
    zk = new TestZk();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
    zk.close();
  }

  private Replica replica(String id, Duration sessionTimeout) {
    CuratorFramework client = zk.client(sessionTimeout);
    cleanup.add(client);
    ZkLeaderElection election = new ZkLeaderElection(client, "broker", id);
    Journal journal = new Journal();
    election.addListener(journal);
    cleanup.add(election::stop);
    election.start();
    return new Replica(client, election, journal);
  }

  @Test
  void failsOverToStandbyWithHigherEpoch() throws Exception {
    Replica a = replica("a", Duration.ofSeconds(10));
    assertThat(a.election().awaitLeadership(WAIT)).isTrue();
    Replica b = replica("b", Duration.ofSeconds(10));
    awaitCandidates(b.client(), 2);
    long epochA = a.election().epoch();
    assertThat(epochA).isPositive();
    assertThat(a.journal().events).containsExactly("started:" + epochA);
    assertThat(b.election().isLeader()).isFalse();
    assertThat(b.election().readiness().check().detail()).isEqualTo("standby");

    a.election().stop();
    assertThat(a.election().isLeader()).isFalse();
    assertThat(a.journal().events).containsExactly("started:" + epochA, "stopped");

    assertThat(b.election().awaitLeadership(WAIT)).isTrue();
    assertThat(b.election().epoch()).isGreaterThan(epochA);
    assertThat(b.journal().events).containsExactly("started:" + b.election().epoch());
  }

  @Test
  void deposedLeaderIsFencedOff() throws Exception {
    Replica a = replica("a", Duration.ofSeconds(10));
    assertThat(a.election().awaitLeadership(WAIT)).isTrue();
    Op staleFence = a.election().fencingCheck().orElseThrow();
    ZkStateStore storeA = new ZkStateStore(a.client());
    assertThat(
            storeA
                .transaction(List.of(staleFence, Op.create("/ledger/r1", bytes("a"))))
                .isCommitted())
        .isTrue();

    Replica b = replica("b", Duration.ofSeconds(10));
    a.election().stop();
    assertThat(b.election().awaitLeadership(WAIT)).isTrue();

    // a write prepared by the old leader is refused; the new leader's goes through
    TxResult stale = storeA.transaction(List.of(staleFence, Op.create("/ledger/r2", bytes("a"))));
    assertThat(stale)
        .isInstanceOfSatisfying(
            TxResult.Aborted.class,
            r -> assertThat(r.reason()).isEqualTo(TxResult.Reason.VERSION_MISMATCH));
    ZkStateStore storeB = new ZkStateStore(b.client());
    assertThat(
            storeB
                .transaction(
                    List.of(
                        b.election().fencingCheck().orElseThrow(),
                        Op.create("/ledger/r2", bytes("b"))))
                .isCommitted())
        .isTrue();
  }

  @Test
  void suspendedLeaderPausesAndResumesTheSameTermOnReconnect() throws Exception {
    Replica a = replica("a", Duration.ofSeconds(10));
    assertThat(a.election().awaitLeadership(WAIT)).isTrue();
    long epoch = a.election().epoch();

    zk.server.stop();
    await().atMost(WAIT).until(() -> !a.election().isLeader());
    assertThat(a.election().readiness().check().isUp()).isFalse();

    zk.server.restart(); // within the 10 s session: the latch node and the session survive
    assertThat(a.election().awaitLeadership(WAIT)).isTrue();
    // a pause, not a new term: listeners keep what they built, the epoch stays valid
    assertThat(a.election().epoch()).isEqualTo(epoch);
    assertThat(a.journal().events).containsExactly("started:" + epoch);
  }

  @Test
  void aLeaseRunOutRefusesActingUntilLeadershipIsConfirmedAgain() throws Exception {
    java.util.concurrent.atomic.AtomicLong jump = new java.util.concurrent.atomic.AtomicLong();
    CuratorFramework client = zk.client(Duration.ofSeconds(10));
    cleanup.add(client);
    ZkLeaderElection election =
        new ZkLeaderElection(
            client,
            "broker",
            "a",
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
            () -> System.nanoTime() + jump.get());
    Journal journal = new Journal();
    election.addListener(journal);
    cleanup.add(election::stop);
    election.start();
    assertThat(election.awaitLeadership(WAIT)).isTrue();
    assertThat(election.leaseRemaining()).isPositive().isLessThan(Duration.ofSeconds(10));

    // the process was stopped for 25 s; its session is still alive (nothing took over)
    jump.set(Duration.ofSeconds(25).toNanos());
    assertThat(election.isLeader()).as("the lease ran out").isFalse();

    // the next confirmation finds the latch node still first: the same term goes on
    await().atMost(WAIT).until(election::isLeader);
    assertThat(journal.events).containsExactly("started:" + election.epoch());
  }

  @Test
  void lostSessionGivesUpAndReentersTheElection() throws Exception {
    Replica a = replica("a", Duration.ofSeconds(2));
    assertThat(a.election().awaitLeadership(WAIT)).isTrue();
    long epochA = a.election().epoch();
    Replica b = replica("b", Duration.ofSeconds(10));
    awaitCandidates(b.client(), 2); // b's latch node is created in the background
    List<String> aStates = new CopyOnWriteArrayList<>();
    a.client().getConnectionStateListenable().addListener((c, s) -> aStates.add(s.name()));

    zk.server.stop();
    await()
        .atMost(WAIT)
        .until(() -> !a.election().isLeader() && a.journal().last().equals("stopped"));
    // a's 2 s session runs out while the server is away: Curator reports LOST
    await().atMost(WAIT).until(() -> aStates.contains("LOST"));
    assertThat(b.election().isLeader()).isFalse();

    zk.server.restart();
    // b's session survived; a's did not, so a's latch node goes away and b takes over
    assertThat(b.election().awaitLeadership(WAIT)).isTrue();
    assertThat(b.election().epoch()).isGreaterThan(epochA);
    assertThat(a.election().isLeader()).isFalse();
    // a re-entered the election with a new node under its new session
    awaitCandidates(b.client(), 2);

    b.election().stop();
    assertThat(a.election().awaitLeadership(WAIT)).isTrue();
    assertThat(a.election().epoch())
        .isGreaterThan(
            b.journal().events.stream()
                .filter(e -> e.startsWith("started:"))
                .mapToLong(e -> Long.parseLong(e.substring(8)))
                .max()
                .orElseThrow());
  }

  @Test
  void alwaysLeaderLeadsFromStartToStop() throws Exception {
    AlwaysLeader leader = new AlwaysLeader("solo");
    Journal journal = new Journal();
    leader.addListener(journal);
    assertThat(leader.isLeader()).isFalse();
    leader.start();
    assertThat(leader.awaitLeadership(Duration.ofMillis(10))).isTrue();
    assertThat(leader.epoch()).isEqualTo(1);
    assertThat(leader.fencingCheck()).isEmpty();
    leader.stop();
    assertThat(leader.isLeader()).isFalse();
    assertThat(journal.events).containsExactly("started:1", "stopped");
  }

  private static void awaitCandidates(CuratorFramework client, int n) {
    await()
        .atMost(WAIT)
        .until(() -> client.getChildren().forPath("/elections/broker/latch").size() == n);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
