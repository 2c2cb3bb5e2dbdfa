package io.gleaner.idle;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.source.ClusterCache;
import io.gleaner.idle.source.PlaceholderWriter;
import io.gleaner.idle.state.IdleState;
import io.gleaner.idle.state.InMemoryIdleTimerStore;
import io.gleaner.meta.crd.ElasticSettings;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.time.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two installations, {@code a} and {@code b}, with one detector each on the same member (one shared
 * view of its nodes, as both watch the same API server): each lends with its own claim, leaves the
 * other's alone while it is renewed, and releases it once it is stale.
 */
class InstancesTest {
  private static final Resources ALLOC = Resources.of("cpu", "8", "memory", "32Gi", "pods", "110");
  private static final Duration RESYNC = IdleDetectorSettings.defaults().resyncInterval();

  private final FakeClock clock = new FakeClock();
  private final Instant t0 = clock.instant();
  private final ClusterCache member = new ClusterCache("web");
  private final Side a = new Side("a");
  private final Side b = new Side("b");

  /** One installation's detector, its broker (sink) and its writes to the shared member. */
  private final class Side {
    final RecordingSink sink = new RecordingSink();
    final EchoingWriter writer = new EchoingWriter();
    final IdleDetectorSettings config;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final IdleDetector detector;

    Side(String instance) {
      this(instance, IdleDetectorSettings.defaults());
    }

    Side(String instance, IdleDetectorSettings settings) {
      config = settings.withSourceId("idle-detector/" + instance);
      detector =
          new IdleDetector(
              clock,
              config,
              new InMemoryIdleTimerStore(),
              sink,
              writer,
              new IdleMetrics(registry),
              null);
      writer.caches.put("web", member);
      writer.detector = detector;
    }

    void start() {
      start(MemberRole.ONLINE);
    }

    void start(MemberRole role) {
      detector.addCluster("web", Set.of(role), member);
      detector.setReachable("web", true, "");
      run();
    }

    void run() {
      detector.markNode("web", "n1", System.nanoTime());
      for (int i = 0; i < 10 && (detector.hasWork() || detector.process() > 0); i++) {
        detector.process();
      }
    }

    SimpleMeterRegistry metricsRegistry() {
      return registry;
    }

    IdleState.Kind state() {
      return detector.state("web", "n1").orElseThrow().kind();
    }
  }

  @BeforeEach
  void setUp() {
    member.putNode(MemberNodeInfo.of("n1", ALLOC).withResourceVersion("1"));
  }

  private MemberNodeInfo n1() {
    return member.node("n1").orElseThrow();
  }

  /** Both detectors pass at {@code d} after t0; a first, then b. */
  private void at(Duration d) {
    clock.set(t0.plus(d));
    a.run();
    b.run();
  }

  /**
   * The node as a (now gone) installation {@code owner} left it, its claim renewed at {@code t}.
   */
  private void claimedBy(String owner, Instant renewed) {
    claimedBy(owner, "idle", renewed);
  }

  private void claimedBy(String owner, String pool, Instant renewed) {
    Map<String, String> labels = new HashMap<>(n1().labels());
    labels.put(GleanerKeys.POOL, pool);
    labels.put(GleanerKeys.LENT_BY, owner);
    Map<String, String> ann = new HashMap<>(n1().annotations());
    ann.put(GleanerKeys.LENT_RENEWED_AT, renewed.toString());
    member.putNode(n1().withLabels(labels).withAnnotations(ann));
  }

  @Test
  void theFirstToLendClaimsTheNodeAndOnlyItOffersIt() {
    a.start();
    b.start();
    assertThat(a.state()).isEqualTo(IdleState.Kind.IDLE_OBSERVED);
    assertThat(b.state()).isEqualTo(IdleState.Kind.IDLE_OBSERVED);

    at(Duration.ofMinutes(10));

    assertThat(n1().labels())
        .containsEntry(GleanerKeys.POOL, "idle")
        .containsEntry(GleanerKeys.LENT_BY, "a");
    assertThat(n1().annotations())
        .containsEntry(GleanerKeys.LENT_RENEWED_AT, t0.plus(Duration.ofMinutes(10)).toString());
    assertThat(a.sink.offer("web", "n1")).isPresent();
    assertThat(a.state()).isEqualTo(IdleState.Kind.LENT);
    assertThat(b.sink.offer("web", "n1")).isEmpty();
    assertThat(b.state()).isEqualTo(IdleState.Kind.ACTIVE);
    assertThat(b.writer.patches).isEmpty();
  }

