package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.time.FakeClock;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SandboxOptionsTest {

  @Test
  void theSimulatedDayStartsOnTheCurrentDateAtTheTracesMorning() {
    FakeClock now = new FakeClock(Instant.parse("2026-12-05T19:45:12Z"));

    assertThat(SandboxOptions.defaultStart(now)).isEqualTo(Instant.parse("2026-12-05T08:00:00Z"));
  }
}
