package io.gleaner.idle;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.idle.forecast.HourlyPeaks;
import io.gleaner.idle.forecast.InMemoryHistoryStore;
import io.gleaner.idle.forecast.OnlineHistory;
import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.offer.MemberPodInfo;
import io.gleaner.idle.offer.Offer;
import io.gleaner.idle.source.ClusterCache;
import io.gleaner.idle.state.IdleState;
import io.gleaner.idle.state.InMemoryIdleTimerStore;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.time.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The detector with the policy's forecast: lent nodes keep room for their forecast online peak, the
 * member's forecast overflow drains the most recently lent node ahead of the lead time, offers say
 * until when their room lasts, and histories survive a restart through the {@code HistoryStore}.
 */
class IdleDetectorForecastTest {
  private static final Resources ALLOC = Resources.of("cpu", "8", "memory", "32Gi", "pods", "110");
  private static final Instant T0 = Instant.parse("2024-01-01T02:00:00Z");
  private static final long H = HourlyPeaks.hourOf(T0);

  private final FakeClock clock = new FakeClock(T0);
  private final InMemoryIdleTimerStore timers = new InMemoryIdleTimerStore();
  private final InMemoryHistoryStore histories = new InMemoryHistoryStore();
  private final RecordingSink sink = new RecordingSink();
  private final EchoingWriter writer = new EchoingWriter();
  private IdleDetector detector;
  private ClusterCache web;

  /** Node a holds 4 cores of online pods; b and c are empty and get lent at 02:10. */
  private void start(IdleDetectorSettings config) {
    detector =
        new IdleDetector(
            clock,
            config,
            timers,
            histories,
            sink,
            writer,
            new IdleMetrics(new SimpleMeterRegistry()),
            null);
    writer.detector = detector;
    web = new ClusterCache("web");
    writer.caches.put("web", web);
    detector.addCluster("web", Set.of(MemberRole.ONLINE), web);
    web.putNode(MemberNodeInfo.of("a", ALLOC));
    web.putNode(MemberNodeInfo.of("b", ALLOC));
    web.putNode(MemberNodeInfo.of("c", ALLOC));
    web.putPod(MemberPodInfo.online("busy", "a", Resources.of("cpu", "4", "memory", "8Gi")));
    detector.setReachable("web", true, "");
    run();
  }

  private void start() {
    start(IdleDetectorSettings.defaults());
  }

  private void run() {
    for (int i = 0; i < 10 && (detector.hasWork() || detector.process() > 0); i++) {
      detector.process();
    }
  }

  private void at(Duration sinceT0) {
    clock.set(T0.plus(sinceT0));
    detector.markCluster("web", System.nanoTime());
    run();
  }

  private static OnlineHistory history(long hour, long millis) {
    OnlineHistory h = new OnlineHistory();
    h.record(HourlyPeaks.startOf(hour), millis, OptionalLong.empty());
    return h;
  }

  @Test
  void aLentNodeWithAStableHistoryKeepsRoomForItsOwnForecastPeak() {
    // b ran 1 core of online pods every hour for a day (under the idle limit of 1.6 cores): its
    // last hours repeat the day before, so its own forecast counts; c ran 1 core in the last hour
    // only, which says nothing about where the member's scheduler puts pods next
    OnlineHistory steady = new OnlineHistory();
    for (long x = H - 30; x < H; x++) {
      steady.record(HourlyPeaks.startOf(x), 1000, OptionalLong.empty());
    }
    histories.saveNode("web", "b", steady);
    histories.saveNode("web", "c", history(H - 1, 1000));
    start();
    at(Duration.ofMinutes(10));

    Offer b = sink.offer("web", "b").orElseThrow();
    // 1 core × (1 + 0.15) kept for the forecast, on top of the 200m node headroom
    assertThat(b.usable().cpuMillis()).isEqualTo(8000 - 200 - 1150);
    assertThat(b.roomUntil()).isEmpty();
    assertThat(sink.offer("web", "c").orElseThrow().usable().cpuMillis()).isEqualTo(8000 - 200);
  }

