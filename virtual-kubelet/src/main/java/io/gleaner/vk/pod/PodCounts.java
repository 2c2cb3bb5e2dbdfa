package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.vk.translate.WorkloadClasses;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the {@code gleaner.vk.pods} gauge counts: each metadata pod under its "phase|class" tag,
 * computed once when the informer stores the pod, so that counting never decodes the cache.
 */
final class PodCounts {
  private static final List<String> PHASES =
      List.of("Pending", "Running", "Succeeded", "Failed", "Unknown");

  private PodCounts() {}

  /**
   * The "phase|class" a metadata pod counts under: no phase counts as Pending, no class label as
   * offline, an unknown class as invalid.
   */
  static String phaseAndClass(Pod p) {
    String phase =
        p.getStatus() == null || p.getStatus().getPhase() == null
            ? "Pending"
            : p.getStatus().getPhase();
    String label =
        p.getMetadata().getLabels() == null
            ? null
            : p.getMetadata().getLabels().get(GleanerKeys.CLASS);
    String cls = WorkloadClasses.parse(label).map(WorkloadClasses::label).orElse("invalid");
    return (phase + "|" + cls).intern();
  }

  /**
   * Pods per "phase|class" tag: every phase of both classes is present (zero when none), so a gauge
   * drops to zero rather than keeping its last value.
   */
  static Map<String, Long> count(Stream<String> tags) {
    Map<String, Long> counts = new HashMap<>();
    for (String phase : PHASES) {
      for (String cls : List.of(GleanerKeys.CLASS_NEAR_LINE, GleanerKeys.CLASS_OFFLINE)) {
        counts.put(phase + "|" + cls, 0L);
      }
    }
    tags.forEach(k -> counts.merge(k, 1L, Long::sum));
    return counts;
  }

  /** Sets the gauges from {@link #count}. */
  static void publish(Map<String, Long> counts, VkMetrics metrics) {
    counts.forEach(
        (k, v) -> {
          int bar = k.indexOf('|');
          metrics.pods(k.substring(0, bar), k.substring(bar + 1), v);
        });
  }
}
