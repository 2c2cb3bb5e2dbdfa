package io.gleaner.broker.ledger;

import io.gleaner.broker.model.NodeKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A {@link LedgerStore} in memory with the same compare-and-set semantics as ZooKeeper: for tests,
 * benchmarks and a single broker without ZooKeeper. Several ledgers may share one instance to act
 * as replicas.
 */
public final class InMemoryLedgerStore implements LedgerStore {
  private final Map<NodeKey, Versioned> records = new TreeMap<>();
  private final Map<String, NodeKey> pods = new HashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService notifier =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "ledger-store-notify");
            t.setDaemon(true);
            return t;
          });

  @Override
  public synchronized Map<NodeKey, Versioned> loadAll() {
    return new TreeMap<>(records);
  }

  @Override
  public synchronized Optional<Versioned> load(NodeKey key) {
    return Optional.ofNullable(records.get(key));
  }

  @Override
  public synchronized Optional<NodeKey> podNode(String podUid) {
    return Optional.ofNullable(pods.get(podUid));
  }

  @Override
  public WriteResult write(NodeKey key, NodeRecord record, int expectedVersion, PodOp podOp) {
    Versioned written;
    synchronized (this) {
      Versioned current = records.get(key);
      int version = current == null ? -1 : current.version();
      if (version != expectedVersion) {
        return new WriteResult.Conflict();
      }
      if (podOp != null && podOp.add() && pods.containsKey(podOp.podUid())) {
        return new WriteResult.PodTaken(pods.get(podOp.podUid()));
      }
      if (podOp != null) {
        if (podOp.add()) {
          pods.put(podOp.podUid(), key);
        } else {
          pods.remove(podOp.podUid());
        }
      }
      written = new Versioned(record, version + 1);
      records.put(key, written);
    }
    if (!listeners.isEmpty()) {
      notifier.execute(() -> listeners.forEach(l -> l.changed(key, written)));
    }
    return new WriteResult.Written(written.version());
  }

  @Override
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {
    notifier.shutdownNow();
  }

  /** One process, one replica: nothing to share. */
  @Override
  public void markFresh(String cluster) {}

  @Override
  public java.util.OptionalLong freshness(String cluster) {
    return java.util.OptionalLong.empty();
  }
}
