package io.gleaner.vk.translate;

/**
 * How a member pod is doing, as far as the metadata pod is concerned. See {@link
 * StatusMirror#assess}.
 */
public sealed interface MemberPodState {
  /** Pending (schedulable), running, or anything else whose status is simply mirrored. */
  record Active() implements MemberPodState {}

  /**
   * The member could not run the pod on the chosen node for lack of resources (scheduler
   * Unschedulable or kubelet OutOf* admission): the placement estimate missed, so the pod is
   * re-placed elsewhere.
   */
  record Unschedulable(String message) implements MemberPodState {}

  /**
   * The member took the pod back (eviction, preemption, node shutdown, deletion not asked for by
   * Gleaner).
   */
  record Evicted(String cause) implements MemberPodState {}

  /** The pod ran to completion (Succeeded or Failed on its own). */
  record Finished(String phase) implements MemberPodState {}
}
