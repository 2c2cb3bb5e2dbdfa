package io.gleaner.idle.forecast;

import io.gleaner.idle.elastic.ElasticBudget;
import io.gleaner.meta.coord.StateStore;
import io.gleaner.meta.coord.WriteBehind;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
 * <p>The elastic budget's spending is one more small node, {@code <root>/_elastic-spent} (no member
 * is named with an underscore), written at most once a minute and on stop.
 *
 * <p>Writes go through a {@link WriteBehind}: off the detector's thread, coalesced per key (the
 * latest snapshot wins), a failed one retried.
 */
public final class DurableHistoryStore implements HistoryStore {
  private static final Logger LOG = LoggerFactory.getLogger(DurableHistoryStore.class);

  /** The default root of the histories. */
  public static final String DEFAULT_ROOT = "/idle-detector/history";

  private final StateStore store;
  private final String root;
  private final WriteBehind writes;

  public DurableHistoryStore(StateStore store, String root) {
    this.store = Objects.requireNonNull(store, "store");
    this.root = StateStore.checkPath(root);
    this.writes = new WriteBehind(store, "online histories", "idle-history-store");
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

  /** Where the elastic budget's spending lives. */
  public static String elasticSpentPath(String root) {
    return root + "/_elastic-spent";
  }

  @Override
  public Optional<ElasticBudget.Spent> loadElasticSpent() {
    String path = elasticSpentPath(root);
    try {
      return store.get(path).map(v -> ElasticBudget.Spent.decode(v.data()));
    } catch (IllegalArgumentException e) {
      LOG.warn("skipping unreadable elastic spending {}: {}", path, e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public void saveElasticSpent(ElasticBudget.Spent spent) {
    enqueue(elasticSpentPath(root), Optional.of(spent.encode()));
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
    writes.enqueue(path, data);
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
