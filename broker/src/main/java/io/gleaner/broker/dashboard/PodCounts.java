package io.gleaner.broker.dashboard;

import java.util.Map;
import java.util.TreeMap;

/**
 * Metadata pods on the virtual node by class and phase, e.g. {@code {"offline": {"Running": 12,
 * "Pending": 3}}}.
 *
 * @param byClassAndPhase class name to phase to count; copied, never null
 */
public record PodCounts(Map<String, Map<String, Long>> byClassAndPhase) {
  public static final PodCounts NONE = new PodCounts(Map.of());

  public PodCounts {
    Map<String, Map<String, Long>> copy = new TreeMap<>();
    byClassAndPhase.forEach((k, v) -> copy.put(k, Map.copyOf(new TreeMap<>(v))));
    byClassAndPhase = Map.copyOf(copy);
  }
}
