package io.gleaner.broker.grpc;

import io.gleaner.api.v1.Capacity;
import io.gleaner.broker.ledger.Ledger;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes the ledger's capacity to watchers when it changes, coalescing bursts and rate-limited to
 * one push per {@code minInterval} (real time: it protects the network, not business logic). The
 * newest snapshot is cached for {@link #current()}.
 */
public final class CapacityPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CapacityPublisher.class);

  private final Ledger ledger;
  private final long minIntervalNanos;
  private final Consumer<Ledger.CapacitySnapshot> onSnapshot;
  private final List<Consumer<Capacity>> watchers = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "broker-capacity-publisher");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile long lastPublishNanos;
  private volatile Capacity current;
  private long publishedChanges = -1;

  /**
   * @param onSnapshot also called with every published snapshot (e.g. to refresh gauges)
   */
  public CapacityPublisher(
      Ledger ledger, Duration minInterval, Consumer<Ledger.CapacitySnapshot> onSnapshot) {
    this.ledger = ledger;
    this.minIntervalNanos = minInterval.toNanos();
    this.onSnapshot = Objects.requireNonNull(onSnapshot, "onSnapshot");
    this.lastPublishNanos = System.nanoTime() - minIntervalNanos;
    ledger.addChangeListener(this::changed);
    executor.execute(this::publish);
  }

  /** The latest snapshot (computed now when none was published yet). */
  public Capacity current() {
    Capacity c = current;
    if (c == null) {
      c = CapacityProtos.capacity(ledger.capacity());
      current = c;
    }
    return c;
  }

  /** Registers a watcher; it receives the current capacity at once, then every change. */
  public void watch(Consumer<Capacity> watcher) {
    watchers.add(watcher);
    executor.execute(() -> deliver(watcher, current()));
  }

  public void unwatch(Consumer<Capacity> watcher) {
    watchers.remove(watcher);
  }

  private void changed() {
    if (scheduled.compareAndSet(false, true)) {
      long wait = Math.max(0, lastPublishNanos + minIntervalNanos - System.nanoTime());
      try {
        executor.schedule(this::publish, wait, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        scheduled.set(false);
      }
    }
  }

  private void publish() {
    scheduled.set(false);
    lastPublishNanos = System.nanoTime();
    long changes = ledger.changes();
    if (changes == publishedChanges && current != null) {
      return;
    }
    publishedChanges = changes;
    Ledger.CapacitySnapshot s = ledger.capacity();
    Capacity c = CapacityProtos.capacity(s);
    current = c;
    try {
      onSnapshot.accept(s);
    } catch (RuntimeException e) {
      log.warn("capacity snapshot consumer failed", e);
    }
    for (Consumer<Capacity> w : watchers) {
      deliver(w, c);
    }
  }

  private void deliver(Consumer<Capacity> w, Capacity c) {
    try {
      w.accept(c);
    } catch (RuntimeException e) {
      log.debug("dropping capacity watcher: {}", e.toString());
      watchers.remove(w);
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
