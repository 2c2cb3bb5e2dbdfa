package io.gleaner.idle.state;

import java.util.Map;

/**
 * Durable idle timers, so that a restarted detector resumes them instead of starting over (and
 * never lends early). Keys are {@code (cluster, node)}; only the leader writes.
 *
 * <p>Implementations must be thread-safe. {@link #save} and {@link #delete} must not block the
 * caller for long: they may write in the background, latest value per key wins.
 */
public interface IdleTimerStore extends AutoCloseable {

  /**
   * Every stored state of {@code cluster}, by node name. Unreadable entries are skipped and logged.
   */
  Map<String, IdleState> load(String cluster);

  /** Records {@code state} for the node ({@link IdleState.Active} may be stored as a deletion). */
  void save(String cluster, String node, IdleState state);

  /** Forgets the node (it left the cluster). */
  void delete(String cluster, String node);

  /** Waits until every write issued so far is durable, or fails; for tests and orderly shutdown. */
  default void flush() {}

  @Override
  default void close() {}
}
