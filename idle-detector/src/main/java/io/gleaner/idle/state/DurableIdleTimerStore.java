package io.gleaner.idle.state;

import io.gleaner.meta.coord.CasResult;
import io.gleaner.meta.coord.StateStore;
import io.gleaner.meta.coord.Versioned;
import java.util.HashMap;
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
 * Idle timers in the project's {@link StateStore} (ZooKeeper in production): one node per member
 * node, {@code <root>/<cluster>/<node>}, holding the {@link IdleStateCodec} JSON (readable with
 * {@code zkCli get}).
 *
 * <p>Writes are queued and applied by one background thread, coalesced per node (the latest state
 * wins), so a burst of transitions (a whole fleet going idle at night) never blocks the detector.
 * Only the leader writes, so a version conflict only means a deposed leader wrote last: the write
 * is re-read and applied again. A write that fails (store unreachable) stays queued and is retried
 * with the next write or {@link #flush()}. ACTIVE is stored as a deletion.
 */
public final class DurableIdleTimerStore implements IdleTimerStore {
  private static final Logger LOG = LoggerFactory.getLogger(DurableIdleTimerStore.class);

  /** The default root of the timers. */
  public static final String DEFAULT_ROOT = "/idle-detector/timers";

  private final StateStore store;
  private final String root;
  private final Object lock = new Object();
  private final LinkedHashMap<String, Optional<IdleState>> pending = new LinkedHashMap<>();
  private final ExecutorService writer;
  private boolean draining;
  private String lastFailure;

  public DurableIdleTimerStore(StateStore store, String root) {
    this.store = Objects.requireNonNull(store, "store");
    this.root = StateStore.checkPath(root);
    this.writer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "idle-timer-store");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public Map<String, IdleState> load(String cluster) {
    String dir = root + "/" + cluster;
    Map<String, IdleState> out = new HashMap<>();
    for (String node : store.children(dir)) {
      String path = dir + "/" + node;
      try {
        store.get(path).ifPresent(v -> out.put(node, IdleStateCodec.decode(v.data())));
      } catch (IllegalArgumentException e) {
        LOG.warn("skipping unreadable idle timer {}: {}", path, e.getMessage());
      }
    }
    return out;
  }

  @Override
  public void save(String cluster, String node, IdleState state) {
    enqueue(
        cluster + "/" + node,
        state instanceof IdleState.Active ? Optional.empty() : Optional.of(state));
  }

  @Override
  public void delete(String cluster, String node) {
    enqueue(cluster + "/" + node, Optional.empty());
  }

  private void enqueue(String key, Optional<IdleState> state) {
    synchronized (lock) {
      pending.remove(key);
      pending.put(key, state);
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
      Map.Entry<String, Optional<IdleState>> next;
      synchronized (lock) {
        Iterator<Map.Entry<String, Optional<IdleState>>> it = pending.entrySet().iterator();
        if (!it.hasNext()) {
          draining = false;
          lastFailure = null;
          lock.notifyAll();
          return;
        }
        next = it.next();
        it.remove();
      }
      String path = root + "/" + next.getKey();
      try {
        write(path, next.getValue());
      } catch (RuntimeException e) {
        synchronized (lock) {
          pending.putIfAbsent(next.getKey(), next.getValue());
          draining = false;
          if (lastFailure == null) {
            LOG.warn("idle timer write {} failed, kept for a retry: {}", path, e.toString());
          }
          lastFailure = e.toString();
          lock.notifyAll();
        }
        return;
      }
    }
  }

  private void write(String path, Optional<IdleState> state) {
    for (int attempt = 0; attempt < 5; attempt++) {
      Optional<Versioned<byte[]>> current = store.get(path);
      CasResult r;
      if (state.isEmpty()) {
        if (current.isEmpty()) {
          return;
        }
        r = store.delete(path, current.get().version());
      } else {
        r =
            store.compareAndSet(
                path,
                current.map(Versioned::version).orElse(StateStore.ABSENT),
                IdleStateCodec.encode(state.get()));
      }
      if (r.isOk() || r instanceof CasResult.NotFound && state.isEmpty()) {
        return;
      }
    }
    throw new IllegalStateException(
        "idle timer " + path + " kept changing under five writes in a row");
  }

  /**
   * Waits until every queued write is applied; retries failed ones.
   *
   * @throws IllegalStateException when writes still fail after 30 s or the wait is interrupted
   */
  @Override
  public void flush() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    synchronized (lock) {
      while (draining || !pending.isEmpty()) {
        kick();
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(
              "idle timers not durable after 30 s ("
                  + pending.size()
                  + " pending): "
                  + lastFailure);
        }
        try {
          lock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while flushing idle timers", e);
        }
      }
    }
  }

  @Override
  public void close() {
    try {
      flush();
    } catch (IllegalStateException e) {
      LOG.warn("closing the idle timer store with unsaved timers: {}", e.getMessage());
    }
    writer.shutdownNow();
  }
}