  @Test
  void anIdleNodeIsLentAtOnceWhenTheMembersForecastLeavesItRoomLongEnough() {
    // the member asked for 4 cores in the last hour: 4.6 cores forecast, node a holds 8
    histories.saveMember("web", history(H - 1, 4000));
    start();
    at(Duration.ofMinutes(1));
    assertThat(detector.state("web", "b").orElseThrow().kind())
        .as("no forecast of the member says it is needed: lent before idleAfter (10 m)")
        .isEqualTo(IdleState.Kind.LENT);
    assertThat(sink.offer("web", "b")).isPresent();
  }

  @Test
  void withoutAHistoryOfTheMemberAnIdleNodeWaitsForIdleAfter() {
    start();
    at(Duration.ofMinutes(9));
    assertThat(detector.state("web", "b").orElseThrow().kind())
        .isEqualTo(IdleState.Kind.IDLE_OBSERVED);
    at(Duration.ofMinutes(10));
    assertThat(detector.state("web", "b").orElseThrow().kind()).isEqualTo(IdleState.Kind.LENT);
  }

  @Test
  void anIdleNodeTheMembersForecastNeedsSoonIsLentAtOnceAndDraining() {
    // this hour the member asked for 40 cores yesterday, and no last hour is known yet: 40 × 1.15
    // = 46 cores; from the 4 cores of now at 02:01 to 46 at 03:00 the demand passes the 8 cores
    // node a holds 4 / 42 of the 3540 s left (337 s) later, at 02:06:37
    histories.saveMember("web", history(H - 24, 40_000));
    start();
    at(Duration.ofMinutes(1));
    assertThat(detector.state("web", "b").orElseThrow().kind())
        .as("the member has a forecast: lent without the idle wait")
        .isEqualTo(IdleState.Kind.LENT);
    Offer b = sink.offer("web", "b").orElseThrow();
    assertThat(b.draining())
        .as("needed back within the lead time: only pods that end by then")
        .isTrue();
    assertThat(b.roomUntil()).hasValue(Instant.parse("2024-01-01T02:06:37Z"));
  }

  @Test
  void theMembersForecastOverflowDrainsTheNodeItReachesWithinTheLeadTime() {
    // yesterday at 03:00 the member's online pods asked for 20 cores: at 03:00 today the forecast
    // is (0.3 × 20 + 0.6 × 4) / 0.9 × 1.15 = 10.733 cores; this hour has no term (no 01:00, no
    // yesterday's 02:00), so the demand stays at the 4 cores of now until 03:00, then moves to
    // 10.733 by 04:00 and passes the 8 cores node a holds 4 / 6.733 of the hour (2138 s) after
    // 03:00, so b (lent at the same time as c, first by name) is needed back at 03:35:38
    histories.saveMember("web", history(H + 1 - 24, 20_000));
    start();
    at(Duration.ofMinutes(10));

    Offer b = sink.offer("web", "b").orElseThrow();
    assertThat(b.roomUntil()).hasValue(Instant.parse("2024-01-01T03:35:38Z"));
    assertThat(b.usable().cpuMillis()).isEqualTo(8000 - 200);
    assertThat(sink.offer("web", "c").orElseThrow().roomUntil()).isEmpty();

    // within 03:00's hour the line starts from the demand now (4 cores) at each pass: at 03:05 it
    // passes 8 cores 4 / 6.733 of the 3300 s left (1960 s) later, beyond the 30 m lead time
    at(Duration.ofMinutes(65));
    assertThat(sink.offer("web", "b").orElseThrow().roomUntil())
        .hasValue(Instant.parse("2024-01-01T03:37:40Z"));
    assertThat(sink.offer("web", "b").orElseThrow().draining()).isFalse();
    // at 03:10, 1782 s later: within the lead time, offered as draining until then
    at(Duration.ofMinutes(70));
    Offer draining = sink.offer("web", "b").orElseThrow();
    assertThat(draining.draining()).isTrue();
    assertThat(draining.roomUntil()).hasValue(Instant.parse("2024-01-01T03:39:42Z"));
    assertThat(draining.usable().cpuMillis()).isEqualTo(8000 - 200);
    assertThat(detector.state("web", "b").orElseThrow().kind())
        .as("still lent: its pods run on, it takes only pods that end before 03:39:42")
        .isEqualTo(IdleState.Kind.LENT);
    assertThat(sink.offer("web", "c")).isPresent();
  }

  private IdleState.Kind kind(String node) {
    return detector.state("web", node).orElseThrow().kind();
  }

