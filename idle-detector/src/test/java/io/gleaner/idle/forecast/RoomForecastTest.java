package io.gleaner.idle.forecast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RoomForecastTest {
  /** 02:20 UTC: the current hour starts at 02:00. */
  private static final Instant NOW = Instant.parse("2026-12-05T02:20:00Z");

  private static final long H = HourlyPeaks.hourOf(NOW);
  private static final LoadForecast LAST_OR_DAY = new LoadForecast(new PeakForecast(0, 1, 1, 0));
  private static final Duration LEAD = Duration.ofMinutes(30);

  private static OnlineHistory flat(long value, long fromHour, long toHour) {
    OnlineHistory h = new OnlineHistory();
    for (long x = fromHour; x <= toHour; x++) {
      h.record(HourlyPeaks.startOf(x), value, OptionalLong.empty());
    }
    return h;
  }

  private static RoomForecast.Node busy(String name) {
    return new RoomForecast.Node(
        name, 16000, 500, 15000, Optional.empty(), true, new OnlineHistory());
  }

  private static RoomForecast.Node lent(String name, String lentAt, OnlineHistory h) {
    return new RoomForecast.Node(name, 16000, 500, 0, Optional.of(Instant.parse(lentAt)), true, h);
  }

  @Test
  void aQuietForecastLeavesEveryLentNodeItsRoom() {
    OnlineHistory member = flat(20000, H - 30, H);
    Map<String, RoomForecast.Verdict> v =
        RoomForecast.plan(
            LAST_OR_DAY,
            NOW,
            LEAD,
            6,
            member,
            List.of(busy("a"), busy("b"), lent("c", "2026-12-05T00:00:00Z", flat(0, H - 30, H))));
    assertThat(v).containsOnlyKeys("c");
    assertThat(v.get("c")).isEqualTo(new RoomForecast.Verdict(0, Optional.empty(), false));
  }

  @Test
  void memberOverflowTakesBackTheMostRecentlyLentNodeFirst() {
    // Not lent: 2 × (16000 − 500) = 31000 for online pods. Yesterday at 04:00 the member needed
    // 40000: 9000 overflow, which the node lent last (d) absorbs alone.
    OnlineHistory m2 = flat(20000, H - 30, H);
    // day term 60000, last hour 20000: mix (60000 + 20000) / 2 = 40000 at 04:00
    m2.record(HourlyPeaks.startOf(H + 2 - 24), 60000, OptionalLong.empty());
    Map<String, RoomForecast.Verdict> v =
        RoomForecast.plan(
            LAST_OR_DAY,
            NOW,
            LEAD,
            6,
            m2,
            List.of(
                busy("a"),
                busy("b"),
                lent("c", "2026-12-05T00:00:00Z", new OnlineHistory()),
                lent("d", "2026-12-05T01:00:00Z", new OnlineHistory())));
    assertThat(v.get("d").roomUntil()).hasValue(Instant.parse("2026-12-05T04:00:00Z"));
    assertThat(v.get("d").draining()).as("04:00 is beyond 02:20 + 30 m").isFalse();
    assertThat(v.get("c").roomUntil()).isEmpty();
  }

  @Test
  void aBreachWithinTheLeadTimeDrains() {
    OnlineHistory m = flat(20000, H - 30, H);
    // at 03:00 the mix is (60000 + 20000) / 2 = 40000: 9000 over what the unlent nodes hold
    m.record(HourlyPeaks.startOf(H + 1 - 24), 60000, OptionalLong.empty());
    RoomForecast.Node d = lent("d", "2026-12-05T01:00:00Z", new OnlineHistory());
    Map<String, RoomForecast.Verdict> v =
        RoomForecast.plan(
            LAST_OR_DAY, NOW, Duration.ofMinutes(45), 6, m, List.of(busy("a"), busy("b"), d));
    assertThat(v.get("d").roomUntil()).hasValue(Instant.parse("2026-12-05T03:00:00Z"));
    assertThat(v.get("d").draining()).isTrue();
    Map<String, RoomForecast.Verdict> shortLead =
        RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, m, List.of(busy("a"), busy("b"), d));
    assertThat(shortLead.get("d").draining()).as("03:00 is 40 min away").isFalse();
  }

  @Test
  void aBreachInTheCurrentHourDrainsNow() {
    OnlineHistory m = flat(20000, H - 30, H);
    m.record(HourlyPeaks.startOf(H - 24), 100000, OptionalLong.empty());
    Map<String, RoomForecast.Verdict> v =
        RoomForecast.plan(
            LAST_OR_DAY,
            NOW,
            LEAD,
            6,
            m,
            List.of(busy("a"), busy("b"), lent("d", "2026-12-05T01:00:00Z", new OnlineHistory())));
    assertThat(v.get("d")).isEqualTo(new RoomForecast.Verdict(0, Optional.of(NOW), true));
  }

  @Test
  void overflowReachesAsManyNodesAsItNeedsInOrder() {
    OnlineHistory m = flat(0, H - 30, H);
    // the day term alone: at 05:00 the overflow is 15500 + 1, one millicore more than z can hold
    m.record(HourlyPeaks.startOf(H + 3 - 24), 31000 + 15500 + 1, OptionalLong.empty());
    LoadForecast dayOnly = new LoadForecast(new PeakForecast(0, 1, 0, 0));
    Map<String, RoomForecast.Verdict> v =
        RoomForecast.plan(
            dayOnly,
            NOW,
            LEAD,
            6,
            m,
            List.of(
                busy("a"),
                busy("b"),
                lent("x", "2026-12-05T00:10:00Z", new OnlineHistory()),
                lent("y", "2026-12-05T00:20:00Z", new OnlineHistory()),
                lent("z", "2026-12-05T00:30:00Z", new OnlineHistory())));
    Instant five = Instant.parse("2026-12-05T05:00:00Z");
    assertThat(v.get("z").roomUntil()).hasValue(five);
    assertThat(v.get("y").roomUntil()).as("1 millicore more than z holds").hasValue(five);
    assertThat(v.get("x").roomUntil()).isEmpty();
  }

  @Test
  void unschedulableNodesHoldNoOnlinePods() {
    OnlineHistory m = flat(20000, H - 30, H);
    RoomForecast.Node cordoned =
        new RoomForecast.Node("b", 16000, 500, 0, Optional.empty(), false, new OnlineHistory());
    Map<String, RoomForecast.Verdict> v =
        RoomForecast.plan(
            LAST_OR_DAY,
            NOW,
            LEAD,
            6,
            m,
            List.of(busy("a"), cordoned, lent("d", "2026-12-05T01:00:00Z", new OnlineHistory())));
    assertThat(v.get("d").draining()).as("20000 > 15500 on the one schedulable node").isTrue();
  }

  @Test
  void aNodeWhoseOwnForecastFillsItIsBreached() {
    OnlineHistory own = flat(0, H - 30, H);
    own.record(HourlyPeaks.startOf(H + 4 - 24), 16000, OptionalLong.empty());
    own.record(HourlyPeaks.startOf(H + 3 - 24), 15500, OptionalLong.empty());
    LoadForecast dayOnly = new LoadForecast(new PeakForecast(0, 1, 0, 0));
    List<RoomForecast.Node> nodes = List.of(busy("a"), lent("d", "2026-12-05T01:00:00Z", own));
    Map<String, RoomForecast.Verdict> v =
        RoomForecast.plan(dayOnly, NOW, LEAD, 6, new OnlineHistory(), nodes);
    // 05:00 asks for exactly what the node holds for online pods (16000 − 500): not a breach;
    // 06:00 asks for more
    assertThat(v.get("d").roomUntil()).hasValue(Instant.parse("2026-12-05T06:00:00Z"));
    assertThat(
            RoomForecast.plan(dayOnly, NOW, LEAD, 3, new OnlineHistory(), nodes)
                .get("d")
                .roomUntil())
        .as("06:00 is beyond 3 h after 02:00")
        .isEmpty();
  }

  @Test
  void aNodeBusyInTheLastHourKeepsRoomForItButIsNotDrained() {
    OnlineHistory own = flat(0, H - 30, H - 2);
    own.record(HourlyPeaks.startOf(H - 1), 4000, OptionalLong.empty());
    RoomForecast.Verdict v =
        RoomForecast.plan(
                LAST_OR_DAY,
                NOW,
                LEAD,
                6,
                new OnlineHistory(),
                List.of(busy("a"), lent("d", "2026-12-05T02:10:00Z", own)))
            .get("d");
    // 02:00 and 03:00 alike: yesterday's 0 and the last hour's 4 cores mix to 2 cores
    assertThat(v).isEqualTo(new RoomForecast.Verdict(2000, Optional.empty(), false));
  }

  @Test
  void peakIsTheLargerOfNowAndTheNodesOwnForecastOverTheNextHour() {
    OnlineHistory own = flat(1000, H - 30, H);
    own.record(HourlyPeaks.startOf(H + 1 - 24), 3000, OptionalLong.empty());
    RoomForecast.Node d =
        new RoomForecast.Node("d", 16000, 500, 1500, Optional.of(NOW.minusSeconds(60)), true, own);
    // 03:00: (3000 + 1000) / 2 = 2000; 02:00: (1000 + 1000) / 2 = 1000; now 1500
    assertThat(RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, new OnlineHistory(), List.of(d)))
        .containsEntry("d", new RoomForecast.Verdict(2000, Optional.empty(), false));
    RoomForecast.Node hot =
        new RoomForecast.Node("d", 16000, 500, 2500, Optional.of(NOW.minusSeconds(60)), true, own);
    assertThat(
            RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, new OnlineHistory(), List.of(hot))
                .get("d")
                .peakMillis())
        .isEqualTo(2500);
  }

  @Test
  void rejectsAnEmptyHorizon() {
    assertThatThrownBy(
            () ->
                RoomForecast.plan(
                    LAST_OR_DAY, NOW, LEAD, 0, new OnlineHistory(), List.of(busy("a"))))
        .hasMessageContaining("horizonHours");
  }
}
