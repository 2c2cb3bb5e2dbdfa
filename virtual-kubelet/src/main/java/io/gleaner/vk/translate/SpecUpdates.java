package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The changes to a metadata pod's spec, made after its member pod was created, that follow it into
 * the member pod, as a kubelet on the virtual node would apply them. Of the few fields a pod's spec
 * may change once created, one bounds the pod's work: {@code activeDeadlineSeconds}, which may be
 * set or lowered, never raised or removed. The member pod's deadline counts from the member pod's
 * start, which is the start the metadata pod reports ({@link StatusMirror}), so the value is copied
 * as it is. Images and added tolerations are not followed: a member pod's image is fixed when it is
 * placed, and its tolerations are Gleaner's ({@link MemberPodTranslator}).
 */
public final class SpecUpdates {
  private SpecUpdates() {}

  /**
   * The deadline the member pod must be given: the metadata pod's, when it is set and the member
   * pod has none or a later one; empty when the member pod's already holds.
   */
  public static OptionalLong deadline(PodSpec meta, PodSpec member) {
    Long wanted = meta == null ? null : meta.getActiveDeadlineSeconds();
    if (wanted == null) {
      return OptionalLong.empty();
    }
    Long has = member == null ? null : member.getActiveDeadlineSeconds();
    return has == null || has > wanted ? OptionalLong.of(wanted) : OptionalLong.empty();
  }

  /** Whether the metadata pod's deadline changed between two versions of it. */
  public static boolean deadlineChanged(PodSpec before, PodSpec after) {
    return !Objects.equals(
        before == null ? null : before.getActiveDeadlineSeconds(),
        after == null ? null : after.getActiveDeadlineSeconds());
  }
}
