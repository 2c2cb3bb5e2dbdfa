package io.gleaner.broker.model;

import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Objects;

/**
 * Why a pod fits nowhere, in words a user can act on.
 *
 * @param message one sentence, e.g. "largest free node offers 6 CPU, pod requests 16 CPU"
 * @param reasons per filter, e.g. "12 nodes: insufficient nvidia.com/gpu"
 * @param largestFree the largest free shape on an eligible node (zero when none)
 * @param never set when no known member node could ever hold the pod; null when it may fit later
 */
public record NoFit(
    String message, List<String> reasons, Resources largestFree, NeverFits.Verdict never) {
  public NoFit {
    Objects.requireNonNull(message, "message");
    reasons = reasons == null ? List.of() : List.copyOf(reasons);
    largestFree = largestFree == null ? Resources.ZERO : largestFree;
  }

  /** A pod that may fit later. */
  public NoFit(String message, List<String> reasons, Resources largestFree) {
    this(message, reasons, largestFree, null);
  }

  /**
   * This refusal, final: the message becomes the verdict's (the current shortage matters no more).
   */
  public NoFit neverFits(NeverFits.Verdict v) {
    return new NoFit(v.message(), reasons, largestFree, v);
  }
}
