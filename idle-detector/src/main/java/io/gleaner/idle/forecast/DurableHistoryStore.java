package io.gleaner.idle.forecast;

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
 * Online histories in the project's {@link StateStore} (ZooKeeper in production): {@code
 * <root>/<cluster>/member} and {@code <root>/<cluster>/nodes/<node>}, each the {@link
 * OnlineHistory} text (about 2 KB, readable with {@code zkCli get}).
 *
 * <p>ZooKeeper rather than an annotation on the member's Node: the detector already keeps its idle
 * timers there, a member has no object to annotate with its own history, and an annotation written
 * every hour on every node would wake every watcher of nodes in that member (its scheduler, the
 * descheduler, this detector) for data only this detector reads. The detector writes a history once
 * per completed hour, so the load is one small write per node per hour.
 *
 * <p>Writes are queued and applied by one background thread, coalesced per key (the latest snapshot
 * wins). A failed write stays queued and is retried with the next write or {@link #flush()}.
 */
public final class DurableHistoryStore implements HistoryStore {
  private static final Logger LOG = LoggerFactory.getLogger(DurableHistoryStore.class);

  /** The default root of the histories. */
  public static final String DEFAULT_ROOT = "/idle-detector/history";

  private final StateStore store;
  private final String root;
  private final Object lock = new Object();
  private final LinkedHashMap<String, Optional<byte[]>> pending = new LinkedHashMap<>();
  private final ExecutorService writer;
  private boolean draining;
  private String lastFailure;

  public DurableHistoryStore(StateStore store, String root) {
    this.store = Objects.requireNonNull(store, "store");
    this.root = StateStore.checkPath(root);
    this.writer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "idle-history-store");
              t.setDaemon(true);
              return t;
            });
  }

  /** Where the member's own history lives. */
  public static String memberPath(String root, String cluster) {
    return root + "/" + cluster + "/member";
  }

  /** Where a node's history lives. */
  public static String nodePath(String root, String cluster, String node) {
    return root + "/" + cluster + "/nodes/" + node;
  }

  @Override
  public Optional<OnlineHistory> loadMember(String cluster) {
    return read(memberPath(root, cluster));
  }

  @Override
  public Map<String, OnlineHistory> loadNodes(String cluster) {
    String dir = root + "/" + cluster + "/nodes";
    Map<String, OnlineHistory> out = new HashMap<>();
    for (String node : store.children(dir)) {
      read(dir + "/" + node).ifPresent(h -> out.put(node, h));
    }
    return out;
  }

  private Optional<OnlineHistory> read(String path) {
    try {
      return store.get(path).map(v -> OnlineHistory.decode(v.data()));
    } catch (IllegalArgumentException e) {
      LOG.warn("skipping unreadable online history {}: {}", path, e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public void saveMember(String cluster, OnlineHistory history) {
    enqueue(memberPath(root, cluster), Optional.of(history.encode()));
  }

  @Override
  public void saveNode(String cluster, String node, OnlineHistory history) {
    enqueue(nodePath(root, cluster, node), Optional.of(history.encode()));
  }

  @Override
  public void deleteNode(String cluster, String node) {
    enqueue(nodePath(root, cluster, node), Optional.empty());
  }

  private void enqueue(String path, Optional<byte[]> data) {
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
            LOG.warn(
                "online history write {} failed, kept for a retry: {}",
                next.getKey(),
                e.toString());
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
        "online history " + path + " kept changing under five writes in a row");
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
              "online histories not durable after 30 s ("
                  + pending.size()
                  + " pending): "
                  + lastFailure);
        }
        try {
          lock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while flushing online histories", e);
        }
      }
    }
  }

  @Override
  public void close() {
    try {
      flush();
    } catch (IllegalStateException e) {
      LOG.warn("closing the online history store with unsaved histories: {}", e.getMessage());
    }
    writer.shutdownNow();
  }
}
