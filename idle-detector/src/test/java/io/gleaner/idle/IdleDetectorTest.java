package io.gleaner.idle;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.offer.MemberPodInfo;
import io.gleaner.idle.offer.Offer;
import io.gleaner.idle.offer.PodGroupInfo;
import io.gleaner.idle.offer.Usage;
import io.gleaner.idle.source.ClusterCache;
import io.gleaner.idle.state.IdleState;
import io.gleaner.idle.state.InMemoryIdleTimerStore;
import io.gleaner.meta.crd.CapacitySource;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IdleDetectorTest {
  private static final Resources ALLOC = Resources.of("cpu", "8", "memory", "32Gi", "pods", "110");

  private final FakeClock clock = new FakeClock();
  private final Instant t0 = clock.instant();
  private final InMemoryIdleTimerStore store = new InMemoryIdleTimerStore();
  private final RecordingSink sink = new RecordingSink();
  private final EchoingWriter writer = new EchoingWriter();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final IdleDetectorSettings config = IdleDetectorSettings.defaults();
  private ClusterCache online;
  private IdleDetector detector;

  @BeforeEach
  void setUp() {
    detector = newDetector();
    online = cluster("web", MemberRole.ONLINE);
    online.putNode(MemberNodeInfo.of("n1", ALLOC));
    online.putNode(MemberNodeInfo.of("n2", ALLOC));
    online.putPod(MemberPodInfo.online("busy", "n2", Resources.of("cpu", "6", "memory", "8Gi")));
    detector.setReachable("web", true, "");
    run();
  }

  private IdleDetector newDetector() {
    IdleDetector d =
        new IdleDetector(clock, config, store, sink, writer, new IdleMetrics(meters), null);
    writer.detector = d;
    return d;
  }

  private ClusterCache cluster(String name, MemberRole role) {
    ClusterCache c = new ClusterCache(name);
    writer.caches.put(name, c);
    detector.addCluster(name, Set.of(role), c);
    return c;
  }

  private void run() {
    for (int i = 0; i < 10 && (detector.hasWork() || detector.process() > 0); i++) {
      detector.process();
    }
  }

  private void at(Duration d) {
    clock.set(t0.plus(d));
    run();
  }

  private void touch(String cluster, String node) {
    detector.markNode(cluster, node, System.nanoTime());
    run();
  }

  @Test
  void anIdleNodeIsLentAtExactlyTenMinutesAndLabelled() {
    assertThat(detector.state("web", "n1")).contains(new IdleState.IdleObserved(t0));
    assertThat(detector.state("web", "n2")).contains(IdleState.Active.INSTANCE);
    at(Duration.ofMinutes(9).plusSeconds(59));
    assertThat(sink.offer("web", "n1")).isEmpty();
    at(Duration.ofMinutes(10));
    assertThat(detector.state("web", "n1"))
        .contains(new IdleState.Lent(t0, t0.plus(Duration.ofMinutes(10))));
    Offer o = sink.offer("web", "n1").orElseThrow();
    assertThat(o.source()).isEqualTo(CapacitySource.IDLE);
    assertThat(o.usable()).isEqualTo(ALLOC.minus(config.nodeHeadroom()));
    MemberNodeInfo n1 = online.node("n1").orElseThrow();
    assertThat(n1.labels()).containsEntry(GleanerKeys.POOL, "idle");
    assertThat(n1.annotations())
        .containsEntry(GleanerKeys.IDLE_SINCE, "2024-01-01T00:00:00Z")
        .containsEntry(GleanerKeys.LENT_AT, "2024-01-01T00:10:00Z");
    assertThat(o.labels()).doesNotContainKey(GleanerKeys.POOL);
    assertThat(sink.offer("web", "n2")).isEmpty();
    assertThat(
            meters
                .get(IdleMetrics.LENT_NODES)
                .tags("cluster", "web", "source", "idle")
                .gauge()
                .value())
        .isEqualTo(1);
    assertThat(
            meters.get(IdleMetrics.NODES).tags("cluster", "web", "state", "lent").gauge().value())
        .isEqualTo(1);
    assertThat(
            meters
                .get(IdleMetrics.OFFERED_CORES)
                .tags("cluster", "web", "source", "idle")
                .gauge()
                .value())
        .isEqualTo(7.8);
  }

  @Test
  void onlinePodsShrinkALentOfferAtOnceAndHeavyLoadReturnsTheNode() {
    at(Duration.ofMinutes(10));
    online.putPod(MemberPodInfo.online("small", "n1", Resources.of("cpu", "1", "memory", "1Gi")));
    touch("web", "n1");
    assertThat(sink.offer("web", "n1").orElseThrow().usable().cpuMillis())
        .isEqualTo(8000 - 200 - 1000);

    clock.set(t0.plus(Duration.ofMinutes(20)));
    online.putPod(MemberPodInfo.online("big", "n1", Resources.of("cpu", "4", "memory", "1Gi")));
    touch("web", "n1");
    assertThat(sink.offer("web", "n1")).isEmpty();
    Instant returned = t0.plus(Duration.ofMinutes(20));
    assertThat(detector.state("web", "n1"))
        .contains(new IdleState.Reclaimed(returned, returned.plus(config.cooldown())));
    MemberNodeInfo n1 = online.node("n1").orElseThrow();
    assertThat(n1.labels()).doesNotContainKey(GleanerKeys.POOL);
    assertThat(n1.annotations())
        .containsEntry(GleanerKeys.COOLDOWN_UNTIL, returned.plus(config.cooldown()).toString());

    // Load leaves right away: the node stays unlendable for the cool-down, then needs ten idle
    // minutes more.
    online.removePod("default", "big");
    online.removePod("default", "small");
    touch("web", "n1");
    at(Duration.ofMinutes(49));
    assertThat(detector.state("web", "n1").orElseThrow().kind())
        .isEqualTo(IdleState.Kind.RECLAIMED);
    at(Duration.ofMinutes(50));
    assertThat(detector.state("web", "n1"))
        .contains(new IdleState.IdleObserved(t0.plus(Duration.ofMinutes(50))));
    at(Duration.ofMinutes(60));
    assertThat(detector.state("web", "n1").orElseThrow().kind()).isEqualTo(IdleState.Kind.LENT);
    // lent again, but draining: in the hour before the member's online pods asked for 11 cores,
    // and with the forecast's margin that is more than n2 holds, so n1 is forecast to be needed
    // within the lead time; it takes only pods that end by then
    Offer draining = sink.offer("web", "n1").orElseThrow();
    assertThat(draining.draining()).isTrue();
    assertThat(draining.roomUntil()).hasValue(Instant.parse("2024-01-01T01:18:02Z"));
    at(Duration.ofMinutes(120));
    assertThat(sink.offer("web", "n1").orElseThrow().usable().cpuMillis()).isEqualTo(8000 - 200);
  }

  private static MemberPodInfo gleanerPod(String name, String node, String cpu) {
    return new MemberPodInfo(
        name,
        "gleaner",
        name,
        node,
        Resources.of("cpu", cpu, "memory", "8Gi", "pods", "1"),
        true,
        false,
        false,
        false,
        "");
  }

  private void sample(String node, long cpuMillis) {
    online.setNodeUsage(
        Map.of(node, new Usage(cpuMillis, 1L << 30, clock.instant(), Duration.ofSeconds(30))));
  }

  @Test
  void aGleanerPodLeavingALentNodeIsNoOnlineUsageWhileTheNodesSampleStillHoldsIt() {
    at(Duration.ofMinutes(10));
    IdleState lent = new IdleState.Lent(t0, t0.plus(Duration.ofMinutes(10)));
    online.putPod(gleanerPod("train", "n1", "6"));
    sample("n1", 3_200);
    touch("web", "n1");
    assertThat(detector.state("web", "n1")).contains(lent);

    // the pod is deleted; the node's sample, taken while it ran, still holds its usage
    clock.set(t0.plus(Duration.ofMinutes(10)).plusSeconds(10));
    online.removePod("gleaner", "train");
    touch("web", "n1");
    assertThat(detector.state("web", "n1")).contains(lent);
    assertThat(sink.offer("web", "n1")).isPresent();

    // the first sample wholly after the departure counts as it is: online usage reclaims at once
    clock.set(t0.plus(Duration.ofMinutes(10)).plusSeconds(45));
    sample("n1", 2_000);
    touch("web", "n1");
    Instant returned = clock.instant();
    assertThat(detector.state("web", "n1"))
        .contains(new IdleState.Reclaimed(returned, returned.plus(config.cooldown())));
  }

  @Test
  void onlineUsageNextToARunningGleanerPodReclaimsALentNodeAtOnce() {
    at(Duration.ofMinutes(10));
    online.putPod(gleanerPod("train", "n1", "4"));
    sample("n1", 2_000);
    touch("web", "n1");
    assertThat(detector.state("web", "n1")).containsInstanceOf(IdleState.Lent.class);

    clock.set(t0.plus(Duration.ofMinutes(11)));
    sample("n1", 6_000);
    touch("web", "n1");
    Instant returned = clock.instant();
    assertThat(detector.state("web", "n1"))
        .contains(new IdleState.Reclaimed(returned, returned.plus(config.cooldown())));
  }

  @Test
  void aRestartAtMinuteFiveStillLendsAtMinuteTen() {
    at(Duration.ofMinutes(5));
    // A new detector process, same durable store.
    detector = newDetector();
    ClusterCache again = cluster("web", MemberRole.ONLINE);
    again.putNode(MemberNodeInfo.of("n1", ALLOC));
    detector.setReachable("web", true, "");
    run();
    assertThat(detector.state("web", "n1")).contains(new IdleState.IdleObserved(t0));
    at(Duration.ofMinutes(9).plusSeconds(59));
    assertThat(detector.state("web", "n1").orElseThrow().kind())
        .isEqualTo(IdleState.Kind.IDLE_OBSERVED);
    at(Duration.ofMinutes(10));
    assertThat(detector.state("web", "n1").orElseThrow().kind()).isEqualTo(IdleState.Kind.LENT);
  }

  @Test
  void aLentNodeFoundLabelledAfterARestartIsAdoptedAsLent() {
    at(Duration.ofMinutes(10));
    detector = newDetector();
    store.delete("web", "n1");
    ClusterCache again = cluster("web", MemberRole.ONLINE);
    again.putNode(online.node("n1").orElseThrow());
    detector.setReachable("web", true, "");
    run();
    assertThat(detector.state("web", "n1"))
        .contains(new IdleState.Lent(t0, t0.plus(Duration.ofMinutes(10))));
  }

  @Test
  void aDeschedulerReclaimReturnsTheNodeWithItsCoolDown() {
    at(Duration.ofMinutes(10));
    Instant reclaimed = t0.plus(Duration.ofMinutes(12));
    Instant until = reclaimed.plus(Duration.ofMinutes(5));
    MemberNodeInfo n1 = online.node("n1").orElseThrow();
    Map<String, String> labels = new HashMap<>(n1.labels());
    labels.remove(GleanerKeys.POOL);
    Map<String, String> ann = new HashMap<>(n1.annotations());
    ann.put(GleanerKeys.RECLAIMED_AT, reclaimed.toString());
    ann.put(GleanerKeys.COOLDOWN_UNTIL, until.toString());
    online.putNode(n1.withLabels(labels).withAnnotations(ann));
    clock.set(reclaimed);
    touch("web", "n1");
    assertThat(sink.offer("web", "n1")).isEmpty();
    assertThat(detector.state("web", "n1")).contains(new IdleState.Reclaimed(reclaimed, until));
    assertThat(online.node("n1").orElseThrow().labels()).doesNotContainKey(GleanerKeys.POOL);
    at(Duration.ofMinutes(17));
    assertThat(detector.state("web", "n1")).contains(new IdleState.IdleObserved(until));
  }

  @Test
  void removingThePoolLabelOfALentNodeReturnsIt() {
    at(Duration.ofMinutes(10));
    MemberNodeInfo n1 = online.node("n1").orElseThrow();
    online.putNode(n1.withLabels(Map.of()));
    touch("web", "n1");
    assertThat(sink.offer("web", "n1")).isEmpty();
    assertThat(detector.state("web", "n1").orElseThrow().kind())
        .isEqualTo(IdleState.Kind.RECLAIMED);
  }

  @Test
  void aFailedLendWriteIsRetriedWithoutCountingAsAReclaim() {
    writer.fail = true;
    at(Duration.ofMinutes(10));
    assertThat(detector.state("web", "n1").orElseThrow().kind()).isEqualTo(IdleState.Kind.LENT);
    writer.fail = false;
    touch("web", "n1");
    assertThat(online.node("n1").orElseThrow().labels()).containsEntry(GleanerKeys.POOL, "idle");
    assertThat(detector.state("web", "n1").orElseThrow().kind()).isEqualTo(IdleState.Kind.LENT);
  }

  @Test
  void nodeLeavingReadyWhileLentIsReturned() {
    at(Duration.ofMinutes(10));
    online.putNode(online.node("n1").orElseThrow().withReady(false));
    touch("web", "n1");
    assertThat(sink.offer("web", "n1")).isEmpty();
    assertThat(detector.state("web", "n1").orElseThrow().kind())
        .isEqualTo(IdleState.Kind.RECLAIMED);
  }

  @Test
  void anUnreachableMemberHasItsOffersWithdrawnAndItsTimersReset() {
    at(Duration.ofMinutes(10));
    online.putNode(MemberNodeInfo.of("n3", ALLOC));
    touch("web", "n3");
    detector.setReachable("web", false, "circuit breaker open");
    run();
    assertThat(sink.live).isEmpty();
    assertThat(sink.reachable).containsEntry("web", false);
    assertThat(detector.state("web", "n3")).contains(IdleState.Active.INSTANCE);
    detector.setReachable("web", true, "");
    run();
    assertThat(sink.offer("web", "n1")).isPresent();
    assertThat(detector.state("web", "n3")).contains(new IdleState.IdleObserved(clock.instant()));
  }

  @Test
  void aDeletedNodeIsWithdrawnAndForgotten() {
    at(Duration.ofMinutes(10));
    online.removeNode("n1");
    touch("web", "n1");
    assertThat(sink.offer("web", "n1")).isEmpty();
    assertThat(detector.state("web", "n1")).isEmpty();
    assertThat(store.load("web")).doesNotContainKey("n1");
  }

  @Test
  void volcanoFragmentsShrinkWhileAGangWaitsAndThePoolLabelFollowsTheOffer() {
    ClusterCache train = cluster("train", MemberRole.TRAINING);
    Resources gpuNode =
        Resources.of("cpu", "16", "memory", "64Gi", "nvidia.com/gpu", "4", "pods", "110");
    train.putNode(MemberNodeInfo.of("g1", gpuNode));
    train.putPod(
        new MemberPodInfo(
            "w",
            "ml",
            "w",
            "g1",
            Resources.of("cpu", "12", "memory", "48Gi", "nvidia.com/gpu", "3", "pods", "1"),
            false,
            false,
            false,
            false,
            "job"));
    detector.setReachable("train", true, "");
    run();
    Offer before = sink.offer("train", "g1").orElseThrow();
    assertThat(before.source()).isEqualTo(CapacitySource.VOLCANO);
    assertThat(before.usable())
        .isEqualTo(
            Resources.of("cpu", "4", "memory", "16Gi", "nvidia.com/gpu", "1", "pods", "109"));
    assertThat(train.node("g1").orElseThrow().labels()).containsEntry(GleanerKeys.POOL, "volcano");

    train.putPodGroup(
        new PodGroupInfo(
            "ml",
            "next",
            "Inqueue",
            1,
            Resources.of("cpu", "4", "memory", "16Gi", "nvidia.com/gpu", "1"),
            0,
            t0));
    detector.markCluster("train", System.nanoTime());
    run();
    assertThat(sink.offer("train", "g1")).isEmpty();
    assertThat(train.node("g1").orElseThrow().labels()).doesNotContainKey(GleanerKeys.POOL);

    train.removePodGroup("ml", "next");
    detector.markCluster("train", System.nanoTime());
    run();
    assertThat(sink.offer("train", "g1").orElseThrow().usable()).isEqualTo(before.usable());
  }

  @Test
  void colocationOffersFollowUsageAndStaleMetricsWithdraw() {
    ClusterCache colo = cluster("colo", MemberRole.COLOCATION);
    colo.putNode(
        MemberNodeInfo.of("c1", Resources.of("cpu", "10", "memory", "10Gi", "pods", "110")));
    colo.setNodeUsage(Map.of("c1", new Usage(1000, 1L << 30, t0)));
    detector.setReachable("colo", true, "");
    run();
    long low = sink.offer("colo", "c1").orElseThrow().usable().cpuMillis();
    assertThat(low).isEqualTo(6000 - 1000);
    assertThat(colo.node("c1").orElseThrow().labels())
        .containsEntry(GleanerKeys.POOL, "colocation");

    clock.set(t0.plusSeconds(30));
    colo.setNodeUsage(Map.of("c1", new Usage(4000, 1L << 30, clock.instant())));
    detector.markCluster("colo", System.nanoTime());
    run();
    assertThat(sink.offer("colo", "c1").orElseThrow().usable().cpuMillis()).isEqualTo(2000);

    at(Duration.ofMinutes(16));
    detector.markCluster("colo", System.nanoTime());
    run();
    assertThat(sink.offer("colo", "c1")).isEmpty();
    assertThat(sink.log)
        .filteredOn(l -> l.startsWith("withdraw colo/c1"))
        .last()
        .asString()
        .contains("older than");
  }

  @Test
  void excludedNodesAreNeverLentOrOffered() {
    online.putNode(MemberNodeInfo.of("n1", ALLOC).withLabels(Map.of(GleanerKeys.EXCLUDE, "true")));
    touch("web", "n1");
    at(Duration.ofMinutes(30));
    assertThat(sink.offer("web", "n1")).isEmpty();
    assertThat(detector.state("web", "n1")).contains(IdleState.Active.INSTANCE);
  }

  @Test
  void aRemovedMemberIsWithdrawn() {
    at(Duration.ofMinutes(10));
    detector.removeCluster("web");
    run();
    assertThat(sink.live).isEmpty();
    assertThat(detector.clusters()).doesNotContain("web");
  }

  @Test
  void onlyChangedOffersAreSent() {
    at(Duration.ofMinutes(10));
    int sent = sink.log.size();
    touch("web", "n1");
    at(Duration.ofMinutes(11));
    assertThat(sink.log).hasSize(sent);
    assertThat(List.copyOf(sink.log)).filteredOn(s -> s.startsWith("offer web/n1")).hasSize(1);
  }
}
