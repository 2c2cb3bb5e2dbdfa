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
    while (l.tryAcquire() == 0) {
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
    assertThat(l.tryAcquire()).isNotZero();
    advance(Duration.ofMillis(1));
    assertThat(l.tryAcquire()).isZero();
  }

  @Test
  void boundsEvictionsInFlightUntilTheyAreAnswered() {
    EvictionLimiter l = limiter(100, 2);

    assertThat(acquireAll(l)).isEqualTo(2);
    assertThat(l.inFlight()).isEqualTo(2);
    l.release();
    assertThat(l.tryAcquire()).isZero();
    assertThat(l.tryAcquire()).isNotZero();
  }

  @Test
  void newLimitsApplyAtOnce() {
    EvictionLimiter l = limiter(2, 1);
    assertThat(l.tryAcquire()).isZero();
    assertThat(l.tryAcquire()).as("one in flight").isNotZero();

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
  void saysHowLongUntilTheRateAdmitsTheNext() {
    EvictionLimiter l = limiter(0.5, 1000);
    assertThat(l.tryAcquire()).isZero();

    assertThat(l.tryAcquire()).isEqualTo(Duration.ofSeconds(2).toNanos());
    advance(Duration.ofMillis(1500));
    assertThat(l.tryAcquire()).isEqualTo(Duration.ofMillis(500).toNanos());
  }

  @Test
  void anAnswerOrNewLimitsTellWhoWaits() {
    EvictionLimiter l = limiter(100, 1);
    java.util.concurrent.atomic.AtomicInteger told =
        new java.util.concurrent.atomic.AtomicInteger();
    l.onChange(told::incrementAndGet);
    assertThat(l.tryAcquire()).isZero();
    assertThat(l.tryAcquire()).as("only an answer frees one").isEqualTo(Long.MAX_VALUE);

    l.release();
    assertThat(told).hasValue(1);
    l.release();
    assertThat(told).as("nothing was in flight").hasValue(1);
    l.limits(100, 2);
    assertThat(told).hasValue(2);
  }

  @Test
  void theDeadlineIsTheTimeoutFromNowOnTheLimitersClock() {
    EvictionLimiter l = new EvictionLimiter(1, 1, Duration.ofSeconds(30), nanos::get);
    assertThat(l.deadline() - l.now()).isEqualTo(Duration.ofSeconds(30).toNanos());
    assertThat(l.now()).isEqualTo(nanos.get());
  }

  @Test
  void rejectsLimitsThatAdmitNothing() {
    assertThatThrownBy(() -> limiter(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter(1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter(1, 1).limits(-1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
