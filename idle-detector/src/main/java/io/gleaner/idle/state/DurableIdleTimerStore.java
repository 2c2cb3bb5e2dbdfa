package io.gleaner.idle.state;

import io.gleaner.meta.coord.StateStore;
import io.gleaner.meta.coord.WriteBehind;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idle timers in the project's {@link StateStore} (ZooKeeper in production): one node per member
 * node, {@code <root>/<cluster>/<node>}, holding the {@link IdleStateCodec} JSON (readable with
 * {@code zkCli get}).
 *
 * <p>Writes go through a {@link WriteBehind}, coalesced per node (the latest state wins), so a
 * burst of transitions (a whole fleet going idle at night) never blocks the detector. ACTIVE is
 * stored as a deletion.
 */
public final class DurableIdleTimerStore implements IdleTimerStore {
  private static final Logger LOG = LoggerFactory.getLogger(DurableIdleTimerStore.class);

  /** The default root of the timers. */
  public static final String DEFAULT_ROOT = "/idle-detector/timers";

  private final StateStore store;
  private final String root;
  private final WriteBehind writes;

  public DurableIdleTimerStore(StateStore store, String root) {
    this.store = Objects.requireNonNull(store, "store");
    this.root = StateStore.checkPath(root);
    this.writes = new WriteBehind(store, "idle timers", "idle-timer-store");
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
    writes.enqueue(root + "/" + key, state.map(IdleStateCodec::encode));
  }

  /**
   * Waits until every queued write is applied; retries failed ones.
   *
   * @throws IllegalStateException when writes still fail after 30 s or the wait is interrupted
   */
  @Override
  public void flush() {
    writes.flush();
  }

  @Override
  public void close() {
    writes.close();
  }
}