  @Test
  void aNodeLentByAnotherLiveInstallationIsNeverLentOfferedNorReturnedHowEverLongItIdles() {
    a.start();
    b.start();
    at(Duration.ofMinutes(10));
    // a renews at every resync for hours; b never lends, offers, or writes
    for (int m = 10; m <= 240; m += 5) {
      at(Duration.ofMinutes(m));
      assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
      assertThat(b.sink.offer("web", "n1")).isEmpty();
    }
    assertThat(b.writer.patches).isEmpty();
    assertThat(b.state()).isEqualTo(IdleState.Kind.ACTIVE);
    assertThat(a.sink.offer("web", "n1")).isPresent();
    assertThat(
            Instant.parse(n1().annotations().get(GleanerKeys.LENT_RENEWED_AT))
                .isAfter(t0.plus(Duration.ofMinutes(230))))
        .as("a renewed its claim within the last resync")
        .isTrue();
  }

  @Test
  void anotherInstallationTakingOverAClaimWithdrawsTheOfferWithoutAReturn() {
    a.start();
    at(Duration.ofMinutes(10));
    assertThat(a.sink.offer("web", "n1")).isPresent();
    // b lent the same node at the same moment, and its write landed last
    claimedBy("b", t0.plus(Duration.ofMinutes(10)));
    a.run();
    assertThat(a.sink.offer("web", "n1")).isEmpty();
    assertThat(a.state()).isEqualTo(IdleState.Kind.ACTIVE);
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "b");
    assertThat(n1().annotations()).doesNotContainKey(GleanerKeys.COOLDOWN_UNTIL);
  }

  @Test
  void theOwnClaimLandingLastIsAdoptedBackAsLent() {
    a.start();
    at(Duration.ofMinutes(10));
    Map<String, String> ours = n1().labels();
    Map<String, String> ourAnnotations = n1().annotations();
    claimedBy("b", t0.plus(Duration.ofMinutes(10)));
    a.run();
    assertThat(a.state()).isEqualTo(IdleState.Kind.ACTIVE);
    // a's own write, delayed, lands after b's
    member.putNode(n1().withLabels(ours).withAnnotations(ourAnnotations));
    a.run();
    assertThat(a.detector.state("web", "n1"))
        .contains(new IdleState.Lent(t0, t0.plus(Duration.ofMinutes(10))));
    assertThat(a.sink.offer("web", "n1")).isPresent();
    assertThat(n1().labels()).containsEntry(GleanerKeys.POOL, "idle");
  }

  @Test
  void aStaleClaimIsReleasedAndTheNodeLentAfreshAfterItsIdleTime() {
    Duration ttl = RESYNC.multipliedBy(3);
    claimedBy("gone", t0);
    a.start();
    at(ttl.minusSeconds(1));
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "gone");
    assertThat(a.writer.patches).isEmpty();

    at(ttl);
    assertThat(n1().labels())
        .doesNotContainKey(GleanerKeys.POOL)
        .doesNotContainKey(GleanerKeys.LENT_BY);
    assertThat(n1().annotations()).doesNotContainKey(GleanerKeys.LENT_RENEWED_AT);
    assertThat(a.state()).isEqualTo(IdleState.Kind.IDLE_OBSERVED);
    assertThat(a.sink.offer("web", "n1")).isEmpty();

    at(ttl.plusMinutes(10));
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
    assertThat(a.sink.offer("web", "n1")).isPresent();
  }

  /**
   * The installed detector resyncs every 30 s (the config file's {@code idleDetector.resyncPeriod}
   * default), not the settings' 5 min: another installation's claim is still left alone for 15
   * minutes, not three of those resyncs (90 s), which a live owner's missed renewals (a slow API
   * server, a leader failover, an accelerated clock) outlast.
   */
  @Test
  void withTheInstalledResyncPeriodAClaimLivesFifteenMinutes() {
    Duration resync = io.gleaner.meta.config.IdleDetectorConfig.DEFAULTS.resyncPeriod();
    Side c = new Side("c", IdleDetectorSettings.defaults().withResyncInterval(resync));
    claimedBy("gone", t0);
    c.start();
    clock.set(t0.plus(resync.multipliedBy(3)));
    c.run();
    clock.set(t0.plus(Duration.ofMinutes(15)).minusSeconds(1));
    c.run();
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "gone");
    assertThat(c.writer.patches).isEmpty();

    clock.set(t0.plus(Duration.ofMinutes(15)));
    c.run();
    assertThat(n1().labels()).doesNotContainKey(GleanerKeys.LENT_BY);
  }

  @Test
  void theOwnClaimIsRenewedAtTheResyncAndRemovedWithTheReturn() {
    a.start();
    at(Duration.ofMinutes(10));
    at(Duration.ofMinutes(10).plus(RESYNC));
    assertThat(n1().annotations())
        .containsEntry(
            GleanerKeys.LENT_RENEWED_AT, t0.plus(Duration.ofMinutes(10)).plus(RESYNC).toString());

    // the descheduler reclaims it: pool label gone
    Map<String, String> labels = new HashMap<>(n1().labels());
    labels.remove(GleanerKeys.POOL);
    member.putNode(n1().withLabels(labels));
    a.run();
    assertThat(a.state()).isEqualTo(IdleState.Kind.RECLAIMED);
    assertThat(n1().labels()).doesNotContainKey(GleanerKeys.LENT_BY);
    assertThat(n1().annotations()).doesNotContainKey(GleanerKeys.LENT_RENEWED_AT);
  }

  @Test
  void aNodeLabelledIdleBeforeClaimsExistedIsAdoptedAndClaimed() {
    member.putNode(n1().withLabels(Map.of(GleanerKeys.POOL, "idle")));
    a.start();
    assertThat(a.state()).isEqualTo(IdleState.Kind.LENT);
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
    assertThat(a.sink.offer("web", "n1")).isPresent();
  }

  private static double conflicts(Side side, String write) {
    return side.metricsRegistry()
        .counter(IdleMetrics.CLAIM_CONFLICTS, "cluster", "web", "write", write)
        .count();
  }

  /** The node as another writer changed it: its content and a new version. */
  private void changed(MemberNodeInfo n) {
    member.putNode(n.withResourceVersion(n.resourceVersion() + "+"));
  }

  private static double leftToAnother(Side side) {
    return side.metricsRegistry().counter(IdleMetrics.LEFT_TO_ANOTHER, "cluster", "web").count();
  }

  @Test
  void volcanoRoomIsOfferedOnlyByTheInstallationWhoseClaimTheNodeShows() {
    a.start(MemberRole.TRAINING);
    b.start(MemberRole.TRAINING);
    assertThat(n1().labels())
        .containsEntry(GleanerKeys.POOL, "volcano")
        .containsEntry(GleanerKeys.LENT_BY, "a");
    assertThat(a.sink.offer("web", "n1")).isPresent();
    assertThat(b.sink.offer("web", "n1")).isEmpty();
    assertThat(b.writer.patches).isEmpty();
    assertThat(leftToAnother(b)).isEqualTo(1);

    // resync by resync a renews its claim; b leaves the node alone and counts the change once
    at(RESYNC);
    at(RESYNC.multipliedBy(2));
    assertThat(n1().annotations())
        .containsEntry(GleanerKeys.LENT_RENEWED_AT, t0.plus(RESYNC.multipliedBy(2)).toString());
    assertThat(b.sink.offer("web", "n1")).isEmpty();
    assertThat(b.writer.patches).isEmpty();
    assertThat(leftToAnother(b)).isEqualTo(1);
  }

  /**
   * Both detectors decide on the same version of the unclaimed node and claim its Volcano room at
   * once: the first claim to land stands and the other is refused (the API server's 409 Conflict on
   * a stale {@code resourceVersion}), so at no moment do both offer the node.
   */
  @Test
  void ofTwoClaimsOnVolcanoRoomDecidedOnOneVersionOnlyTheFirstToLandStands() {
    a.writer.hold = true;
    b.writer.hold = true;
    a.start(MemberRole.TRAINING);
    b.start(MemberRole.TRAINING);
    assertThat(a.sink.offer("web", "n1")).isEmpty();
    a.writer.release();
    a.run();
    assertThat(a.sink.offer("web", "n1")).isPresent();

    b.writer.release();
    b.run();
    assertThat(b.sink.offer("web", "n1")).as("b offers the node a offers").isEmpty();
    a.run();
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
    assertThat(a.sink.offer("web", "n1")).isPresent();
    assertThat(b.sink.offer("web", "n1")).isEmpty();
    assertThat(conflicts(b, "take")).isEqualTo(1);
    assertThat(conflicts(a, "take")).isZero();
    assertThat(leftToAnother(b)).isEqualTo(1);
  }

  /** As for Volcano room: two detectors lending one idle node at once, the first claim stands. */
  @Test
  void ofTwoLoansOfAnIdleNodeDecidedOnOneVersionOnlyTheFirstToLandStands() {
    a.start();
    b.start();
    a.writer.hold = true;
    b.writer.hold = true;
    at(Duration.ofMinutes(10));
    assertThat(a.state()).isEqualTo(IdleState.Kind.LENT);
    assertThat(b.state()).isEqualTo(IdleState.Kind.LENT);
    a.writer.release();
    a.run();
    assertThat(a.sink.offer("web", "n1")).isPresent();

    b.writer.release();
    b.run();
    assertThat(b.sink.offer("web", "n1")).as("b offers the node a offers").isEmpty();
    assertThat(b.state()).isEqualTo(IdleState.Kind.ACTIVE);
    a.run();
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
    assertThat(a.sink.offer("web", "n1")).isPresent();
    assertThat(a.state()).isEqualTo(IdleState.Kind.LENT);
    assertThat(conflicts(b, "take")).isEqualTo(1);
  }

  /**
   * A renewal is conditional too: one decided just before the descheduler took the node back (pool
   * label removed) is refused, so it cannot put the pool label back; the node is returned.
   */
  @Test
  void aRenewalDecidedBeforeTheNodeWasTakenBackDoesNotLendItAgain() {
    a.start();
    at(Duration.ofMinutes(10));
    assertThat(a.sink.offer("web", "n1")).isPresent();
    a.writer.hold = true;
    clock.set(t0.plus(Duration.ofMinutes(10)).plus(RESYNC));
    a.run(); // the renewal is decided and sent
    Map<String, String> labels = new HashMap<>(n1().labels());
    labels.remove(GleanerKeys.POOL);
    changed(n1().withLabels(labels)); // the descheduler's reclaim lands first
    a.writer.release();
    assertThat(n1().labels()).doesNotContainKey(GleanerKeys.POOL);
    assertThat(conflicts(a, "renew")).isEqualTo(1);
    a.run();
    assertThat(a.state()).isEqualTo(IdleState.Kind.RECLAIMED);
    assertThat(a.sink.offer("web", "n1")).isEmpty();
    assertThat(n1().labels())
        .doesNotContainKey(GleanerKeys.POOL)
        .doesNotContainKey(GleanerKeys.LENT_BY);
  }

  /**
   * Releasing another installation's stale claim is conditional: its owner renewing it meanwhile
   * keeps it, and the node is left to it.
   */
  @Test
  void aStaleClaimRenewedWhileItWasBeingReleasedStays() {
    Duration ttl = RESYNC.multipliedBy(3);
    claimedBy("b", "volcano", t0);
    a.start(MemberRole.TRAINING);
    a.writer.hold = true;
    at(ttl); // a decides to release b's stale claim
    claimedBy("b", "volcano", t0.plus(ttl)); // b, back, renews it first
    changed(n1());
    a.writer.release();
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "b");
    assertThat(conflicts(a, "release")).isEqualTo(1);
    a.run();
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "b");
    assertThat(a.sink.offer("web", "n1")).isEmpty();
    assertThat(a.writer.patches).hasSize(1);
  }

  /**
   * A member leaving the installation (its MemberCluster deleted): its offers are withdrawn at once
   * and this installation's claims removed from its nodes, Volcano room and idle loans alike, so
   * the other installation need not wait 15 minutes for them to go stale; another installation's
   * claim stays, nothing is claimed there again, and the other members are not touched.
   */
  @Test
  void aMemberLeavingTheInstallationHasItsOffersWithdrawnAndItsClaimsRemoved() {
    ClusterCache train = new ClusterCache("train");
    train.putNode(MemberNodeInfo.of("t1", ALLOC).withResourceVersion("1"));
    train.putNode(
        MemberNodeInfo.of("t2", ALLOC)
            .withResourceVersion("1")
            .withLabels(Map.of(GleanerKeys.POOL, "volcano", GleanerKeys.LENT_BY, "b"))
            .withAnnotations(Map.of(GleanerKeys.LENT_RENEWED_AT, t0.toString())));
    a.writer.caches.put("train", train);
    a.start();
    a.detector.addCluster("train", Set.of(MemberRole.TRAINING), train);
    a.detector.setReachable("train", true, "");
    at(Duration.ofMinutes(10));
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
    assertThat(train.node("t1").orElseThrow().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
    assertThat(a.sink.offer("train", "t1")).isPresent();
    assertThat(a.sink.offer("web", "n1")).isPresent();

    CompletableFuture<Integer> released = a.detector.releaseClaims("train");
    a.run();
    assertThat(released).isCompletedWithValue(1);
    assertThat(a.sink.offer("train", "t1")).isEmpty();
    MemberNodeInfo t1 = train.node("t1").orElseThrow();
    assertThat(t1.labels()).doesNotContainKeys(GleanerKeys.POOL, GleanerKeys.LENT_BY);
    assertThat(t1.annotations()).doesNotContainKey(GleanerKeys.LENT_RENEWED_AT);
    assertThat(train.node("t2").orElseThrow().labels())
        .containsEntry(GleanerKeys.POOL, "volcano")
        .containsEntry(GleanerKeys.LENT_BY, "b");
    int writes = a.writer.patches.size();
    a.detector.markCluster("train", System.nanoTime());
    at(Duration.ofMinutes(10).plus(RESYNC));
    assertThat(train.node("t1").orElseThrow().labels()).doesNotContainKey(GleanerKeys.LENT_BY);
    assertThat(a.writer.patches.stream().filter(p -> p.startsWith("train/"))).hasSize(2);
    assertThat(a.writer.patches).hasSize(writes + 1); // n1's renewal
    assertThat(a.sink.offer("web", "n1")).isPresent();

    // an idle loan goes the same way
    released = a.detector.releaseClaims("web");
    a.run();
    assertThat(released).isCompletedWithValue(1);
    assertThat(a.sink.offer("web", "n1")).isEmpty();
    assertThat(n1().labels()).doesNotContainKeys(GleanerKeys.POOL, GleanerKeys.LENT_BY);
    assertThat(n1().annotations()).doesNotContainKey(GleanerKeys.LENT_RENEWED_AT);
    a.detector.removeCluster("web");
    a.detector.removeCluster("train");
    a.run();
    assertThat(a.detector.clusters()).isEmpty();
  }

  /**
   * Removing a leaving member's claim is conditional too: refused when the node changed, it is
   * decided again on the node as it is then, and the release completes once the claim is gone.
   */
  @Test
  void aClaimRemovalRefusedAsTheMemberLeavesIsDecidedAgain() {
    a.start(MemberRole.TRAINING);
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
    a.writer.hold = true;
    CompletableFuture<Integer> released = a.detector.releaseClaims("web");
    a.run();
    changed(n1().withLabels(merged(n1().labels(), "kubernetes.io/role", "gpu")));
    a.writer.release();
    assertThat(conflicts(a, "leave")).isEqualTo(1);
    assertThat(released).isNotDone();
    a.run();
    assertThat(released).isCompletedWithValue(1);
    assertThat(n1().labels())
        .containsEntry("kubernetes.io/role", "gpu")
        .doesNotContainKeys(GleanerKeys.POOL, GleanerKeys.LENT_BY);
  }

  /**
   * A member that does not answer holds nobody up as it leaves: its claims are left to go stale.
   */
  @Test
  void aMemberLeavingWhileItDoesNotAnswerIsLetGoAtOnce() {
    a.start(MemberRole.TRAINING);
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
    a.detector.setReachable("web", false, "breaker open");
    int writes = a.writer.patches.size();
    CompletableFuture<Integer> released = a.detector.releaseClaims("web");
    a.run();
    assertThat(released).isCompletedWithValue(0);
    assertThat(a.writer.patches).hasSize(writes);
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
  }

  private static Map<String, String> merged(Map<String, String> m, String key, String value) {
    Map<String, String> out = new HashMap<>(m);
    out.put(key, value);
    return out;
  }

  @Test
  void aStaleClaimOnVolcanoRoomIsReleasedAndTheRoomClaimedAfresh() {
    Duration ttl = RESYNC.multipliedBy(3);
    claimedBy("gone", "volcano", t0);
    a.start(MemberRole.TRAINING);
    assertThat(a.sink.offer("web", "n1")).isEmpty();
    at(ttl.minusSeconds(1));
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "gone");
    assertThat(a.writer.patches).isEmpty();

    at(ttl);
    assertThat(n1().labels())
        .containsEntry(GleanerKeys.POOL, "volcano")
        .containsEntry(GleanerKeys.LENT_BY, "a");
    assertThat(n1().annotations())
        .containsEntry(GleanerKeys.LENT_RENEWED_AT, t0.plus(ttl).toString());
    assertThat(a.sink.offer("web", "n1")).isPresent();
  }

  @Test
  void theOwnClaimOnVolcanoRoomGoesWithTheRoom() {
    a.start(MemberRole.TRAINING);
    assertThat(n1().labels()).containsEntry(GleanerKeys.LENT_BY, "a");
    member.putNode(n1().withUnschedulable(true));
    a.run();
    assertThat(a.sink.offer("web", "n1")).isEmpty();
    assertThat(n1().labels())
        .doesNotContainKey(GleanerKeys.POOL)
        .doesNotContainKey(GleanerKeys.LENT_BY);
    assertThat(n1().annotations()).doesNotContainKey(GleanerKeys.LENT_RENEWED_AT);
  }

  private static IdleDetectorSettings elastic() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setElastic(new ElasticSettings(20, 6.0));
    return IdleDetectorSettings.defaults().withPolicy(spec.effective());
  }

  /**
   * An elastic member's node is offered, as Volcano room is, only by the installation whose claim
   * the node shows; the other leaves it alone, and the claim goes with the offer once no near-line
   * pod waits.
   */
  @Test
  void elasticRoomIsOfferedOnlyByTheInstallationWhoseClaimTheNodeShows() {
    Side ea = new Side("a", elastic());
    Side eb = new Side("b", elastic());
    Map<String, Resources> bAsks = new HashMap<>();
    eb.detector.placeholders(
        new PlaceholderWriter() {
          @Override
          public CompletableFuture<Void> create(String cluster, String name, Resources requests) {
            bAsks.put(name, requests);
            return new CompletableFuture<>(); // still being created: asked once
          }

          @Override
          public CompletableFuture<Void> delete(String cluster, String name) {
            bAsks.remove(name);
            return CompletableFuture.completedFuture(null);
          }
        });
    ea.detector.setNearLineWaiting(List.of(Resources.of("cpu", "2")));
    eb.detector.setNearLineWaiting(List.of(Resources.of("cpu", "2")));
    ea.start(MemberRole.ELASTIC);
    eb.start(MemberRole.ELASTIC);
    assertThat(n1().labels())
        .containsEntry(GleanerKeys.POOL, "elastic")
        .containsEntry(GleanerKeys.LENT_BY, "a");
    assertThat(ea.sink.offer("web", "n1")).isPresent();
    assertThat(eb.sink.offer("web", "n1")).isEmpty();
    assertThat(eb.writer.patches).isEmpty();
    assertThat(leftToAnother(eb)).isEqualTo(1);
    // the node a claims is not b's to offer: b asks its autoscaler for room for the pod instead
    assertThat(bAsks.values()).containsExactly(Resources.of("cpu", "2"));

    ea.detector.setNearLineWaiting(List.of());
    ea.run();
    assertThat(ea.sink.offer("web", "n1")).isEmpty();
    assertThat(n1().labels())
        .doesNotContainKey(GleanerKeys.POOL)
        .doesNotContainKey(GleanerKeys.LENT_BY);
    assertThat(n1().annotations()).doesNotContainKey(GleanerKeys.LENT_RENEWED_AT);
  }
}
