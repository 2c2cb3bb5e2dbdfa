package io.gleaner.idle.forecast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HourlyPeaksTest {
  @Test
  void keepsThePeakOfEachHour() {
    HourlyPeaks p = new HourlyPeaks();
    p.record(100, 5);
    p.record(100, 9);
    p.record(100, 7);
    p.record(101, 2);
    assertThat(p.peak(100)).hasValue(9);
    assertThat(p.peak(101)).hasValue(2);
    assertThat(p.newestHour()).hasValue(101);
  }

  @Test
  void unrecordedHoursAreUnknownNotZero() {
    HourlyPeaks p = new HourlyPeaks();
    assertThat(p.isEmpty()).isTrue();
    assertThat(p.peak(5)).isEmpty();
    p.record(10, 0);
    p.record(13, 4);
    assertThat(p.peak(10)).hasValue(0);
    assertThat(p.peak(11)).isEmpty();
    assertThat(p.peak(12)).isEmpty();
    assertThat(p.peak(14)).as("the future").isEmpty();
    assertThat(p.isEmpty()).isFalse();
  }

  @Test
  void negativeValuesCountAsZero() {
    HourlyPeaks p = new HourlyPeaks();
    p.record(1, -30);
    assertThat(p.peak(1)).hasValue(0);
  }

  @Test
  void theWindowSlidesAndForgetsHoursOlderThanEightDays() {
    HourlyPeaks p = new HourlyPeaks();
    for (long h = 0; h < HourlyPeaks.HOURS; h++) {
      p.record(h, h + 1);
    }
    assertThat(p.peak(0)).hasValue(1);
    p.record(HourlyPeaks.HOURS, 1000);
    assertThat(p.peak(0)).as("slid out").isEmpty();
    assertThat(p.peak(1)).hasValue(2);
    assertThat(p.peak(HourlyPeaks.HOURS)).hasValue(1000);
    p.record(0, 77);
    assertThat(p.peak(0)).as("too old to record").isEmpty();
    assertThat(p.peak(HourlyPeaks.HOURS - HourlyPeaks.HOURS + 1)).hasValue(2);
  }

  @Test
  void aJumpLongerThanTheWindowClearsEverything() {
    HourlyPeaks p = new HourlyPeaks();
    p.record(10, 3);
    p.record(10 + 5 * HourlyPeaks.HOURS, 8);
    assertThat(p.peak(10)).isEmpty();
    for (long h = 10 + 4 * HourlyPeaks.HOURS + 1; h < 10 + 5 * HourlyPeaks.HOURS; h++) {
      assertThat(p.peak(h)).as("hour %d", h).isEmpty();
    }
    assertThat(p.peak(10 + 5 * HourlyPeaks.HOURS)).hasValue(8);
  }

  @Test
  void aSlotReusedAfterAGapStartsUnknown() {
    HourlyPeaks p = new HourlyPeaks();
    p.record(0, 50);
    p.record(HourlyPeaks.HOURS + 3, 1);
    // hour HOURS shares hour 0's slot; it was skipped, so it must not show hour 0's 50
    assertThat(p.peak(HourlyPeaks.HOURS)).isEmpty();
  }

  @Test
  void lateSamplesWithinTheWindowStillCount() {
    HourlyPeaks p = new HourlyPeaks();
    p.record(50, 1);
    p.record(40, 6);
    assertThat(p.peak(40)).hasValue(6);
    assertThat(p.newestHour()).hasValue(50);
  }

  @Test
  void encodesCompactlyAndDecodesToTheSamePeaks() {
    HourlyPeaks p = new HourlyPeaks();
    p.record(1000, 16000);
    p.record(1002, 0);
    p.record(1003, 250);
    String text = p.encode();
    assertThat(text).isEqualTo("1003:16000,,0,250");
    HourlyPeaks back = HourlyPeaks.decode(text);
    for (long h = 900; h <= 1010; h++) {
      assertThat(back.peak(h)).as("hour %d", h).isEqualTo(p.peak(h));
    }
    assertThat(HourlyPeaks.decode("").isEmpty()).isTrue();
    assertThat(new HourlyPeaks().encode()).isEmpty();
  }

  @Test
  void aFullWindowRoundTrips() {
    HourlyPeaks p = new HourlyPeaks();
    for (long h = 0; h < 3 * HourlyPeaks.HOURS; h++) {
      p.record(h, h * 3);
    }
    HourlyPeaks back = HourlyPeaks.decode(p.encode());
    for (long h = 0; h < 3 * HourlyPeaks.HOURS; h++) {
      assertThat(back.peak(h)).isEqualTo(p.peak(h));
    }
  }

  @Test
  void rejectsMalformedText() {
    assertThatThrownBy(() -> HourlyPeaks.decode("12")).hasMessageContaining("no hour");
    assertThatThrownBy(() -> HourlyPeaks.decode("12:a,1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HourlyPeaks.decode("12:-1")).hasMessageContaining("negative");
    assertThatThrownBy(() -> HourlyPeaks.decode("500:" + "1,".repeat(HourlyPeaks.HOURS) + "1"))
        .hasMessageContaining("at most");
  }

  @Test
  void hoursAreUtcClockHours() {
    Instant t = Instant.parse("2026-12-05T08:59:59.999Z");
    long h = HourlyPeaks.hourOf(t);
    assertThat(HourlyPeaks.startOf(h)).isEqualTo(Instant.parse("2026-12-05T08:00:00Z"));
    assertThat(HourlyPeaks.hourOf(t.plusMillis(1))).isEqualTo(h + 1);
    assertThat(HourlyPeaks.hourOf(Instant.parse("1969-12-31T23:30:00Z"))).isEqualTo(-1);
    assertThat(new HourlyPeaks().newestHour()).isEqualTo(OptionalLong.empty());
  }
}
