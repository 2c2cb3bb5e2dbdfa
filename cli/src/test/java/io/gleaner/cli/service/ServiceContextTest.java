package io.gleaner.cli.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.registry.MemberRegistryConfig;
import io.gleaner.meta.time.AcceleratedClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ServiceContextTest {
  @Test
  void onAnAcceleratedClockTheRegistryProbesAndResyncsOnRealTime() {
    Clock sixtyTimes = new AcceleratedClock(Clock.systemUTC(), Instant.EPOCH, 60);
    MemberRegistryConfig rc = ServiceContext.registryConfig("gleaner-system", true, sixtyTimes);

    assertThat(rc.probeInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(rc.healthyWithin()).as("10 s of real time").isEqualTo(Duration.ofMinutes(10));
    assertThat(rc.resyncInterval())
        .as("once a real minute, not at every probe")
        .isEqualTo(Duration.ofHours(1));
    assertThat(rc.writeStatus()).isTrue();
  }

  @Test
  void onARealClockTheDefaultsHold() {
    MemberRegistryConfig rc =
        ServiceContext.registryConfig("gleaner-system", false, Clock.systemUTC());

    assertThat(rc)
        .isEqualTo(MemberRegistryConfig.defaults("gleaner-system").withStatusWrites(false));
  }
}
