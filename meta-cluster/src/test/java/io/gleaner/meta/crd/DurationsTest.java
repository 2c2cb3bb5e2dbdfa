package io.gleaner.meta.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({
    "10m, PT10M",
    "1h30m, PT1H30M",
    "90s, PT1M30S",
    "1.5h, PT1H30M",
    "250ms, PT0.25S",
    "1m0.5s, PT1M0.5S",
    "0, PT0S",
    "0s, PT0S",
    "100us, PT0.0001S",
    "7ns, PT0.000000007S",
    "2h45m30s, PT2H45M30S",
    "72h, PT72H"
  })
  void parsesKubernetesDurations(String text, String iso) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
    assertThat(text).matches(Durations.PATTERN);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "10|missing unit",
        "10x|unknown unit \"x\"",
        "m|expected a number at position 0",
        "-5m|must not be negative",
        "1.2.3s|bad number \"1.2.3\"",
        "10 m|unknown unit \" m\"",
      })
  void rejectsMalformedDurationsNamingTheValue(String text, String problem) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + text + "\"")
        .hasMessageContaining(problem);
    assertThat(text).doesNotMatch(Durations.PATTERN);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " "})
  void rejectsEmpty(String text) {
    assertThatThrownBy(() -> Durations.parse(text)).hasMessageContaining("empty");
  }

  @ParameterizedTest
  @CsvSource({
    "PT10M, 10m",
    "PT1H30M, 1h30m",
    "PT1M30S, 1m30s",
    "PT0S, 0s",
    "PT0.25S, 250ms",
    "PT1.5S, 1.5s",
    "PT0.000001S, 1us",
    "PT0.000000007S, 7ns",
    "PT49H, 49h"
  })
  void formatsCompactlyAndRoundTrips(String iso, String text) {
    Duration d = Duration.parse(iso);
    assertThat(Durations.format(d)).isEqualTo(text);
    assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
  }
}
