package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkQueueTest {
  @Test
  void keyIsNeverHandledConcurrentlyAndReAddDuringHandlingRunsAgain() throws Exception {
    try (WorkQueue<String> q =
        new WorkQueue<>("t", 4, Duration.ofMillis(1), Duration.ofMillis(10))) {
      AtomicInteger inFlight = new AtomicInteger();
      AtomicInteger maxInFlight = new AtomicInteger();
      AtomicInteger runs = new AtomicInteger();
      CountDownLatch firstStarted = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      q.start(
          k -> {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            firstStarted.countDown();
            if (runs.incrementAndGet() == 1) {
              try {
                release.await(5, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            inFlight.decrementAndGet();
            return WorkQueue.Result.DONE;
          });
      q.add("a");
      assertThat(firstStarted.await(5, TimeUnit.SECONDS)).isTrue();
      q.add("a");
      q.add("a");
      release.countDown();
      await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 2);
      assertThat(maxInFlight.get()).isEqualTo(1);
    }
  }

  @Test
  void retriesWithoutLimitAndBackoffGrows() {
    try (WorkQueue<String> q =
        new WorkQueue<>("t", 1, Duration.ofMillis(1), Duration.ofMillis(20))) {
      List<Long> times = new CopyOnWriteArrayList<>();
      q.start(
          k -> {
            times.add(System.nanoTime());
            return times.size() < 12 ? WorkQueue.Result.retry("transient") : WorkQueue.Result.DONE;
          });
      q.add("job-pod");
      await().atMost(Duration.ofSeconds(10)).until(() -> times.size() == 12);
      await().atMost(Duration.ofSeconds(2)).until(() -> q.failures("job-pod") == 0);
    }
  }

  @Test
  void exceptionsAreRetried() {
    try (WorkQueue<String> q =
        new WorkQueue<>("t", 1, Duration.ofMillis(1), Duration.ofMillis(5))) {
      AtomicInteger n = new AtomicInteger();
      q.start(
          k -> {
            if (n.incrementAndGet() < 3) {
              throw new IllegalStateException("boom");
            }
            return WorkQueue.Result.DONE;
          });
      q.add("x");
      await().atMost(Duration.ofSeconds(5)).until(() -> n.get() == 3);
    }
  }

  @Test
  void distinctKeysRunInParallel() {
    try (WorkQueue<Integer> q =
        new WorkQueue<>("t", 4, Duration.ofMillis(1), Duration.ofMillis(5))) {
      ConcurrentHashMap<Integer, Boolean> seen = new ConcurrentHashMap<>();
      q.start(
          k -> {
            seen.put(k, true);
            return WorkQueue.Result.DONE;
          });
      for (int i = 0; i < 500; i++) {
        q.add(i);
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 500);
    }
  }
}
