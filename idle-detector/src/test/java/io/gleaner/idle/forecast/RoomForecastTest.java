package io.gleaner.idle.forecast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
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
    // 03:00 to 04:00 the demand moves from 20000 to 40000: past the unlent 31000 at 04:33
    assertThat(v.get("d").roomUntil()).hasValue(Instant.parse("2026-12-05T04:33:00Z"));
    assertThat(v.get("d").draining()).as("04:33 is beyond 02:20 + 30 m").isFalse();
    assertThat(v.get("c").roomUntil()).isEmpty();
  }

  @Test
  void aBreachWithinTheLeadTimeDrains() {
    OnlineHistory m = flat(20000, H - 30, H);
    // at 03:00 the mix is (60000 + 20000) / 2 = 40000: 9000 over what the unlent nodes hold
    m.record(HourlyPeaks.startOf(H + 1 - 24), 60000, OptionalLong.empty());
    // from 20000 at 03:00 to 40000 at 04:00: past 31000 at 03:33
    RoomForecast.Node d = lent("d", "2026-12-05T01:00:00Z", new OnlineHistory());
    Map<String, RoomForecast.Verdict> v =
        RoomForecast.plan(
            LAST_OR_DAY, NOW, Duration.ofMinutes(75), 6, m, List.of(busy("a"), busy("b"), d));
    assertThat(v.get("d").roomUntil()).hasValue(Instant.parse("2026-12-05T03:33:00Z"));
    assertThat(v.get("d").draining()).isTrue();
    Map<String, RoomForecast.Verdict> shortLead =
        RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, m, List.of(busy("a"), busy("b"), d));
    assertThat(shortLead.get("d").draining()).as("03:33 is 73 min away").isFalse();
    Map<String, RoomForecast.Verdict> exact =
        RoomForecast.plan(
            LAST_OR_DAY, NOW, Duration.ofMinutes(73), 6, m, List.of(busy("a"), busy("b"), d));
    assertThat(exact.get("d").draining()).as("exactly the lead time away").isFalse();
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
    // this hour's forecast is (100000 + 20000) / 2 = 60000; the demand moves from the 30000 of now
    // to it by 03:00 (2400 s) and passes the unlent 31000 after 1/30 of that, 80 s from now
    assertThat(v.get("d"))
        .isEqualTo(new RoomForecast.Verdict(0, Optional.of(NOW.plusSeconds(80)), true));
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
    // 05:00 to 06:00 the demand moves from 0 to 46501: past the unlent 31000 at 2/3 of the hour
    // (2399.9 s), past what z adds (15500) 0.08 s before 06:00
    Instant five = Instant.parse("2026-12-05T05:00:00Z");
    assertThat(v.get("z").roomUntil()).hasValue(five.plusSeconds(2399));
    assertThat(v.get("y").roomUntil())
        .as("1 millicore more than z holds")
        .hasValue(five.plusSeconds(3599));
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
  void aNodeWhoseOwnHistoryJumpsKeepsNoRoomForIt() {
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
    // the last hour's 4 cores against yesterday's 0: not stable, so the node's own forecast (2
    // cores)
    // is not kept: online pods the scheduler moves are the member's forecast's business
    assertThat(v).isEqualTo(new RoomForecast.Verdict(0, Optional.empty(), false));
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
  void gleanerPodsOnNodesNotLentHoldTheirRoom() {
    OnlineHistory m = flat(20000, H - 30, H);
    RoomForecast.Node returned =
        new RoomForecast.Node(
            "b", 16000, 500, 4000, 10000, Optional.empty(), true, new OnlineHistory());
    RoomForecast.Node d = lent("d", "2026-12-05T01:00:00Z", new OnlineHistory());
    // unlent: 15500 (a, busy) + 15500 − 4000 (b, a returned node still running 4000 of Gleaner's
    // pods) = 27000 hold the forecast 20000: d keeps its room
    assertThat(RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, m, List.of(busy("a"), returned, d)))
        .containsEntry("d", new RoomForecast.Verdict(0, Optional.empty(), false));
    RoomForecast.Node full =
        new RoomForecast.Node(
            "b", 16000, 500, 12000, 3000, Optional.empty(), true, new OnlineHistory());
    // with 12000 of Gleaner's pods on b: 15500 + 3500 = 19000 < 20000, d is reached in this hour
    assertThat(
            RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, m, List.of(busy("a"), full, d))
                .get("d")
                .draining())
        .isTrue();
  }

  @Test
  void onlinePodsOnLentNodesHoldTheirRoomThere() {
    // the member's 20000 now: 15000 on a (busy, 15500 for online pods) and 5000 on lent d; d's
    // 5000 are where they are, so 15500 + 5000 hold the forecast 20000 and the overflow reaches no
    // lent node's room
    RoomForecast.Node d =
        new RoomForecast.Node(
            "d",
            16000,
            500,
            5000,
            Optional.of(Instant.parse("2026-12-05T01:00:00Z")),
            true,
            new OnlineHistory());
    assertThat(
            RoomForecast.plan(
                    LAST_OR_DAY, NOW, LEAD, 6, flat(20000, H - 30, H), List.of(busy("a"), d))
                .get("d"))
        .isEqualTo(new RoomForecast.Verdict(5000, Optional.empty(), false));
    // the forecast 24000: from 20000 now to 24000 at 03:00 it passes 20500 an eighth of the way, at
    // 02:25, in e (lent last, empty); d keeps its 15500 - 5000 beyond its own pods (36000 > 24000)
    RoomForecast.Node e = lent("e", "2026-12-05T02:00:00Z", new OnlineHistory());
    Map<String, RoomForecast.Verdict> v =
        RoomForecast.plan(
            LAST_OR_DAY, NOW, LEAD, 6, flat(24000, H - 30, H), List.of(busy("a"), d, e));
    assertThat(v.get("e"))
        .isEqualTo(
            new RoomForecast.Verdict(0, Optional.of(Instant.parse("2026-12-05T02:25:00Z")), true));
    assertThat(v.get("d")).isEqualTo(new RoomForecast.Verdict(5000, Optional.empty(), false));
    // without a history of the member there is no overflow to reach them
    assertThat(
            RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, new OnlineHistory(), List.of(busy("a"), d))
                .get("d"))
        .isEqualTo(new RoomForecast.Verdict(5000, Optional.empty(), false));
  }

  @Test
  void crossingIsWhereTheStraightLinePassesTheThreshold() {
    Instant start = Instant.parse("2026-12-05T03:00:00Z");
    Instant end = start.plusSeconds(3600);
    assertThat(RoomForecast.crossing(0, 100, 25, start, end)).isEqualTo(start.plusSeconds(900));
    assertThat(RoomForecast.crossing(0, 100, 99.99, start, end))
        .as("rounded down to the second")
        .isEqualTo(start.plusSeconds(3599));
    assertThat(RoomForecast.crossing(30, 100, 25, start, end))
        .as("already over at the start")
        .isEqualTo(start);
    assertThat(RoomForecast.crossing(25, 100, 25, start, end))
        .as("exactly at the threshold is not over it: the first moment after")
        .isEqualTo(start);
    assertThat(RoomForecast.crossing(120, 100, 110, start, end))
        .as("falling: over from the start")
        .isEqualTo(start);
  }

  private static RoomForecast.Node withHistory(OnlineHistory h) {
    return new RoomForecast.Node("n", 16000, 500, 0, Optional.empty(), true, h);
  }

  @Test
  void aHistoryIsStableWhenItsLastThreeHoursRepeatTheDayBefore() {
    // what the node holds for online pods: 15500; tolerance 10 %: 1550
    OnlineHistory h = new OnlineHistory();
    for (long x = H - 3; x < H; x++) {
      h.record(HourlyPeaks.startOf(x), 8000, OptionalLong.empty());
      h.record(HourlyPeaks.startOf(x - 24), 8000 - 1550, OptionalLong.empty());
    }
    assertThat(RoomForecast.stable(withHistory(h), H)).isTrue();
    h.record(HourlyPeaks.startOf(H - 1), 8001, OptionalLong.empty());
    assertThat(RoomForecast.stable(withHistory(h), H)).as("1551 apart").isFalse();
  }

  @Test
  void aHistoryWithAMissingHourIsNotStable() {
    for (long missing = H - 3; missing < H; missing++) {
      OnlineHistory noRecent = new OnlineHistory();
      OnlineHistory noDayBefore = new OnlineHistory();
      for (long x = H - 3; x < H; x++) {
        noDayBefore.record(HourlyPeaks.startOf(x), 1000, OptionalLong.empty());
        noRecent.record(HourlyPeaks.startOf(x - 24), 1000, OptionalLong.empty());
        if (x != missing) {
          noRecent.record(HourlyPeaks.startOf(x), 1000, OptionalLong.empty());
          noDayBefore.record(HourlyPeaks.startOf(x - 24), 1000, OptionalLong.empty());
        }
      }
      assertThat(RoomForecast.stable(withHistory(noRecent), H))
          .as("hour %d missing", missing)
          .isFalse();
      assertThat(RoomForecast.stable(withHistory(noDayBefore), H))
          .as("the day before hour %d missing", missing)
          .isFalse();
    }
    assertThat(RoomForecast.stable(withHistory(new OnlineHistory()), H)).isFalse();
  }

  @Test
  void aStableNodeIsBreachedByItsOwnForecastAndAnUnstableOneIsNot() {
    // 05:00 yesterday the node's own pods asked for 16000, more than the 15500 it holds
    OnlineHistory stable = flat(0, H - 30, H);
    stable.record(HourlyPeaks.startOf(H + 3 - 24), 16000, OptionalLong.empty());
    OnlineHistory jumpy = flat(0, H - 30, H);
    jumpy.record(HourlyPeaks.startOf(H + 3 - 24), 16000, OptionalLong.empty());
    jumpy.record(HourlyPeaks.startOf(H - 2), 8000, OptionalLong.empty());
    LoadForecast dayOnly = new LoadForecast(new PeakForecast(0, 1, 0, 0));
    Map<String, RoomForecast.Verdict> v =
        RoomForecast.plan(
            dayOnly,
            NOW,
            LEAD,
            6,
            new OnlineHistory(),
            List.of(
                busy("a"),
                lent("s", "2026-12-05T01:00:00Z", stable),
                lent("j", "2026-12-05T01:00:00Z", jumpy)));
    assertThat(v.get("s").roomUntil()).hasValue(Instant.parse("2026-12-05T05:00:00Z"));
    assertThat(v.get("j").roomUntil()).isEmpty();
  }

  @Test
  void idleNodesAreLentAtOnceWhenTheMemberHasAForecastEvenThoseItNeedsSoon() {
    // the member's forecast reaches both nodes within the hour: lent at once all the same, the
    // plan then drains them
    OnlineHistory m = flat(20000, H - 30, H);
    m.record(HourlyPeaks.startOf(H - 24), 60000, OptionalLong.empty());
    assertThat(RoomForecast.lendableAtOnce(LAST_OR_DAY, NOW, m, Set.of("i1", "i2")))
        .containsExactlyInAnyOrder("i1", "i2");
    assertThat(RoomForecast.lendableAtOnce(LAST_OR_DAY, NOW, m, Set.of())).isEmpty();
    RoomForecast.Node i1 =
        new RoomForecast.Node("i1", 16000, 500, 0, Optional.of(NOW), true, new OnlineHistory());
    assertThat(
            RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, m, List.of(busy("a"), busy("b"), i1))
                .get("i1")
                .draining())
        .isTrue();
  }

  @Test
  void withoutAForecastOfTheMemberNoNodeIsLentAtOnce() {
    OnlineHistory onlyLongAgo = new OnlineHistory();
    onlyLongAgo.record(HourlyPeaks.startOf(H - 30), 1000, OptionalLong.empty());
    for (OnlineHistory m : List.of(new OnlineHistory(), onlyLongAgo)) {
      assertThat(RoomForecast.lendableAtOnce(LAST_OR_DAY, NOW, m, Set.of("i"))).isEmpty();
    }
  }

  private static Instant minutesBefore(int m) {
    return NOW.minusSeconds(60L * m);
  }

  @Test
  void aRiseWithinTheHourIsCarriedOnOverTheLeadTime() {
    // the hourly forecast is flat at 30000, under the 31000 the unlent nodes hold
    OnlineHistory m = flat(30000, H - 30, H);
    m.record(minutesBefore(10), 26000, OptionalLong.empty());
    m.record(NOW, 30000, OptionalLong.empty());
    List<RoomForecast.Node> nodes =
        List.of(
            busy("a"),
            busy("b"),
            lent("c", "2026-12-05T00:00:00Z", new OnlineHistory()),
            lent("d", "2026-12-05T01:00:00Z", new OnlineHistory()));
    Map<String, RoomForecast.Verdict> v = RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, m, nodes);
    // +4000 in 10 min: +12000 by 02:50, from the 30000 of now; past 31000 after 1/12 of 30 min
    assertThat(v.get("d"))
        .isEqualTo(new RoomForecast.Verdict(0, Optional.of(NOW.plusSeconds(150)), true));
    // c's room starts at 31000 + 15500, beyond the 42000 the line reaches
    assertThat(v.get("c")).isEqualTo(new RoomForecast.Verdict(0, Optional.empty(), false));
  }

  @Test
  void aFallingOrUnknownTrendChangesNothing() {
    List<RoomForecast.Node> nodes =
        List.of(busy("a"), busy("b"), lent("d", "2026-12-05T01:00:00Z", new OnlineHistory()));
    RoomForecast.Verdict quiet = new RoomForecast.Verdict(0, Optional.empty(), false);
    OnlineHistory falling = flat(30000, H - 30, H);
    falling.record(minutesBefore(10), 30000, OptionalLong.empty());
    falling.record(NOW, 29000, OptionalLong.empty());
    assertThat(RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, falling, nodes).get("d"))
        .isEqualTo(quiet);
    OnlineHistory young = flat(30000, H - 30, H - 1);
    young.record(minutesBefore(5), 20000, OptionalLong.empty());
    young.record(NOW, 30000, OptionalLong.empty());
    assertThat(RoomForecast.trend(young, NOW)).as("5 minutes of samples").isZero();
    assertThat(RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, young, nodes).get("d"))
        .isEqualTo(quiet);
  }

  @Test
  void theEarlierOfTheHourlyForecastAndTheTrendWins() {
    OnlineHistory m = flat(20000, H - 30, H);
    m.record(HourlyPeaks.startOf(H - 24), 100000, OptionalLong.empty());
    m.record(minutesBefore(10), 29500, OptionalLong.empty());
    m.record(NOW, 30000, OptionalLong.empty());
    List<RoomForecast.Node> nodes =
        List.of(busy("a"), busy("b"), lent("d", "2026-12-05T01:00:00Z", new OnlineHistory()));
    // hourly: 80 s from now (aBreachInTheCurrentHourDrainsNow); trend: +1500 by 02:50, past 31000
    // after 2/3 of 30 min
    assertThat(RoomForecast.plan(LAST_OR_DAY, NOW, LEAD, 6, m, nodes).get("d").roomUntil())
        .hasValue(NOW.plusSeconds(80));
    OnlineHistory steep = flat(20000, H - 30, H);
    steep.record(HourlyPeaks.startOf(H + 1 - 24), 60000, OptionalLong.empty());
    steep.record(minutesBefore(10), 26000, OptionalLong.empty());
    steep.record(NOW, 30000, OptionalLong.empty());
    // hourly: from 20000 at 03:00 to (60000 + 30000) / 2 at 04:00, past 31000 at 03:26:24; the
    // trend's 02:22:30 is earlier
    assertThat(
            RoomForecast.plan(LAST_OR_DAY, NOW, Duration.ofMinutes(75), 6, steep, nodes)
                .get("d")
                .roomUntil())
        .hasValue(Instant.parse("2026-12-05T02:22:30Z"));
  }

  @Test
  void returnedNodesAreLentAgainWhileTheMembersDemandIsCalm() {
    OnlineHistory flatNow = flat(20000, H - 30, H);
    flatNow.record(minutesBefore(15), 20000, OptionalLong.empty());
    flatNow.record(NOW, 20000, OptionalLong.empty());
    assertThat(RoomForecast.lendableInCoolDown(LAST_OR_DAY, NOW, flatNow, Set.of("r1", "r2")))
        .containsExactlyInAnyOrder("r1", "r2");
    OnlineHistory falling = flat(20000, H - 30, H);
    falling.record(minutesBefore(16), 24000, OptionalLong.empty());
    falling.record(minutesBefore(3), 26000, OptionalLong.empty());
    falling.record(NOW, 18000, OptionalLong.empty());
    assertThat(RoomForecast.lendableInCoolDown(LAST_OR_DAY, NOW, falling, Set.of("r")))
        .as("down from the 24000 of 02:04, whatever came between")
        .containsExactly("r");
    assertThat(RoomForecast.lendableInCoolDown(LAST_OR_DAY, NOW, flatNow, Set.of())).isEmpty();
  }

  @Test
  void returnedNodesWaitOutTheirCoolDownWhileTheDemandRisesOrCannotBeTold() {
    OnlineHistory rising = flat(20000, H - 30, H);
    rising.record(minutesBefore(15), 20000, OptionalLong.empty());
    rising.record(NOW, 20001, OptionalLong.empty());
    assertThat(RoomForecast.lendableInCoolDown(LAST_OR_DAY, NOW, rising, Set.of("r"))).isEmpty();
    OnlineHistory young = flat(20000, H - 30, H - 1);
    young.record(minutesBefore(14), 20000, OptionalLong.empty());
    young.record(NOW, 20000, OptionalLong.empty());
    assertThat(RoomForecast.lendableInCoolDown(LAST_OR_DAY, NOW, young, Set.of("r")))
        .as("14 minutes of samples")
        .isEmpty();
    OnlineHistory noForecast = new OnlineHistory();
    assertThat(RoomForecast.lendableInCoolDown(LAST_OR_DAY, NOW, noForecast, Set.of("r")))
        .isEmpty();
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
