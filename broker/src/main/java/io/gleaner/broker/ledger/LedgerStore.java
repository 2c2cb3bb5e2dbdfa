package io.gleaner.broker.ledger;

import io.gleaner.broker.model.NodeKey;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Durable ledger records, one per member node, written with a versioned compare-and-set so that two
 * broker replicas never double-book a node. A pod index (pod UID → node) is written in the same
 * atomic step, so a pod is reserved at most once across replicas.
 *
 * <p>Implementations are thread-safe. {@link Listener}s are called on an implementation thread,
 * never while the caller of {@link #write} waits, and may see a change after its writer already
 * applied it (compare versions).
 */
public interface LedgerStore extends AutoCloseable {

  /** A record and the version it was read or written at. */
  record Versioned(NodeRecord record, int version) {}

  /** What happens to the pod index in the same atomic step as the record write. */
  record PodOp(String podUid, boolean add) {
    public static PodOp add(String uid) {
      return new PodOp(uid, true);
    }

    public static PodOp remove(String uid) {
      return new PodOp(uid, false);
    }
  }

  /** The outcome of {@link #write}. */
  sealed interface WriteResult {
    /** Written; the record now has {@code version}. */
    record Written(int version) implements WriteResult {}

    /** Another writer changed the record first: reload and decide again. */
    record Conflict() implements WriteResult {}

    /** The pod is already reserved, on {@code node}. */
    record PodTaken(NodeKey node) implements WriteResult {}
  }

  /**
   * Notified of records changed by any writer (this replica included); {@code v} is null when
   * deleted.
   */
  interface Listener {
    void changed(NodeKey key, Versioned v);
  }

  /** Every record; blocks until the store has read them. */
  Map<NodeKey, Versioned> loadAll();

  Optional<Versioned> load(NodeKey key);

  /** The node a pod is reserved on, from the pod index. */
  Optional<NodeKey> podNode(String podUid);

  /**
   * Writes {@code record} if the stored version is still {@code expectedVersion} (-1: the record
   * must not exist), together with {@code podOp} (may be null).
   */
  WriteResult write(NodeKey key, NodeRecord record, int expectedVersion, PodOp podOp);

  void addListener(Listener listener);

  /**
   * Tells the other replicas that a source's stream reported member cluster {@code cluster} just
   * now (its unchanged offers were refreshed in this replica's memory only). Asynchronous and best
   * effort; the caller rate-limits it.
   */
  void markFresh(String cluster);

  /**
   * A token that changes every time another replica {@linkplain #markFresh marks} {@code cluster}
   * fresh; empty when none did, or when this replica made the latest mark (its own offers carry
   * their exact refresh times). Tokens are compared, never read as times, so the replicas' clocks
   * need not agree.
   */
  OptionalLong freshness(String cluster);

  @Override
  default void close() {}
}
