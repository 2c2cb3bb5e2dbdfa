package io.gleaner.descheduler.execute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EvictionLimiterTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  private EvictionLimiter limiter(double perSecond, int maxConcurrent) {
    return new EvictionLimiter(perSecond, maxConcurrent, Duration.ZERO, nanos::get);
  }

  private int acquireAll(EvictionLimiter l) {
    int n = 0;
    while (l.acquire()) {
      n++;
    }
    return n;
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void grantsOneSecondsWorthThenRefillsAtTheRate() {
    EvictionLimiter l = limiter(10, 1000);

    assertThat(acquireAll(l)).isEqualTo(10);
    advance(Duration.ofMillis(300));
    assertThat(acquireAll(l)).isEqualTo(3);
    advance(Duration.ofMinutes(5));
    assertThat(acquireAll(l)).as("at most one second's worth is saved").isEqualTo(10);
  }

  @Test
  void aRateBelowOnePerSecondStillGrantsOneAtATime() {
    EvictionLimiter l = limiter(0.5, 1000);

    assertThat(acquireAll(l)).isEqualTo(1);
    advance(Duration.ofMillis(1999));
    assertThat(l.acquire()).isFalse();
    advance(Duration.ofMillis(1));
    assertThat(l.acquire()).isTrue();
  }

  @Test
  void boundsEvictionsInFlightUntilTheyAreAnswered() {
    EvictionLimiter l = limiter(100, 2);

    assertThat(acquireAll(l)).isEqualTo(2);
    assertThat(l.inFlight()).isEqualTo(2);
    l.release();
    assertThat(l.acquire()).isTrue();
    assertThat(l.acquire()).isFalse();
  }

  @Test
  void newLimitsApplyAtOnce() {
    EvictionLimiter l = limiter(2, 1);
    assertThat(l.acquire()).isTrue();
    assertThat(l.acquire()).as("one in flight").isFalse();

    l.limits(2, 5);
    assertThat(acquireAll(l)).as("the second token, now that 5 may be in flight").isEqualTo(1);

    l.limits(50, 100);
    advance(Duration.ofSeconds(1));
    assertThat(acquireAll(l)).isEqualTo(50);

    l.limits(1, 100);
    advance(Duration.ofSeconds(10));
    assertThat(acquireAll(l)).as("saved tokens are capped by the new rate").isEqualTo(1);
  }

  @Test
  void waitsUpToTheTimeoutForARelease() throws Exception {
    EvictionLimiter l = new EvictionLimiter(1000, 1, Duration.ofSeconds(30));
    assertThat(l.acquire()).isTrue();
    Thread releaser = new Thread(l::release);
    releaser.start();
    assertThat(l.acquire()).isTrue();
    releaser.join();
  }

  @Test
  void rejectsLimitsThatAdmitNothing() {
    assertThatThrownBy(() -> limiter(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter(1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter(1, 1).limits(-1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
