package io.gleaner.descheduler.plan;

/** A pod's {@code spec.preemptionPolicy}; absent means PreemptLowerPriority. */
public enum PreemptionPolicy {
  PREEMPT_LOWER_PRIORITY,
  NEVER;

  public static PreemptionPolicy fromSpec(String value) {
    if (value == null || value.isEmpty() || value.equals("PreemptLowerPriority")) {
      return PREEMPT_LOWER_PRIORITY;
    }
    if (value.equals("Never")) {
      return NEVER;
    }
    throw new IllegalArgumentException(
        "preemptionPolicy must be PreemptLowerPriority or Never, got \"" + value + "\"");
  }
}
