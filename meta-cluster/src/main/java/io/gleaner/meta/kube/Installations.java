package io.gleaner.meta.kube;

import java.util.Map;

/**
 * Which installation a member pod belongs to. Several Gleaner installations (metadata clusters or
 * releases) may share a member; each acts only on its own pods ({@code gleaner.io/instance}, set by
 * its virtual-kubelet) and counts every other installation's pods as load it must not touch.
 */
public final class Installations {
  private Installations() {}

  /** A member pod of any Gleaner installation ({@code gleaner.io/managed=true}). */
  public static boolean isGleaner(Map<String, String> labels) {
    return labels != null && "true".equals(labels.get(GleanerKeys.MANAGED));
  }

  /**
   * A member pod of the installation {@code instance}: a Gleaner pod labelled with that instance,
   * or with none (created before pods carried it, so no installation can tell it apart).
   */
  public static boolean isOwn(Map<String, String> labels, String instance) {
    if (!isGleaner(labels)) {
      return false;
    }
    String owner = labels.get(GleanerKeys.INSTANCE);
    return owner == null || owner.isEmpty() || owner.equals(instance);
  }
}
