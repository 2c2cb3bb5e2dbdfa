package io.gleaner.descheduler.execute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.gleaner.descheduler.plan.Victim;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EvictionQueueTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** The limiter's time, driven by the test. */
  private final AtomicLong nanos = new AtomicLong();

  /** Drains started, run by the test (or never). */
  private final List<Runnable> started = new CopyOnWriteArrayList<>();

  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final AtomicInteger sends = new AtomicInteger();

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private static Victim victim(String name) {
    return new Victim("n1", ReclaimerTest.pod(name));
  }

  private EvictionLimiter limiter(double perSecond, int maxConcurrent, Duration timeout) {
    return new EvictionLimiter(perSecond, maxConcurrent, timeout, nanos::get);
  }

  /** A send answered by {@code answer} (completed by the test when it likes). */
  private java.util.function.Supplier<CompletableFuture<EvictionResult>> sending(
      CompletableFuture<EvictionResult> answer) {
    return () -> {
      sends.incrementAndGet();
      return answer;
    };
  }

  private java.util.function.Supplier<CompletableFuture<EvictionResult>> evicted() {
    return sending(CompletableFuture.completedFuture(EvictionResult.EVICTED));
  }

  @Test
  void anEvictionWaitsAtMostTheTimeoutFromWhenItWasQueued() throws Exception {
    // one eviction in flight at a time, and the first is not answered
    EvictionLimiter limiter = limiter(1000, 1, Duration.ofSeconds(2));
    EvictionQueue queue = new EvictionQueue("c1", limiter, 10, pool);
    CompletableFuture<EvictionResult> slow = new CompletableFuture<>();

    CompletableFuture<EvictionResult> a = queue.submit(victim("a"), sending(slow));
    CompletableFuture<EvictionResult> b = queue.submit(victim("b"), evicted());
    CompletableFuture<EvictionResult> c = queue.submit(victim("c"), evicted());
    await().atMost(WAIT).until(() -> sends.get() == 1 && queue.waiting() == 1);

    nanos.addAndGet(Duration.ofSeconds(2).toNanos());
    limiter.limits(1000, 1); // the worker looks at the limits again at once

    // both timed out together: c did not start its own two seconds after b's
    assertThat(b.get(30, java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(EvictionResult.RATE_LIMITED);
    assertThat(c.get(30, java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(EvictionResult.RATE_LIMITED);
    assertThat(a).isNotDone();
    slow.complete(EvictionResult.EVICTED);
    assertThat(a.get()).isEqualTo(EvictionResult.EVICTED);
    assertThat(limiter.inFlight()).as("the permit went back with the answer").isZero();
    assertThat(sends).hasValue(1);
  }

  @Test
  void atMostTheCapacityWaitsAndClosingAnswersThemAll() {
    EvictionQueue queue =
        new EvictionQueue("c1", limiter(1000, 10, Duration.ZERO), 2, started::add);

    CompletableFuture<EvictionResult> a = queue.submit(victim("a"), evicted());
    CompletableFuture<EvictionResult> b = queue.submit(victim("b"), evicted());
    CompletableFuture<EvictionResult> c = queue.submit(victim("c"), evicted());

    assertThat(c).isCompletedWithValue(EvictionResult.RATE_LIMITED);
    assertThat(started).as("one worker for the cluster").hasSize(1);
    assertThat(queue.waiting()).isEqualTo(2);
    queue.close();
    assertThat(a).isCompletedWithValue(EvictionResult.RATE_LIMITED);
    assertThat(b).isCompletedWithValue(EvictionResult.RATE_LIMITED);
    assertThat(queue.submit(victim("d"), evicted()))
        .isCompletedWithValue(EvictionResult.RATE_LIMITED);
    started.get(0).run();
    assertThat(sends).as("nothing is sent once closed").hasValue(0);
  }

  @Test
  void aVictimQueuedOrUnansweredIsNotSentTwice() {
    EvictionLimiter limiter = limiter(1000, 10, Duration.ZERO);
    EvictionQueue queue = new EvictionQueue("c1", limiter, 10, started::add);
    CompletableFuture<EvictionResult> answer = new CompletableFuture<>();

    CompletableFuture<EvictionResult> first = queue.submit(victim("a"), sending(answer));
    assertThat(queue.submit(victim("a"), evicted())).as("still queued").isSameAs(first);
    started.get(0).run();
    assertThat(queue.submit(victim("a"), evicted())).as("sent, not answered").isSameAs(first);
    assertThat(sends).hasValue(1);

    answer.complete(EvictionResult.EVICTED);
    assertThat(first).isCompletedWithValue(EvictionResult.EVICTED);
    assertThat(started).hasSize(1);
    CompletableFuture<EvictionResult> again = queue.submit(victim("a"), evicted());
    started.get(1).run();
    assertThat(again).as("answered: a later plan may evict it again").isNotSameAs(first);
    assertThat(sends).hasValue(2);
  }

  @Test
  void aSendThatThrowsFailsAndGivesThePermitBack() {
    EvictionLimiter limiter = limiter(1000, 1, Duration.ZERO);
    EvictionQueue queue = new EvictionQueue("c1", limiter, 10, Runnable::run);

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

    assertThat(a).isCompletedWithValue(EvictionResult.FAILED);
    assertThat(b).isCompletedWithValue(EvictionResult.FAILED);
    assertThat(c).isCompletedWithValue(EvictionResult.EVICTED);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void closingStopsTheWorkerThatWaitsForAPermit() throws Exception {
    // the limiter's time stands: without close the worker would wait an hour
    EvictionLimiter limiter = limiter(1, 10, Duration.ofHours(1));
    EvictionQueue queue = new EvictionQueue("c1", limiter, 10, pool);
    CompletableFuture<EvictionResult> a = queue.submit(victim("a"), evicted());
    CompletableFuture<EvictionResult> b = queue.submit(victim("b"), evicted());
    assertThat(a.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(EvictionResult.EVICTED);
    await().atMost(WAIT).until(() -> queue.waiting() == 0);

    queue.close();

    assertThat(b.get(30, java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(EvictionResult.RATE_LIMITED);
    assertThat(sends).hasValue(1);
    assertThat(limiter.inFlight()).isZero();
  }
}
