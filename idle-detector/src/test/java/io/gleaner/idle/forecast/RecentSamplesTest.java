package io.gleaner.idle.forecast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RecentSamplesTest {
  private static final Instant T0 = Instant.parse("2026-12-05T02:00:00Z");
  private static final Duration TEN = Duration.ofMinutes(10);

  private static Instant min(int m) {
    return T0.plusSeconds(60L * m);
  }

  @Test
  void changeIsTheNewestSampleLessTheNewestOneAtOrBeforeTheWindowsStart() {
    RecentSamples s = new RecentSamples(Duration.ofMinutes(30));
    s.record(min(0), 1000);
    s.record(min(5), 3000);
    s.record(min(12), 4000);
    s.record(min(15), 2500);
    // at 02:15 the window starts at 02:05: 2500 − 3000
    assertThat(s.change(min(15), TEN)).hasValue(-500);
    // at 02:16 it starts at 02:06: still the 02:05 sample
    assertThat(s.change(min(16), TEN)).hasValue(-500);
    // at 02:12 it starts at 02:02: the 02:00 sample, against the 02:12 one
    assertThat(s.change(min(12), TEN)).hasValue(3000);
    // at 02:13 the newest sample at or before now is still the 02:12 one
    assertThat(s.change(min(13), TEN)).hasValue(3000);
  }

  @Test
  void aWindowTheSamplesDoNotCoverHasNoChange() {
    RecentSamples s = new RecentSamples(Duration.ofMinutes(30));
    assertThat(s.change(min(0), TEN)).isEmpty();
    s.record(min(0), 1000);
    s.record(min(5), 2000);
    assertThat(s.change(min(9), TEN)).as("nothing at or before 01:59").isEmpty();
    assertThat(s.change(min(10), TEN)).as("exactly the window").hasValue(1000);
  }

  @Test
  void samplesOlderThanTheSpanBeforeTheNewestAreDropped() {
    RecentSamples s = new RecentSamples(Duration.ofMinutes(30));
    for (int m = 0; m <= 60; m++) {
      s.record(min(m), m);
    }
    assertThat(s.size()).isEqualTo(31);
    assertThat(s.change(min(60), Duration.ofMinutes(30))).hasValue(30);
    assertThat(s.change(min(60), Duration.ofMinutes(31))).as("02:29 was dropped").isEmpty();
  }

  @Test
  void oneSampleASecondTheLastRecordedInItWins() {
    RecentSamples s = new RecentSamples(Duration.ofMinutes(30));
    s.record(min(0), 1000);
    s.record(min(0).plusMillis(300), 5000);
    s.record(min(0).plusMillis(900), 2000);
    assertThat(s.size()).isEqualTo(1);
    s.record(min(10).plusMillis(900), 2500);
    // the sample kept is the last one's, at 02:00:00.9
    assertThat(s.change(min(10), TEN)).isEmpty();
    assertThat(s.change(min(10).plusMillis(900), TEN)).hasValue(500);
  }

  @Test
  void aSampleOlderThanTheNewestIsIgnored() {
    RecentSamples s = new RecentSamples(Duration.ofMinutes(30));
    s.record(min(10), 2000);
    s.record(min(0), 9000);
    assertThat(s.size()).isEqualTo(1);
    assertThat(s.change(min(10), TEN)).isEmpty();
  }

  @Test
  void samplesAfterNowAreNotRead() {
    RecentSamples s = new RecentSamples(Duration.ofMinutes(30));
    s.record(min(0), 1000);
    s.record(min(10), 2000);
    s.record(min(20), 7000);
    assertThat(s.change(min(10), TEN)).hasValue(1000);
  }

  @Test
  void rejectsAnEmptyOrNegativeSpan() {
    assertThatThrownBy(() -> new RecentSamples(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RecentSamples(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
