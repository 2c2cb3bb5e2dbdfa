package io.gleaner.meta.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.meta.time.FakeClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ClockConfigTest {

  @Test
  void twoProcessesWithTheSameKeysShowTheSameSimulatedTime() {
    GleanerConfig c =
        GleanerConfig.fromYaml(
            """
            clock:
              speed: 60
              simulatedStart: 2026-03-02T08:00:00Z
              realStart: 2026-12-05T19:00:00Z
            """);
    FakeClock real = new FakeClock(Instant.parse("2026-12-05T19:00:10Z"));
    Clock first = c.clock().clock(real);
    real.advance(Duration.ofSeconds(5));
    Clock second = c.clock().clock(real); // started 5 s later, same anchor

    assertThat(first.instant()).isEqualTo(Instant.parse("2026-03-02T08:15:00Z"));
    assertThat(second.instant()).isEqualTo(first.instant());
  }

  @Test
  void defaultsAreTheSystemClock() {
    assertThat(GleanerConfig.DEFAULTS.clock().clock()).isEqualTo(Clock.systemUTC());
  }

  @Test
  void badInstantNamesTheKey() {
    assertThatThrownBy(() -> GleanerConfig.fromYaml("clock:\n  realStart: yesterday\n"))
        .hasMessageContaining("clock.realStart: invalid instant \"yesterday\"");
  }
}
