package io.gleaner.meta.registry;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.crd.MemberCluster;
import java.util.ArrayList;
import java.util.List;

/**
 * Adds and removes a finalizer of Gleaner's on a MemberCluster, so that a member taken out of the
 * federation ({@code kubectl delete membercluster}) stays until Gleaner has cleaned up there. Both
 * are no-ops when there is nothing to do, and read the object first, so that they change only the
 * finalizer list (a JSON patch against the version read). A conflict (409: another write came
 * between, e.g. the idle-detector's status at each probe or the broker's offered capacity) is read
 * and tried again at once, up to {@link #TRIES} times; after that it is thrown and the caller's
 * next pass tries again.
 */
public final class MemberFinalizers {
  /** How many times a change is tried when each try conflicts with another write. */
  static final int TRIES = 3;

  private MemberFinalizers() {}

  private static boolean untilNoConflict(java.util.function.BooleanSupplier change) {
    for (int attempt = 1; ; attempt++) {
      try {
        return change.getAsBoolean();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt >= TRIES) {
          throw e;
        }
      }
    }
  }

  /**
   * Puts {@code finalizer} on member {@code name} unless it is there or the member is already
   * leaving (a finalizer cannot be added to an object marked for deletion). Returns whether the
   * member now carries it.
   */
  public static boolean ensure(KubernetesClient meta, String name, String finalizer) {
    return untilNoConflict(() -> ensureOnce(meta, name, finalizer));
  }

  private static boolean ensureOnce(KubernetesClient meta, String name, String finalizer) {
    MemberCluster mc = meta.resources(MemberCluster.class).withName(name).get();
    if (mc == null) {
      return false;
    }
    List<String> current = mc.getMetadata().getFinalizers();
    if (current != null && current.contains(finalizer)) {
      return true;
    }
    if (MemberHandle.isLeaving(mc)) {
      return false;
    }
    meta.resources(MemberCluster.class)
        .withName(name)
        .edit(
            m -> {
              List<String> next = new ArrayList<>(nullSafe(m.getMetadata().getFinalizers()));
              if (!next.contains(finalizer)) {
                next.add(finalizer);
              }
              m.getMetadata().setFinalizers(next);
              return m;
            });
    return true;
  }

  /** Takes {@code finalizer} off member {@code name}; false when it was not there. */
  public static boolean remove(KubernetesClient meta, String name, String finalizer) {
    return untilNoConflict(() -> removeOnce(meta, name, finalizer));
  }

  private static boolean removeOnce(KubernetesClient meta, String name, String finalizer) {
    MemberCluster mc = meta.resources(MemberCluster.class).withName(name).get();
    if (mc == null || !nullSafe(mc.getMetadata().getFinalizers()).contains(finalizer)) {
      return false;
    }
    try {
      meta.resources(MemberCluster.class)
          .withName(name)
          .edit(
              m -> {
                List<String> next = new ArrayList<>(nullSafe(m.getMetadata().getFinalizers()));
                next.remove(finalizer);
                m.getMetadata().setFinalizers(next);
                return m;
              });
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false; // gone meanwhile
      }
      throw e;
    }
    return true;
  }

  private static List<String> nullSafe(List<String> l) {
    return l == null ? List.of() : l;
  }
}
