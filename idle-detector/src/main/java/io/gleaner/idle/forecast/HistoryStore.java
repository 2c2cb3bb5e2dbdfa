package io.gleaner.idle.forecast;

import io.gleaner.idle.elastic.ElasticBudget;
import java.util.Map;
import java.util.Optional;

/**
 * Durable online histories, so a restarted detector forecasts from the days it has seen instead of
 * starting blind, and the elastic budget's spending, so it does not start the day at zero. Keys are
 * a member ({@code node} empty) or one of its nodes; only the leader writes.
 *
 * <p>Implementations are thread-safe. {@link #save} and {@link #delete} must not block the caller
 * for long: they may write in the background, latest value per key wins.
 */
public interface HistoryStore extends AutoCloseable {
  /** The member's own history, if stored. Unreadable entries are skipped and logged. */
  Optional<OnlineHistory> loadMember(String cluster);

  /** Every stored node history of the member, by node name. Unreadable entries are skipped. */
  Map<String, OnlineHistory> loadNodes(String cluster);

  /** Stores a snapshot of the member's history ({@code history} is not kept). */
  void saveMember(String cluster, OnlineHistory history);

  /** Stores a snapshot of a node's history ({@code history} is not kept). */
  void saveNode(String cluster, String node, OnlineHistory history);

  /** Forgets a node (it left the member). */
  void deleteNode(String cluster, String node);

  /** What the elastic budget spent, as last saved; empty when never saved or unreadable. */
  Optional<ElasticBudget.Spent> loadElasticSpent();

  /** Stores what the elastic budget spent (latest value wins). */
  void saveElasticSpent(ElasticBudget.Spent spent);

  /** Waits until every write issued so far is durable, or fails; for tests and orderly shutdown. */
  default void flush() {}

  @Override
  default void close() {}
}
