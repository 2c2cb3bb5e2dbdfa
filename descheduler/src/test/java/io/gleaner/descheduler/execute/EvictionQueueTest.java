package io.gleaner.descheduler.execute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.gleaner.descheduler.plan.Victim;
import io.gleaner.meta.coord.LeaderLease;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EvictionQueueTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** The limiter's time, driven by the test. */
  private final AtomicLong nanos = new AtomicLong();

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final AtomicInteger sends = new AtomicInteger();

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  private static Victim victim(String name) {
    return new Victim("n1", ReclaimerTest.pod(name));
  }

  private EvictionLimiter limiter(double perSecond, int maxConcurrent, Duration timeout) {
    return new EvictionLimiter(perSecond, maxConcurrent, timeout, nanos::get);
  }

  private EvictionQueue queue(EvictionLimiter limiter, int capacity) {
    return new EvictionQueue("c1", limiter, capacity, timer, () -> true);
  }

  /** The limiter's time moves on; waiting evictions look at once (new limits wake them). */
  private void advance(EvictionLimiter limiter, Duration d) {
    nanos.addAndGet(d.toNanos());
    limiter.limits(limiter.perSecond(), limiter.maxConcurrent());
  }

  private static EvictionResult answer(CompletableFuture<EvictionResult> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  /** A send answered by {@code answer} (completed by the test when it likes). */
  private Supplier<CompletableFuture<EvictionResult>> sending(
      CompletableFuture<EvictionResult> answer) {
    return () -> {
      sends.incrementAndGet();
      return answer;
    };
  }

  private Supplier<CompletableFuture<EvictionResult>> evicted() {
    return sending(CompletableFuture.completedFuture(EvictionResult.EVICTED));
  }

  @Test
  void anEvictionWaitsAtMostTheTimeoutFromWhenItWasQueued() throws Exception {
    // one eviction in flight at a time, and the first is not answered
    EvictionLimiter limiter = limiter(1000, 1, Duration.ofSeconds(2));
    EvictionQueue queue = queue(limiter, 10);
    CompletableFuture<EvictionResult> slow = new CompletableFuture<>();

    CompletableFuture<EvictionResult> a = queue.submit(victim("a"), sending(slow));
    CompletableFuture<EvictionResult> b = queue.submit(victim("b"), evicted());
    CompletableFuture<EvictionResult> c = queue.submit(victim("c"), evicted());
    await().atMost(WAIT).until(() -> sends.get() == 1 && queue.waiting() == 2);

    advance(limiter, Duration.ofSeconds(2));

    // both timed out together: c did not start its own two seconds after b's
    assertThat(answer(b)).isEqualTo(EvictionResult.RATE_LIMITED);
    assertThat(answer(c)).isEqualTo(EvictionResult.RATE_LIMITED);
    assertThat(a).isNotDone();
    slow.complete(EvictionResult.EVICTED);
    assertThat(answer(a)).isEqualTo(EvictionResult.EVICTED);
    assertThat(limiter.inFlight()).as("the permit went back with the answer").isZero();
    assertThat(sends).hasValue(1);
  }

  @Test
  void atMostTheCapacityWaitsAndClosingAnswersThemAll() throws Exception {
    // one token, and the limiter's time stands: what comes after a waits
    EvictionLimiter limiter = limiter(1, 10, Duration.ofHours(1));
    EvictionQueue queue = queue(limiter, 2);
    CompletableFuture<EvictionResult> a = queue.submit(victim("a"), evicted());
    assertThat(answer(a)).isEqualTo(EvictionResult.EVICTED);

    CompletableFuture<EvictionResult> b = queue.submit(victim("b"), evicted());
    CompletableFuture<EvictionResult> c = queue.submit(victim("c"), evicted());
    CompletableFuture<EvictionResult> d = queue.submit(victim("d"), evicted());

    assertThat(d).isCompletedWithValue(EvictionResult.RATE_LIMITED);
    assertThat(queue.waiting()).isEqualTo(2);
    queue.close();
    assertThat(b).isCompletedWithValue(EvictionResult.RATE_LIMITED);
    assertThat(c).isCompletedWithValue(EvictionResult.RATE_LIMITED);
    assertThat(queue.submit(victim("e"), evicted()))
        .isCompletedWithValue(EvictionResult.RATE_LIMITED);
    assertThat(queue.waiting()).isZero();
    assertThat(sends).as("nothing is sent once closed").hasValue(1);
  }

  @Test
  void aVictimQueuedOrUnansweredIsNotSentTwice() throws Exception {
    EvictionLimiter limiter = limiter(1, 10, Duration.ofHours(1));
    EvictionQueue queue = queue(limiter, 10);
    assertThat(answer(queue.submit(victim("x"), evicted()))).isEqualTo(EvictionResult.EVICTED);
    CompletableFuture<EvictionResult> answer = new CompletableFuture<>();

    CompletableFuture<EvictionResult> first = queue.submit(victim("a"), sending(answer));
    assertThat(queue.submit(victim("a"), evicted())).as("still queued").isSameAs(first);
    advance(limiter, Duration.ofSeconds(1));
    await().atMost(WAIT).until(() -> sends.get() == 2);
    assertThat(queue.submit(victim("a"), evicted())).as("sent, not answered").isSameAs(first);

    answer.complete(EvictionResult.EVICTED);
    assertThat(first).isCompletedWithValue(EvictionResult.EVICTED);
    CompletableFuture<EvictionResult> again = queue.submit(victim("a"), evicted());
    assertThat(again).as("answered: a later plan may evict it again").isNotSameAs(first);
    advance(limiter, Duration.ofSeconds(1));
    assertThat(answer(again)).isEqualTo(EvictionResult.EVICTED);
    assertThat(sends).hasValue(3);
  }

  @Test
  void aSendThatThrowsFailsAndGivesThePermitBack() throws Exception {
    EvictionLimiter limiter = limiter(1000, 1, Duration.ofHours(1));
    EvictionQueue queue = queue(limiter, 10);

    CompletableFuture<EvictionResult> a =
        queue.submit(
            victim("a"),
            () -> {
              throw new IllegalStateException("member API server down");
            });
    CompletableFuture<EvictionResult> b =
        queue.submit(
            victim("b"), () -> CompletableFuture.failedFuture(new IllegalStateException("reset")));
    CompletableFuture<EvictionResult> c = queue.submit(victim("c"), evicted());

    assertThat(answer(a)).isEqualTo(EvictionResult.FAILED);
    assertThat(answer(b)).isEqualTo(EvictionResult.FAILED);
    assertThat(answer(c)).isEqualTo(EvictionResult.EVICTED);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void closingAnswersWhatWaitsForAPermit() throws Exception {
    // the limiter's time stands: without close b would wait an hour
    EvictionLimiter limiter = limiter(1, 10, Duration.ofHours(1));
    EvictionQueue queue = queue(limiter, 10);
    CompletableFuture<EvictionResult> a = queue.submit(victim("a"), evicted());
    CompletableFuture<EvictionResult> b = queue.submit(victim("b"), evicted());
    assertThat(answer(a)).isEqualTo(EvictionResult.EVICTED);

    queue.close();

    assertThat(b).isCompletedWithValue(EvictionResult.RATE_LIMITED);
    advance(limiter, Duration.ofSeconds(1));
    assertThat(sends).hasValue(1);
    assertThat(limiter.inFlight()).isZero();
  }

  /**
   * Fencing: b and c wait for the rate while this replica's lease runs (on the test's clock); the
   * lease runs out as their tokens come, so neither is sent: both count as not_leader. Once the
   * lease is confirmed again the queue sends what it is given.
   */
  @Test
  void evictionsWaitingWhenTheLeaseRunsOutAreDroppedUnsent() throws Exception {
    LeaderLease lease = new LeaderLease(nanos::get);
    lease.confirm(lease.token(), lease.now(), Duration.ofSeconds(10));
    EvictionLimiter limiter = limiter(1, 10, Duration.ofHours(1));
    EvictionQueue queue = new EvictionQueue("c1", limiter, 10, timer, lease::valid);
    CompletableFuture<EvictionResult> a = queue.submit(victim("a"), evicted());
    CompletableFuture<EvictionResult> b = queue.submit(victim("b"), evicted());
    CompletableFuture<EvictionResult> c = queue.submit(victim("c"), evicted());
    assertThat(answer(a)).isEqualTo(EvictionResult.EVICTED);
    assertThat(queue.waiting()).isEqualTo(2);

    advance(limiter, Duration.ofSeconds(10)); // tokens come, the lease is over

    assertThat(answer(b)).isEqualTo(EvictionResult.NOT_LEADER);
    assertThat(answer(c)).isEqualTo(EvictionResult.NOT_LEADER);
    assertThat(sends).as("only a, sent while the lease held").hasValue(1);
    assertThat(limiter.inFlight()).as("the permit taken for b went back").isZero();
    assertThat(queue.waiting()).isZero();

    lease.confirm(lease.token(), lease.now(), Duration.ofSeconds(10));
    CompletableFuture<EvictionResult> d = queue.submit(victim("d"), evicted());
    advance(limiter, Duration.ofSeconds(1)); // b took the last token
    assertThat(answer(d)).isEqualTo(EvictionResult.EVICTED);
    assertThat(sends).hasValue(2);
  }

  /**
   * A hundred clusters, each with one eviction sent and one waiting (an hour at most) for a token
   * while the limiter's time stands, on two threads: waiting holds no thread, so every cluster's
   * first eviction goes out, and the second ones once their tokens come.
   */
  @Test
  void aHundredClustersWithThrottledEvictionsShareTwoThreads() throws Exception {
    java.util.concurrent.ScheduledExecutorService two =
        java.util.concurrent.Executors.newScheduledThreadPool(2);
    try {
      List<EvictionLimiter> limiters = new java.util.ArrayList<>();
      List<CompletableFuture<EvictionResult>> first = new java.util.ArrayList<>();
      List<CompletableFuture<EvictionResult>> second = new java.util.ArrayList<>();
      for (int i = 0; i < 100; i++) {
        EvictionLimiter limiter = limiter(1, 10, Duration.ofHours(1));
        EvictionQueue queue = new EvictionQueue("c" + i, limiter, 10, two, () -> true);
        limiters.add(limiter);
        first.add(queue.submit(victim("a" + i), evicted()));
        second.add(queue.submit(victim("b" + i), evicted()));
      }

      await().atMost(WAIT).until(() -> first.stream().allMatch(CompletableFuture::isDone));
      assertThat(sends).hasValue(100);
      assertThat(second).noneMatch(CompletableFuture::isDone);

      nanos.addAndGet(Duration.ofSeconds(1).toNanos());
      limiters.forEach(l -> l.limits(1, 10)); // waiting evictions look again at once
      await().atMost(WAIT).until(() -> second.stream().allMatch(CompletableFuture::isDone));
      assertThat(second)
          .allSatisfy(f -> assertThat(f).isCompletedWithValue(EvictionResult.EVICTED));
      assertThat(sends).hasValue(200);
    } finally {
      two.shutdownNow();
    }
  }
}
