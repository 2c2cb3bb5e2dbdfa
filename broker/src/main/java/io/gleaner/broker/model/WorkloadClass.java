package io.gleaner.broker.model;

import io.gleaner.meta.kube.GleanerKeys;
import java.util.Locale;

/** A metadata pod's class, from its label {@code gleaner.io/class} (ARCHITECTURE.md §2). */
public enum WorkloadClass {
  NEAR_LINE("near-line"),
  OFFLINE("offline");

  private final String label;

  WorkloadClass(String label) {
    this.label = label;
  }

  /** The label value, also the metric tag value: {@code near-line} or {@code offline}. */
  public String label() {
    return label;
  }

  /**
   * Parses a label value; null or empty means offline, anything else unknown fails naming the
   * value.
   */
  public static WorkloadClass fromLabel(String value) {
    if (value == null || value.isEmpty()) {
      return OFFLINE;
    }
    for (WorkloadClass c : values()) {
      if (c.label.equals(value.toLowerCase(Locale.ROOT))) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        GleanerKeys.CLASS + ": unknown class \"" + value + "\", expected near-line or offline");
  }
}
