package io.gleaner.broker.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BrokerServerTest {
  @Test
  void callsRunOnABoundedNamedPoolThatRefusesWorkBeyondItsQueue() throws Exception {
    ThreadPoolExecutor pool = BrokerServer.boundedExecutor();
    CountDownLatch running = new CountDownLatch(BrokerServer.CALL_THREADS);
    CountDownLatch release = new CountDownLatch(1);
    java.util.Set<String> names = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Runnable blocking =
        () -> {
          names.add(Thread.currentThread().getName());
          running.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    try {
      assertThat(pool.getMaximumPoolSize()).isEqualTo(BrokerServer.CALL_THREADS);
      for (int i = 0; i < BrokerServer.CALL_THREADS; i++) {
        pool.execute(blocking);
      }
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(names)
          .hasSize(BrokerServer.CALL_THREADS)
          .allMatch(n -> n.matches("broker-grpc-\\d+"));
      for (int i = 0; i < BrokerServer.QUEUED_CALL_STEPS; i++) {
        pool.execute(() -> {});
      }
      assertThat(pool.getPoolSize()).isEqualTo(BrokerServer.CALL_THREADS);
      assertThatThrownBy(() -> pool.execute(() -> {}))
          .isInstanceOf(RejectedExecutionException.class);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }
}
