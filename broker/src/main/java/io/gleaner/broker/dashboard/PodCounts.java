package io.gleaner.broker.dashboard;

import java.util.Map;
import java.util.TreeMap;

/**
 * Metadata pods of the virtual node by class and phase, e.g. {@code {"offline": {"Waiting": 40,
 * "Pending": 3, "Running": 12}}}: {@code Waiting} counts the pods that wait for the node, gated
 * ones included, as the teams' pending pods do ({@code PendingPods}).
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
