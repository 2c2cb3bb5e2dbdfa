package io.gleaner.vk.translate;

import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.Optional;

/**
 * Maps the {@code gleaner.io/class} label to the broker's {@link WorkloadClass} and to member
 * PriorityClasses.
 */
public final class WorkloadClasses {
  private WorkloadClasses() {}

  /** Empty when the label names no known class; a missing or blank label means {@code offline}. */
  public static Optional<WorkloadClass> parse(String label) {
    if (label == null || label.isBlank()) {
      return Optional.of(WorkloadClass.OFFLINE);
    }
    return switch (label.trim()) {
      case GleanerKeys.CLASS_NEAR_LINE -> Optional.of(WorkloadClass.NEAR_LINE);
      case GleanerKeys.CLASS_OFFLINE -> Optional.of(WorkloadClass.OFFLINE);
      default -> Optional.empty();
    };
  }

  public static String label(WorkloadClass c) {
    return c == WorkloadClass.NEAR_LINE ? GleanerKeys.CLASS_NEAR_LINE : GleanerKeys.CLASS_OFFLINE;
  }

  public static String priorityClassName(WorkloadClass c) {
    return c == WorkloadClass.NEAR_LINE
        ? GleanerKeys.PRIORITY_NEAR_LINE
        : GleanerKeys.PRIORITY_OFFLINE;
  }
}
