package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.time.AcceleratedClock;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PodControllerConfigTest {
  private final PodControllerConfig config =
      PodControllerConfig.defaults().withGc(Duration.ofMinutes(1), Duration.ofSeconds(30));

  @Test
  void theMinimumAgeIsRealTimeOnAnAcceleratedClock() {
    assertThat(config.gcMinAgeOn(Clock.systemUTC())).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.gcMinAgeOn(AcceleratedClock.startingNow(60)))
        .isEqualTo(Duration.ofMinutes(30));
    assertThat(config.gcMinAgeOn(AcceleratedClock.startingNow(1)))
        .isEqualTo(Duration.ofSeconds(30));
  }
}
