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
 */
public record NoFit(String message, List<String> reasons, Resources largestFree) {
  public NoFit {
    Objects.requireNonNull(message, "message");
    reasons = reasons == null ? List.of() : List.copyOf(reasons);
    largestFree = largestFree == null ? Resources.ZERO : largestFree;
  }
}
