package io.gleaner.idle.forecast;

import io.gleaner.idle.elastic.ElasticBudget;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Histories in memory (lost with the process): for tests, benches and a detector without ZooKeeper.
 */
public final class InMemoryHistoryStore implements HistoryStore {
  private final Map<String, byte[]> members = new ConcurrentHashMap<>();
  private final Map<String, Map<String, byte[]>> nodes = new ConcurrentHashMap<>();
  private volatile ElasticBudget.Spent elasticSpent;

  @Override
  public Optional<OnlineHistory> loadMember(String cluster) {
    byte[] b = members.get(cluster);
    return b == null ? Optional.empty() : Optional.of(OnlineHistory.decode(b));
  }

  @Override
  public Map<String, OnlineHistory> loadNodes(String cluster) {
    Map<String, OnlineHistory> out = new HashMap<>();
    nodes.getOrDefault(cluster, Map.of()).forEach((n, b) -> out.put(n, OnlineHistory.decode(b)));
    return out;
  }

  @Override
  public void saveMember(String cluster, OnlineHistory history) {
    members.put(cluster, history.encode());
  }

  @Override
  public void saveNode(String cluster, String node, OnlineHistory history) {
    nodes.computeIfAbsent(cluster, k -> new ConcurrentHashMap<>()).put(node, history.encode());
  }

  @Override
  public Optional<ElasticBudget.Spent> loadElasticSpent() {
    return Optional.ofNullable(elasticSpent);
  }

  @Override
  public void saveElasticSpent(ElasticBudget.Spent spent) {
    elasticSpent = spent;
  }

  @Override
  public void deleteNode(String cluster, String node) {
    Map<String, byte[]> m = nodes.get(cluster);
    if (m != null) {
      m.remove(node);
    }
  }
}
