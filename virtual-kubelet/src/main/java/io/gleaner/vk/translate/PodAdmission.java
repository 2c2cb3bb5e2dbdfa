package io.gleaner.vk.translate;

import io.gleaner.api.v1.WorkloadClass;

/** What {@link PodValidator} decided about a metadata pod bound to the virtual node. */
public sealed interface PodAdmission {
  /** The pod may be placed, with this class. */
  record Accepted(WorkloadClass workloadClass) implements PodAdmission {}

  /**
   * The pod can never run through Gleaner; it is failed with this reason and message (kubelet
   * admission style).
   */
  record Refused(String reason, String message) implements PodAdmission {}

  /** The pod is left Pending with this reason and message and is never created in a member. */
  record Held(String reason, String message) implements PodAdmission {}
}
