package io.gleaner.idle.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void doublesUpToTheCapWithJitterInTheUpperHalf() {
    Backoff top = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), () -> 0.999999);
    assertThat(top.next()).isEqualTo(Duration.ofMillis(199));
    assertThat(top.next()).isEqualTo(Duration.ofMillis(399));
    assertThat(top.next()).isEqualTo(Duration.ofMillis(799));
    for (int i = 0; i < 30; i++) {
      top.next();
    }
    assertThat(top.next()).isLessThanOrEqualTo(Duration.ofSeconds(5));
    Backoff bottom = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), () -> 0);
    assertThat(bottom.next()).isEqualTo(Duration.ofMillis(100));
    assertThat(bottom.next()).isEqualTo(Duration.ofMillis(200));
    bottom.reset();
    assertThat(bottom.next()).isEqualTo(Duration.ofMillis(100));
    assertThat(bottom.attempts()).isEqualTo(1);
  }

  @Test
  void badBoundsAreRejected() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), () -> 0))
        .hasMessageContaining("base");
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), () -> 0))
        .hasMessageContaining("max");
  }
}
