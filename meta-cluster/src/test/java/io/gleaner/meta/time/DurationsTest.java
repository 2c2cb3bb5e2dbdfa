package io.gleaner.meta.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({
    "1h30m, PT1H30M",
    "10m, PT10M",
    "90s, PT1M30S",
    "250ms, PT0.25S",
    "1.5h, PT1H30M",
    "0, PT0S",
    "0s, PT0S",
    "2d, PT48H",
    "1us, PT0.000001S",
    "1µs, PT0.000001S",
    "7ns, PT0.000000007S",
    "1h0m5s, PT1H5S",
    "-1m, PT-1M",
    "PT10M, PT10M",
    "' 5s ', PT5S",
    ".5s, PT0.5S",
  })
  void parses(String text, String iso) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest
  @CsvSource({
    "PT1H30M, 1h30m",
    "PT1M30S, 1m30s",
    "PT0.25S, 250ms",
    "PT0S, 0s",
    "PT1.5S, 1s500ms",
    "PT48H, 48h",
    "PT-1M, -1m",
    "PT0.000001001S, 1us1ns",
  })
  void formats(String iso, String text) {
    assertThat(Durations.format(Duration.parse(iso))).isEqualTo(text);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1h30m", "250ms", "1h0m0.000000001s", "36h", "1.25s"})
  void formatRoundTrips(String text) {
    Duration d = Durations.parse(text);
    assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "10        | has no unit",
        "10x       | unknown unit \"x\"",
        "abc       | expected a number at position 0",
        "''        | it is empty",
        "1..5s     | expected a number",
        "-         | it has no number",
        "PTfoo     | not valid ISO-8601",
        "1h 30m    | unknown unit \"h \"",
      })
  void rejectsWithMessageQuotingInput(String text, String why) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid duration \"" + text + "\"")
        .hasMessageContaining(why);
  }

  @org.junit.jupiter.api.Test
  void rejectsNull() {
    assertThatThrownBy(() -> Durations.parse(null)).hasMessageContaining("null");
  }
}
