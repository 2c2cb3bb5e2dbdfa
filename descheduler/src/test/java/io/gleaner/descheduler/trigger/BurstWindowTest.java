package io.gleaner.descheduler.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BurstWindowTest {
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  @Test
  void aBurstIsHandedOverOnce() {
    List<Set<String>> flushed = new CopyOnWriteArrayList<>();
    BurstWindow w = new BurstWindow(Duration.ofMillis(200), scheduler, flushed::add);
    for (int i = 0; i < 50; i++) {
      w.signal("pod-" + i);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> flushed.size() == 1);
    assertThat(flushed.get(0)).hasSize(50);
    w.signal("later");
    await().atMost(Duration.ofSeconds(5)).until(() -> flushed.size() == 2);
    assertThat(flushed.get(1)).containsExactly("later");
  }

  @Test
  void aBurstThatStopsArrivingClosesBeforeTheWindowEnds() {
    List<Set<String>> flushed = new CopyOnWriteArrayList<>();
    BurstWindow w =
        new BurstWindow(Duration.ofSeconds(30), Duration.ofMillis(50), scheduler, flushed::add);
    w.signal("a");
    w.signal("b");
    await().atMost(Duration.ofSeconds(10)).until(() -> flushed.size() == 1);
    assertThat(flushed.get(0)).containsExactly("a", "b");
  }

  @Test
  void delayedSignalsArrive() {
    List<Set<String>> flushed = new CopyOnWriteArrayList<>();
    BurstWindow w = new BurstWindow(Duration.ZERO, scheduler, flushed::add);
    w.signalAfter("deferred", Duration.ofMillis(50));
    await().atMost(Duration.ofSeconds(5)).until(() -> flushed.size() == 1);
    assertThat(flushed.get(0)).containsExactly("deferred");
  }
}