  /** b is lent at 02:01, gets 2 cores of online pods at 02:02 (returned), loses them at 02:03. */
  private void returnB() {
    histories.saveMember("web", history(H - 1, 4000));
    start();
    at(Duration.ofMinutes(1));
    assertThat(kind("b")).isEqualTo(IdleState.Kind.LENT);
    web.putPod(MemberPodInfo.online("burst", "b", Resources.of("cpu", "2", "memory", "4Gi")));
    at(Duration.ofMinutes(2));
    assertThat(kind("b")).isEqualTo(IdleState.Kind.RECLAIMED);
    web.removePod("default", "burst");
    at(Duration.ofMinutes(3));
    assertThat(kind("b"))
        .as("idle again, but 15 minutes of the member's demand are not known yet")
        .isEqualTo(IdleState.Kind.RECLAIMED);
  }

  @Test
  void aReturnedNodeIsLentAgainBeforeItsCoolDownEndsWhileTheMembersDemandIsCalm() {
    returnB();
    at(Duration.ofMinutes(17));
    assertThat(kind("b"))
        .as("the member's demand fell since 02:02 (6 cores, 4 now): lent before 02:32")
        .isEqualTo(IdleState.Kind.LENT);
    assertThat(sink.offer("web", "b")).isPresent();
  }

  @Test
  void aReturnedNodeWaitsOutItsCoolDownWhileTheMembersDemandRises() {
    returnB();
    web.putPod(MemberPodInfo.online("more", "a", Resources.of("cpu", "3", "memory", "6Gi")));
    at(Duration.ofMinutes(10));
    at(Duration.ofMinutes(17));
    assertThat(kind("b"))
        .as("7 cores now against 6 at 02:02: the cool-down holds")
        .isEqualTo(IdleState.Kind.RECLAIMED);
    assertThat(sink.offer("web", "b")).isEmpty();
    at(Duration.ofMinutes(33));
    assertThat(kind("b")).as("cool-down over, lent at once").isEqualTo(IdleState.Kind.LENT);
  }

  @Test
  void withTheForecastOffLendingIsReactiveAsBefore() {
    histories.saveMember("web", history(H + 1 - 24, 20_000));
    histories.saveNode("web", "b", history(H - 1, 1000));
    EffectivePolicy.Forecast on = EffectivePolicy.DEFAULTS.forecast();
    start(
        IdleDetectorSettings.defaults()
            .withForecast(
                new EffectivePolicy.Forecast(
                    false,
                    on.weekWeight(),
                    on.dayWeight(),
                    on.lastHourWeight(),
                    on.safetyMargin(),
                    on.leadTime())));
    at(Duration.ofMinutes(31));
    Offer b = sink.offer("web", "b").orElseThrow();
    assertThat(b.usable().cpuMillis()).isEqualTo(8000 - 200);
    assertThat(b.roomUntil()).isEmpty();
  }

  @Test
  void historiesAreSavedAsHoursCompleteAndOnStopAndReadAfterARestart() {
    start();
    web.putPod(MemberPodInfo.online("small", "b", Resources.of("cpu", "1", "memory", "1Gi")));
    at(Duration.ofMinutes(5));
    assertThat(histories.loadNodes("web")).as("hour 02 still in progress").isEmpty();

    at(Duration.ofMinutes(65));
    OnlineHistory b = histories.loadNodes("web").get("b");
    assertThat(b.requests().peak(H)).hasValue(1000);
    assertThat(histories.loadMember("web").orElseThrow().requests().peak(H)).hasValue(5000);

    web.putPod(MemberPodInfo.online("more", "b", Resources.of("cpu", "500m", "memory", "1Gi")));
    at(Duration.ofMinutes(70));
    detector.saveHistories();
    assertThat(histories.loadNodes("web").get("b").requests().peak(H + 1)).hasValue(1500);

    // a new detector (a restart) reads them: b is lent with room kept for its forecast
    web.removePod("default", "small");
    web.removePod("default", "more");
    sink.log.clear();
    start();
    at(Duration.ofMinutes(80));
    assertThat(detector.state("web", "b").orElseThrow().kind()).isEqualTo(IdleState.Kind.LENT);
    // two hours of its own history repeat no day before: no room is kept for its own forecast
    Offer b2 = sink.offer("web", "b").orElseThrow();
    assertThat(b2.usable().cpuMillis()).isEqualTo(8000 - 200);
    assertThat(b2.roomUntil()).isEmpty();
  }
}
