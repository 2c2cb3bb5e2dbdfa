package io.gleaner.meta.coord;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes to a {@link StateStore} off the caller's thread: queued, applied by one background thread,
 * coalesced per path (the latest value wins), an empty value stored as a deletion. Only a leader
 * writes, so a version conflict only means a deposed leader wrote last: the value is re-read and
 * written again. A write that fails (store unreachable) stays queued and is retried with the next
 * write or {@link #flush()}.
 */
public final class WriteBehind implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WriteBehind.class);

  private final StateStore store;
  private final String what;
  private final Object lock = new Object();
  private final LinkedHashMap<String, Optional<byte[]>> pending = new LinkedHashMap<>();
  private final ExecutorService writer;
  private boolean draining;
  private String lastFailure;

  /**
   * @param what what is written, plural, for messages (e.g. "idle timers")
   * @param threadName the background writer's name
   */
  public WriteBehind(StateStore store, String what, String threadName) {
    this.store = Objects.requireNonNull(store, "store");
    this.what = Objects.requireNonNull(what, "what");
    this.writer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Queues {@code data} for {@code path}; empty deletes it. Replaces a queued value of the path.
   */
  public void enqueue(String path, Optional<byte[]> data) {
    synchronized (lock) {
      pending.remove(path);
      pending.put(path, data);
      kick();
    }
  }

  private void kick() {
    if (!draining) {
      draining = true;
      writer.execute(this::drain);
    }
  }

  private void drain() {
    while (true) {
      Map.Entry<String, Optional<byte[]>> next;
      synchronized (lock) {
        Iterator<Map.Entry<String, Optional<byte[]>>> it = pending.entrySet().iterator();
        if (!it.hasNext()) {
          draining = false;
          lastFailure = null;
          lock.notifyAll();
          return;
        }
        next = it.next();
        it.remove();
      }
      try {
        write(next.getKey(), next.getValue());
      } catch (RuntimeException e) {
        synchronized (lock) {
          pending.putIfAbsent(next.getKey(), next.getValue());
          draining = false;
          if (lastFailure == null) {
            LOG.warn("{} write {} failed, kept for a retry: {}", what, next.getKey(), e.toString());
          }
          lastFailure = e.toString();
          lock.notifyAll();
        }
        return;
      }
    }
  }

  private void write(String path, Optional<byte[]> data) {
    for (int attempt = 0; attempt < 5; attempt++) {
      Optional<Versioned<byte[]>> current = store.get(path);
      CasResult r;
      if (data.isEmpty()) {
        if (current.isEmpty()) {
          return;
        }
        r = store.delete(path, current.get().version());
      } else {
        r =
            store.compareAndSet(
                path, current.map(Versioned::version).orElse(StateStore.ABSENT), data.get());
      }
      if (r.isOk() || r instanceof CasResult.NotFound && data.isEmpty()) {
        return;
      }
    }
    throw new IllegalStateException(
        what + ": " + path + " kept changing under five writes in a row");
  }

  /**
   * Waits until every queued write is applied; retries failed ones.
   *
   * @throws IllegalStateException when writes still fail after 30 s or the wait is interrupted
   */
  public void flush() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    synchronized (lock) {
      while (draining || !pending.isEmpty()) {
        kick();
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(
              what + " not durable after 30 s (" + pending.size() + " pending): " + lastFailure);
        }
        try {
          lock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while flushing " + what, e);
        }
      }
    }
  }

  /** Flushes what it can, then stops the writer; what could not be written is logged. */
  @Override
  public void close() {
    try {
      flush();
    } catch (IllegalStateException e) {
      LOG.warn("closing with unsaved {}: {}", what, e.getMessage());
    }
    writer.shutdownNow();
  }
}
