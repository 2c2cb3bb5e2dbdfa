package io.gleaner.idle.forecast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class OnlineHistoryTest {
  private static final Instant T = Instant.parse("2026-12-05T08:10:00Z");

  @Test
  void keepsRequestsAndMeasuredUsageApart() {
    OnlineHistory h = new OnlineHistory();
    long hour = HourlyPeaks.hourOf(T);
    h.record(T, 4000, OptionalLong.of(1500));
    h.record(T.plusSeconds(60), 1000, OptionalLong.of(6000));
    h.record(T.plusSeconds(120), 2000, OptionalLong.empty());
    assertThat(h.requests().peak(hour)).hasValue(4000);
    assertThat(h.usage().peak(hour)).hasValue(6000);
    assertThat(h.isEmpty()).isFalse();
    assertThat(new OnlineHistory().isEmpty()).isTrue();
  }

  @Test
  void usageIsRecordedOnlyWhenMeasured() {
    OnlineHistory h = new OnlineHistory();
    h.record(T, 2000, OptionalLong.empty());
    assertThat(h.requests().peak(HourlyPeaks.hourOf(T))).hasValue(2000);
    assertThat(h.usage().isEmpty()).isTrue();
  }

  @Test
  void keepsTheRecentRequestsSampleBySampleInMemoryOnly() {
    OnlineHistory h = new OnlineHistory();
    h.record(T, 2000, OptionalLong.of(500));
    h.record(T.plusSeconds(600), 5000, OptionalLong.empty());
    assertThat(h.recentRequests().change(T.plusSeconds(600), java.time.Duration.ofMinutes(10)))
        .hasValue(3000);
    OnlineHistory back = OnlineHistory.decode(h.encode());
    assertThat(back.recentRequests().size()).as("not encoded").isZero();
    assertThat(back.requests().peak(HourlyPeaks.hourOf(T)))
        .isEqualTo(h.requests().peak(HourlyPeaks.hourOf(T)));
  }

  @Test
  void roundTripsThroughItsCompactForm() {
    OnlineHistory h = new OnlineHistory();
    for (int i = 0; i < 300; i++) {
      h.record(
          T.plusSeconds(3600L * i),
          100L * i,
          i % 3 == 0 ? OptionalLong.empty() : OptionalLong.of(7L * i));
    }
    byte[] data = h.encode();
    assertThat(data.length).as("small enough for one znode per node").isLessThan(4096);
    OnlineHistory back = OnlineHistory.decode(data);
    long last = HourlyPeaks.hourOf(T) + 299;
    for (long hour = last - 200; hour <= last; hour++) {
      assertThat(back.requests().peak(hour)).as("hour %d", hour).isEqualTo(h.requests().peak(hour));
      assertThat(back.usage().peak(hour)).isEqualTo(h.usage().peak(hour));
    }
  }

  @Test
  void rejectsForeignData() {
    assertThatThrownBy(() -> OnlineHistory.decode("{\"x\":1}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OnlineHistory.decode("requests=\n".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("required");
  }
}
