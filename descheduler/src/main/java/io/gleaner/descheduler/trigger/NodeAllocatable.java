package io.gleaner.descheduler.trigger;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.meta.resources.Resources;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A node's allocatable resources, parsed once per node object: every plan reads every lent node,
 * and an informer replaces the node object (with a new allocatable map) whenever the node changes,
 * so the map's identity says whether the parsed value is still current.
 */
final class NodeAllocatable {
  private record Parsed(Map<String, Quantity> source, Resources value) {}

  private static final Map<String, Parsed> CACHE = new ConcurrentHashMap<>();
  private static final int LIMIT = 65_536;

  private NodeAllocatable() {}

  static Resources of(Node n) {
    Map<String, Quantity> a = n.getStatus() == null ? null : n.getStatus().getAllocatable();
    if (a == null) {
      return Resources.ZERO;
    }
    String name = n.getMetadata().getName();
    Parsed p = CACHE.get(name);
    if (p != null && p.source() == a) {
      return p.value();
    }
    Resources value = Resources.fromQuantities(a);
    if (CACHE.size() >= LIMIT) {
      CACHE.clear();
    }
    CACHE.put(name, new Parsed(a, value));
    return value;
  }
}
