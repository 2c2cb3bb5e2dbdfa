package io.gleaner.meta.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClocksFactoryTest {

  @Test
  void speedOneIsTheSystemClock() {
    assertThat(Clocks.system(1)).isEqualTo(Clock.systemUTC());
    assertThat(Clocks.toReal(Clock.systemUTC(), Duration.ofMinutes(1)))
        .isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void fasterSpeedsAccelerate() {
    Clock c = Clocks.system(60);
    assertThat(c).isInstanceOf(AcceleratedClock.class);
    assertThat(Clocks.toReal(c, Duration.ofMinutes(10))).isEqualTo(Duration.ofSeconds(10));
    assertThatThrownBy(() -> Clocks.system(0)).hasMessageContaining("clock speed");
  }
}
