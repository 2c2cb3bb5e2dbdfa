package io.gleaner.idle.state;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link IdleTimerStore} in process memory: for a single replica without ZooKeeper and for
 * tests. It survives a restart of the detector within the same JVM (the sandbox), not of the
 * process.
 */
public final class InMemoryIdleTimerStore implements IdleTimerStore {
  private final Map<String, Map<String, byte[]>> data = new ConcurrentHashMap<>();

  @Override
  public Map<String, IdleState> load(String cluster) {
    Map<String, IdleState> out = new HashMap<>();
    data.getOrDefault(cluster, Map.of())
        .forEach((node, bytes) -> out.put(node, IdleStateCodec.decode(bytes)));
    return out;
  }

  @Override
  public void save(String cluster, String node, IdleState state) {
    if (state instanceof IdleState.Active) {
      delete(cluster, node);
      return;
    }
    data.computeIfAbsent(cluster, c -> new ConcurrentHashMap<>())
        .put(node, IdleStateCodec.encode(state));
  }

  @Override
  public void delete(String cluster, String node) {
    Map<String, byte[]> m = data.get(cluster);
    if (m != null) {
      m.remove(node);
    }
  }
}
