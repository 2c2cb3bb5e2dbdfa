package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GracefulStopTest {
  @Test
  void theRunUnderWayFinishesUninterruptedAndNoOtherStarts() throws Exception {
    ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger runs = new AtomicInteger();
    AtomicBoolean interrupted = new AtomicBoolean();
    loop.scheduleWithFixedDelay(
        () -> {
          runs.incrementAndGet();
          running.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            interrupted.set(true);
          }
        },
        0,
        1,
        TimeUnit.MILLISECONDS);
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
    Thread stopper = new Thread(() -> GracefulStop.stop(loop, Duration.ofSeconds(30)), "stopper");
    stopper.start();
    while (!loop.isShutdown()) {
      Thread.onSpinWait();
    }
    release.countDown();
    stopper.join(10_000);

    assertThat(loop.isTerminated()).isTrue();
    assertThat(interrupted).as("the run under way was interrupted").isFalse();
    assertThat(runs).hasValue(1);
  }

  @Test
  void aRunThatOutlastsTheGraceIsInterrupted() throws Exception {
    ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    loop.execute(
        () -> {
          running.countDown();
          try {
            new CountDownLatch(1).await();
          } catch (InterruptedException e) {
            interrupted.countDown();
          }
        });
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(GracefulStop.stop(loop, Duration.ofMillis(50))).isFalse();
    assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
  }
}
