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
  void aLentNodeKeepsRoomForItsOwnForecastPeak() {
    // b ran 1 core of online pods in the hour before (under the idle limit of 1.6 cores)
    histories.saveNode("web", "b", history(H - 1, 1000));
    start();
    at(Duration.ofMinutes(10));

    Offer b = sink.offer("web", "b").orElseThrow();
    // 1 core × (1 + 0.15) kept for the forecast, on top of the 200m node headroom
    assertThat(b.usable().cpuMillis()).isEqualTo(8000 - 200 - 1150);
    assertThat(b.roomUntil()).isEmpty();
    assertThat(sink.offer("web", "c").orElseThrow().usable().cpuMillis()).isEqualTo(8000 - 200);
  }

  @Test
  void theMembersForecastOverflowDrainsTheNodeItReachesWithinTheLeadTime() {
    // yesterday at 03:00 the member's online pods asked for 20 cores: at 03:00 today the forecast
    // is (0.3 × 20 + 0.6 × 4) / 0.9 × 1.15 = 10.73 cores, 2.73 more than node a holds, so b (lent
    // at the same time as c, first by name) is needed back then
    histories.saveMember("web", history(H + 1 - 24, 20_000));
    start();
    at(Duration.ofMinutes(10));

    Offer b = sink.offer("web", "b").orElseThrow();
    assertThat(b.roomUntil()).as("03:00 is 50 min away").hasValue(T0.plus(Duration.ofHours(1)));
    assertThat(b.usable().cpuMillis()).isEqualTo(8000 - 200);
    assertThat(sink.offer("web", "c").orElseThrow().roomUntil()).isEmpty();

    at(Duration.ofMinutes(30));
    assertThat(sink.offer("web", "b")).as("exactly the lead time away").isPresent();
    at(Duration.ofMinutes(31));
    assertThat(sink.offer("web", "b")).isEmpty();
    assertThat(sink.log)
        .filteredOn(l -> l.startsWith("withdraw web/b"))
        .singleElement()
        .asString()
        .contains("draining")
        .contains("2024-01-01T03:00:00Z");
    assertThat(detector.state("web", "b").orElseThrow().kind())
        .as("still lent: its pods run on, it only takes no new ones")
        .isEqualTo(IdleState.Kind.LENT);
    assertThat(sink.offer("web", "c")).isPresent();
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
    // 03:00's forecast is 1 core (02:00's peak) × 1.15; 04:00's is 1.5 cores (03:00's peak so far,
    // saved on stop) × 1.15 = 1.725 cores: room is kept for that
    Offer b2 = sink.offer("web", "b").orElseThrow();
    assertThat(b2.usable().cpuMillis()).isEqualTo(8000 - 200 - 1725);
    assertThat(b2.roomUntil()).isEmpty();
  }
}
