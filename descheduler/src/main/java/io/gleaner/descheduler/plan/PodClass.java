package io.gleaner.descheduler.plan;

import io.gleaner.meta.kube.GleanerKeys;

/**
 * A Gleaner member pod's workload class (label {@code gleaner.io/class}); offline is evicted before
 * near-line.
 */
public enum PodClass {
  OFFLINE("offline"),
  NEAR_LINE("near-line");

  private final String label;

  PodClass(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /**
   * Parses a {@code gleaner.io/class} label value; absent means offline (ARCHITECTURE.md §2).
   *
   * @throws IllegalArgumentException naming the value when it is neither near-line nor offline
   */
  public static PodClass fromLabel(String value) {
    if (value == null || value.isEmpty() || value.equals("offline")) {
      return OFFLINE;
    }
    if (value.equals("near-line")) {
      return NEAR_LINE;
    }
    throw new IllegalArgumentException(
        GleanerKeys.CLASS + " must be near-line or offline, got \"" + value + "\"");
  }
}
