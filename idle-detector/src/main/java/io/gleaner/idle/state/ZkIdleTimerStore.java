package io.gleaner.idle.state;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idle timers in ZooKeeper, one znode per node: {@code <root>/<cluster>/<node>} holding the
 * {@link IdleStateCodec} JSON.
 *
 * <p>Writes are queued and applied by one background thread, coalesced per node (the latest state wins), so
 * a burst of transitions (a whole fleet going idle at night) never blocks the detector. A write that fails
 * is retried on the next write or {@link #flush()} of that node; an ACTIVE state is stored as a deletion.
 */
public final class ZkIdleTimerStore implements IdleTimerStore {
  private static final Logger LOG = LoggerFactory.getLogger(ZkIdleTimerStore.class);

  private final CuratorFramework curator;
  private final String root;
  private final Object lock = new Object();
  private final LinkedHashMap<String, Optional<IdleState>> pending = new LinkedHashMap<>();
  private final ExecutorService writer;
  private boolean draining;

  /**
   * @param curator a started client
   * @param root the parent path, e.g. {@code /gleaner/<instance>/idle-detector/timers}
   */
  public ZkIdleTimerStore(CuratorFramework curator, String root) {
    this.curator = Objects.requireNonNull(curator, "curator");
    if (root == null || !root.startsWith("/") || root.endsWith("/")) {
      throw new IllegalArgumentException("timer store root must be an absolute znode path without a trailing /, got " + root);
    }
    this.root = root;
    this.writer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "idle-timer-store");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public Map<String, IdleState> load(String cluster) {
    String dir = root + "/" + cluster;
    Map<String, IdleState> out = new HashMap<>();
    List<String> nodes;
    try {
      nodes = curator.getChildren().forPath(dir);
    } catch (KeeperException.NoNodeException e) {
      return out;
    } catch (Exception e) {
      throw new IllegalStateException("cannot list idle timers under " + dir + ": " + e.getMessage(), e);
    }
    for (String node : nodes) {
      String path = dir + "/" + node;
      try {
        out.put(node, IdleStateCodec.decode(curator.getData().forPath(path)));
      } catch (KeeperException.NoNodeException e) {
        // deleted between list and read
      } catch (IllegalArgumentException e) {
        LOG.warn("skipping unreadable idle timer {}: {}", path, e.getMessage());
      } catch (Exception e) {
        throw new IllegalStateException("cannot read idle timer " + path + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  @Override
  public void save(String cluster, String node, IdleState state) {
    enqueue(cluster + "/" + node, state instanceof IdleState.Active ? Optional.empty() : Optional.of(state));
  }

  @Override
  public void delete(String cluster, String node) {
    enqueue(cluster + "/" + node, Optional.empty());
  }

  private void enqueue(String key, Optional<IdleState> state) {
    synchronized (lock) {
      pending.remove(key);
      pending.put(key, state);
      if (!draining) {
        draining = true;
        writer.execute(this::drain);
      }
    }
  }

  private void drain() {
    while (true) {
      Map.Entry<String, Optional<IdleState>> next;
      synchronized (lock) {
        var it = pending.entrySet().iterator();
        if (!it.hasNext()) {
          draining = false;
          lock.notifyAll();
          return;
        }
        next = it.next();
        it.remove();
      }
      String path = root + "/" + next.getKey();
      try {
        write(path, next.getValue());
      } catch (Exception e) {
        LOG.warn("idle timer write {} failed, will retry on the next change: {}", path, e.toString());
        synchronized (lock) {
          pending.putIfAbsent(next.getKey(), next.getValue());
          draining = false;
          lock.notifyAll();
        }
        return;
      }
    }
  }

  private void write(String path, Optional<IdleState> state) throws Exception {
    if (state.isEmpty()) {
      try {
        curator.delete().forPath(path);
      } catch (KeeperException.NoNodeException e) {
        // already gone
      }
      return;
    }
    byte[] data = IdleStateCodec.encode(state.get());
    try {
      curator.setData().forPath(path, data);
    } catch (KeeperException.NoNodeException e) {
      try {
        curator.create().creatingParentsIfNeeded().forPath(path, data);
      } catch (KeeperException.NodeExistsException raced) {
        curator.setData().forPath(path, data);
      }
    }
  }

  /**
   * Waits until every queued write has been applied.
   *
   * @throws IllegalStateException if a write keeps failing or the wait is interrupted
   */
  @Override
  public void flush() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    synchronized (lock) {
      while (draining || !pending.isEmpty()) {
        if (!draining) {
          draining = true;
          writer.execute(this::drain);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("idle timers not durable after 30 s: " + pending.size() + " pending");
        }
        try {
          lock.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
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
      LOG.warn("closing idle timer store with unsaved timers: {}", e.getMessage());
    }
    writer.shutdownNow();
  }
}
