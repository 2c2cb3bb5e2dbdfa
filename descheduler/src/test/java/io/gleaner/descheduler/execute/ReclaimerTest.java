package io.gleaner.descheduler.execute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.descheduler.plan.NodePod;
import io.gleaner.descheduler.plan.NodeReclaim;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.PodClass;
import io.gleaner.descheduler.plan.Pool;
import io.gleaner.descheduler.plan.Reason;
import io.gleaner.descheduler.plan.Victim;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.time.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ReclaimerTest {
  static final Instant T0 = Instant.parse("2025-01-01T12:00:00Z");

  /** Records every call; evict answers from a script. */
  static class FakeActions implements MemberActions {
    final Map<String, EvictionResult> script = new ConcurrentHashMap<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile boolean noteFails;

    @Override
    public EvictionResult evict(Victim v) {
      calls.add("evict " + v.pod().key() + " grace=" + v.pod().gracePeriodSeconds());
      return script.getOrDefault(v.pod().name(), EvictionResult.EVICTED);
    }

    @Override
    public void note(Victim v, String reason, String message) {
      if (noteFails) {
        throw new IllegalStateException("member API server down");
      }
      calls.add("note " + v.pod().key() + " " + reason + ": " + message);
    }

    @Override
    public void returnNode(String node, Instant reclaimedAt, Instant cooldownUntil) {
      calls.add("return " + node + " until " + cooldownUntil);
    }

    @Override
    public void podEvent(String podKey, String message) {
      calls.add("pod-event " + podKey + ": " + message);
    }

    @Override
    public void nodeEvent(String node, String message) {
      calls.add("node-event " + node + ": " + message);
    }
  }

  static final class FakeBroker implements BrokerNotifier {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public WithdrawOutcome withdraw(
        String cluster, String node, String reason, Instant cooldownUntil, ReclaimEvent event) {
      calls.add(cluster + "/" + node + " " + reason + " event=" + (event != null));
      return WithdrawOutcome.WITHDRAWN;
    }
  }

  static NodePod pod(String name) {
    return new NodePod(
        "gl",
        name,
        "u-" + name,
        Resources.of("cpu", "1"),
        true,
        PodClass.OFFLINE,
        Pool.IDLE,
        -10,
        T0,
        9,
        Optional.empty(),
        false,
        "m-" + name);
  }

  private final FakeClock clock = new FakeClock(T0);
  private final FakeActions actions = new FakeActions();
  private final FakeBroker broker = new FakeBroker();
  private final List<ReclaimEvent> published = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.ScheduledExecutorService permits =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor();

  @org.junit.jupiter.api.AfterEach
  void stopPermits() {
    permits.shutdownNow();
  }

  private Reclaimer reclaimer(boolean dryRun) {
    EvictionLimiter limiter = new EvictionLimiter(100.0, 1000, Duration.ZERO);
    return new Reclaimer(
        "c1",
        actions,
        broker,
        limiter,
        clock,
        new Reclaimer.Settings(dryRun, Duration.ofMinutes(10)),
        Runnable::run,
        Runnable::run,
        permits,
        () -> true,
        published::add);
  }

  private Plan plan(NodePod... victims) {
    List<Victim> vs = java.util.Arrays.stream(victims).map(p -> new Victim("n1", p)).toList();
    return new Plan(
        "c1",
        List.of(
            new NodeReclaim(
                "n1", Pool.IDLE, Reason.UNSCHEDULABLE, vs, List.of("web/p1"), T0.minusMillis(120))),
        List.of());
  }

  @Test
  void evictsReturnsWithdrawsRecordsAndPublishes() {
    List<NodeResult> results = reclaimer(false).execute(plan(pod("a"), pod("b")), T0);
    assertThat(actions.calls)
        .contains(
            "evict gl/a grace=9",
            "evict gl/b grace=9",
            "return n1 until " + T0.plus(Duration.ofMinutes(10)));
    assertThat(broker.calls)
        .containsExactly("c1/n1 Unschedulable event=false", "c1/n1 Unschedulable event=true");
    ReclaimEvent e = results.get(0).event();
    assertThat(e.getCluster()).isEqualTo("c1");
    assertThat(e.getSource()).isEqualTo(SourceKind.IDLE);
    assertThat(e.getVictimsList()).extracting(v -> v.getName()).containsExactly("a", "b");
    assertThat(e.getTriggeredAtMs()).isEqualTo(T0.minusMillis(120).toEpochMilli());
    assertThat(published).containsExactly(e);
    assertThat(actions.calls)
        .anyMatch(
            c ->
                c.equals(
                    "pod-event web/p1: Gleaner reclaimed node n1 for pod web/p1: evicted gl/a, gl/b"));
    assertThat(actions.calls)
        .anyMatch(c -> c.startsWith("node-event n1: Gleaner reclaimed node n1"));
    assertThat(actions.calls)
        .as("the member's reclaim speaks for itself")
        .noneMatch(c -> c.startsWith("note "));
  }

  /**
   * The broker stops placing on the node as the reclaim starts, not once its evictions are
   * answered: the room each eviction frees is released in the ledger as soon as the virtual-kubelet
   * sees the pod go, and a node still offered then takes new Gleaner pods into it, which the online
   * pod's room must be reclaimed from again, one more round each. The node is handed back only once
   * every eviction freed its room.
   */
  @Test
  void theNodesOfferIsWithdrawnBeforeItsEvictionsAreAnswered() {
    Map<String, java.util.concurrent.CompletableFuture<EvictionResult>> answers =
        new ConcurrentHashMap<>();
    FakeActions slow =
        new FakeActions() {
          @Override
          public java.util.concurrent.CompletableFuture<EvictionResult> evictAsync(
              Victim v, java.util.concurrent.Executor executor) {
            calls.add("evict " + v.pod().key() + " grace=" + v.pod().gracePeriodSeconds());
            return answers.computeIfAbsent(
                v.pod().name(), k -> new java.util.concurrent.CompletableFuture<>());
          }
        };
    Reclaimer r =
        new Reclaimer(
            "c1",
            slow,
            broker,
            new EvictionLimiter(100.0, 1000, Duration.ofHours(1)),
            clock,
            new Reclaimer.Settings(false, Duration.ofMinutes(10)),
            Runnable::run,
            Runnable::run,
            permits,
            () -> true,
            published::add);

    java.util.concurrent.CompletableFuture<List<NodeResult>> done =
        r.executeAsync(plan(pod("a"), pod("b")), T0);

    await().atMost(Duration.ofSeconds(30)).until(() -> answers.size() == 2);
    assertThat(done).as("the member has answered no eviction yet").isNotDone();
    assertThat(broker.calls)
        .as("the broker places nothing more on the node while its pods are evicted")
        .containsExactly("c1/n1 Unschedulable event=false");
    assertThat(slow.calls).noneMatch(c -> c.startsWith("return "));

    answers.get("a").complete(EvictionResult.EVICTED);
    answers.get("b").complete(EvictionResult.EVICTED);
    await().atMost(Duration.ofSeconds(30)).until(done::isDone);
    assertThat(slow.calls).contains("return n1 until " + T0.plus(Duration.ofMinutes(10)));
    assertThat(broker.calls)
        .containsExactly("c1/n1 Unschedulable event=false", "c1/n1 Unschedulable event=true");
  }

  @Test
  void evictionsForATeamsGuaranteeKeepTheNodeLentAndOffered() {
    List<Victim> vs = List.of(new Victim("n1", pod("a")));
    Plan p =
        new Plan(
            "c1",
            List.of(
                new NodeReclaim(
                    "n1", Pool.IDLE, Reason.TEAM_GUARANTEE, vs, List.of("team:ads"), T0, false)),
            List.of());

    List<NodeResult> results = reclaimer(false).execute(p, T0);

    assertThat(actions.calls)
        .as("the pod says why before it goes")
        .containsExactly(
            "note gl/a TeamGuarantee: Gleaner gave the pod's room to team ads, below its"
                + " guaranteed share with pods waiting",
            "evict gl/a grace=9");
    assertThat(broker.calls).as("no Withdraw: the room stays in the pool").isEmpty();
    assertThat(published).containsExactly(results.get(0).event());
    assertThat(results.get(0).event().getReason()).isEqualTo("TeamGuarantee");
    assertThat(results.get(0).event().getOnlinePodsList()).containsExactly("team:ads");
  }

  @Test
  void aGuaranteeEvictionGoesAheadWhenItsNoteCannotBeWritten() {
    actions.noteFails = true;
    List<Victim> vs = List.of(new Victim("n1", pod("a")));
    Plan p =
        new Plan(
            "c1",
            List.of(
                new NodeReclaim(
                    "n1", Pool.IDLE, Reason.TEAM_GUARANTEE, vs, List.of("team:ads"), T0, false)),
            List.of());

    List<NodeResult> results = reclaimer(false).execute(p, T0);

    assertThat(actions.calls).containsExactly("evict gl/a grace=9");
    assertThat(results.get(0).results()).containsValue(EvictionResult.EVICTED);
  }

  @Test
  void pdbBlockIsReportedNotCountedAsVictim() {
    actions.script.put("b", EvictionResult.BLOCKED_BY_PDB);
    NodeResult r = reclaimer(false).execute(plan(pod("a"), pod("b")), T0).get(0);
    assertThat(r.blockedByPdb()).extracting(v -> v.pod().name()).containsExactly("b");
    assertThat(r.event().getVictimsList()).extracting(v -> v.getName()).containsExactly("a");
    assertThat(r.event().getMessage()).contains("gl/b blocked_by_pdb");
    assertThat(published).hasSize(1);
    // gl/b still runs there: the node stays lent (not returned) for the next plan
    assertThat(actions.calls).noneMatch(c -> c.startsWith("return "));
  }

  @Test
  void aThrottledEvictionIsNotAPdbRefusalAndKeepsTheNodeLent() {
    actions.script.put("b", EvictionResult.THROTTLED);
    NodeResult r = reclaimer(false).execute(plan(pod("a"), pod("b")), T0).get(0);
    assertThat(r.blockedByPdb()).isEmpty();
    assertThat(r.refused()).extracting(v -> v.pod().name()).containsExactly("b");
    assertThat(r.event().getMessage()).contains("gl/b throttled");
    assertThat(actions.calls).noneMatch(c -> c.startsWith("return "));
  }

  @Test
  void aNodeWhoseEveryEvictionWasRefusedPublishesNothing() {
    actions.script.put("a", EvictionResult.BLOCKED_BY_PDB);
    reclaimer(false).execute(plan(pod("a")), T0);
    assertThat(published).isEmpty();
    assertThat(broker.calls).containsExactly("c1/n1 Unschedulable event=false");
    assertThat(actions.calls).noneMatch(c -> c.startsWith("return "));
  }

  @Test
  void dryRunWritesNothingButPublishes() {
    NodeResult r = reclaimer(true).execute(plan(pod("a")), T0).get(0);
    assertThat(actions.calls).isEmpty();
    assertThat(broker.calls).isEmpty();
    assertThat(r.results().values()).containsOnly(EvictionResult.DRY_RUN);
    assertThat(r.event().getDryRun()).isTrue();
    await().until(() -> published.size() == 1);
  }

  @Test
  void rateLimitRefusesBeyondThePermits() {
    EvictionLimiter limiter = new EvictionLimiter(1.0 / 3600, 1000, Duration.ZERO);
    Reclaimer r =
        new Reclaimer(
            "c1",
            actions,
            broker,
            limiter,
            clock,
            new Reclaimer.Settings(false, Duration.ZERO),
            Runnable::run,
            Runnable::run,
            permits,
            () -> true,
            published::add);
    NodeResult res = r.execute(plan(pod("a"), pod("b")), T0).get(0);
    assertThat(res.results().values())
        .containsExactlyInAnyOrder(EvictionResult.EVICTED, EvictionResult.RATE_LIMITED);
    assertThat(res.refused()).hasSize(1);
  }

  /**
   * A replica that may no longer act sends no eviction, and hands back or withdraws nothing: the
   * node stays lent for whoever leads.
   */
  @Test
  void aReplicaThatMayNoLongerActSendsNothingAndKeepsTheNodeLent() {
    Reclaimer r =
        new Reclaimer(
            "c1",
            actions,
            broker,
            new EvictionLimiter(100.0, 1000, Duration.ZERO),
            clock,
            new Reclaimer.Settings(false, Duration.ZERO),
            Runnable::run,
            Runnable::run,
            permits,
            () -> false,
            published::add);

    NodeResult res = r.execute(plan(pod("a"), pod("b")), T0).get(0);

    assertThat(res.results().values()).containsOnly(EvictionResult.NOT_LEADER);
    assertThat(actions.calls).noneMatch(c -> c.startsWith("evict ") || c.startsWith("return "));
    assertThat(broker.calls).isEmpty();
    assertThat(published).isEmpty();
  }

  /**
   * The replica stops acting after a's eviction is sent and before b's: b is not sent, the event of
   * what was evicted is published, and nothing more is written for the node (no hand-back, no
   * Withdraw, no Events).
   */
  @Test
  void aReplicaDeposedInTheMiddleOfANodeWritesNothingMoreForIt() {
    java.util.concurrent.atomic.AtomicBoolean leading =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    FakeActions deposing =
        new FakeActions() {
          @Override
          public EvictionResult evict(Victim v) {
            EvictionResult r = super.evict(v);
            leading.set(false);
            return r;
          }
        };
    List<Runnable> background = new CopyOnWriteArrayList<>();
    Reclaimer r =
        new Reclaimer(
            "c1",
            deposing,
            broker,
            new EvictionLimiter(100.0, 1000, Duration.ZERO),
            clock,
            new Reclaimer.Settings(false, Duration.ZERO),
            Runnable::run,
            background::add,
            permits,
            leading::get,
            published::add);

    NodeResult res = r.execute(plan(pod("a"), pod("b")), T0).get(0);
    while (!background.isEmpty()) {
      background.remove(0).run();
    }

    // by pod: NodeResult's map has no order
    Map<String, EvictionResult> byPod = new java.util.HashMap<>();
    res.results().forEach((v, result) -> byPod.put(v.pod().name(), result));
    assertThat(byPod)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("a", EvictionResult.EVICTED, "b", EvictionResult.NOT_LEADER));
    assertThat(deposing.calls).containsExactly("evict gl/a grace=9");
    assertThat(broker.calls).isEmpty();
    assertThat(published).singleElement().satisfies(e -> assertThat(e.getVictimsCount()).isOne());
  }

  @Test
  void evictionsOfOnePlanAreInFlightTogether() throws Exception {
    java.util.concurrent.CountDownLatch allStarted = new java.util.concurrent.CountDownLatch(3);
    MemberActions gated =
        new FakeActions() {
          @Override
          public EvictionResult evict(Victim v) {
            allStarted.countDown();
            try {
              // Sequential evictions would never get past the first one.
              return allStarted.await(20, java.util.concurrent.TimeUnit.SECONDS)
                  ? EvictionResult.EVICTED
                  : EvictionResult.FAILED;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return EvictionResult.FAILED;
            }
          }
        };
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(3);
    try {
      EvictionLimiter limiter = new EvictionLimiter(100.0, 1000, Duration.ZERO);
      Reclaimer r =
          new Reclaimer(
              "c1",
              gated,
              broker,
              limiter,
              clock,
              new Reclaimer.Settings(false, Duration.ZERO),
              pool,
              pool,
              permits,
              () -> true,
              published::add);
      java.util.concurrent.CompletableFuture<List<NodeResult>> f =
          r.executeAsync(plan(pod("a"), pod("b"), pod("c")), T0);
      NodeResult res = f.get(30, java.util.concurrent.TimeUnit.SECONDS).get(0);
      assertThat(res.results().values()).containsOnly(EvictionResult.EVICTED);
      assertThat(res.results().keySet())
          .extracting(v -> v.pod().name())
          .containsExactlyInAnyOrder("a", "b", "c");
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The second reclaim of a cluster is issued while the first one's eviction still waits for its
   * permit: the wait is the cluster's eviction worker's, not the caller's (the deciding thread,
   * which holds the cluster's lock). The limiter's time is the test's, so nothing comes unless it
   * moves.
   */
  @Test
  void anEvictionWaitingForItsPermitHoldsBackNoOtherReclaimOfTheCluster() throws Exception {
    java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
    EvictionLimiter limiter = new EvictionLimiter(1.0, 1000, Duration.ofHours(1), nanos::get);
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newCachedThreadPool();
    try {
      Reclaimer r =
          new Reclaimer(
              "c1",
              actions,
              broker,
              limiter,
              clock,
              new Reclaimer.Settings(false, Duration.ZERO),
              pool,
              pool,
              permits,
              () -> true,
              published::add);
      Plan second =
          new Plan(
              "c1",
              List.of(
                  new NodeReclaim(
                      "n2",
                      Pool.IDLE,
                      Reason.UNSCHEDULABLE,
                      List.of(new Victim("n2", pod("c"))),
                      List.of("web/p2"),
                      T0)),
              List.of());

      // a takes the one permit there is; b waits for the next, an hour at most
      java.util.concurrent.CompletableFuture<List<NodeResult>> first =
          org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
              Duration.ofSeconds(30), () -> r.executeAsync(plan(pod("a"), pod("b")), T0));
      java.util.concurrent.CompletableFuture<List<NodeResult>> then =
          org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
              Duration.ofSeconds(30), () -> r.executeAsync(second, T0));

      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> actions.calls.contains("evict gl/a grace=9"));
      assertThat(first).as("b has no permit while the limiter's time stands").isNotDone();
      for (int i = 0; i < 2; i++) {
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        limiter.limits(1.0, 1000); // waiting evictions look at once
        int sent = 2 + i;
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> actions.calls.stream().filter(c -> c.startsWith("evict ")).count() == sent);
      }
      assertThat(first.get(30, java.util.concurrent.TimeUnit.SECONDS).get(0).results().values())
          .containsOnly(EvictionResult.EVICTED);
      assertThat(then.get(30, java.util.concurrent.TimeUnit.SECONDS).get(0).results().values())
          .containsOnly(EvictionResult.EVICTED);
      assertThat(actions.calls.stream().filter(c -> c.startsWith("evict ")))
          .as("in the order they were issued, within the rate")
          .containsExactly("evict gl/a grace=9", "evict gl/b grace=9", "evict gl/c grace=9");
    } finally {
      pool.shutdownNow();
    }
  }
}
