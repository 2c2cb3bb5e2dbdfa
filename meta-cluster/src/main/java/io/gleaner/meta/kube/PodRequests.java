package io.gleaner.meta.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;

/**
 * A pod's effective requests, as kube-scheduler accounts for them.
 *
 * <p>Init containers run one at a time before the app containers; a restartable init container (a
 * native sidecar, {@code restartPolicy: Always}) starts in its turn and keeps running. So for each
 * resource the pod needs the larger of
 *
 * <ul>
 *   <li>the sum of its app containers and all its sidecars, and
 *   <li>for each init container, its own requests plus those of the sidecars started before it,
 * </ul>
 *
 * plus the pod overhead ({@code spec.overhead}). A container that sets a limit but no request for a
 * resource requests its limit (the API server's defaulting).
 */
public final class PodRequests {
  private PodRequests() {}

  /** Told of a quantity that does not parse; it then counts as zero. */
  @FunctionalInterface
  public interface InvalidQuantities {
    /**
     * @param field where the quantity is, e.g. {@code container app requests.cpu}
     */
    void skipped(String field, InvalidQuantityException e);

    /** Throws instead of skipping. */
    InvalidQuantities THROW =
        (field, e) -> {
          throw new InvalidQuantityException(field + ": " + e.getMessage());
        };
  }

  /**
   * The effective requests of a pod, without the {@code pods} slot it also takes.
   *
   * @throws InvalidQuantityException naming the field when a quantity does not parse
   */
  public static Resources effective(PodSpec spec) {
    return effective(spec, InvalidQuantities.THROW);
  }

  /** As above; quantities that do not parse are reported to {@code invalid} and count as zero. */
  public static Resources effective(PodSpec spec, InvalidQuantities invalid) {
    if (spec == null) {
      return Resources.ZERO;
    }
    Resources apps = Resources.ZERO;
    for (Container c : nullSafe(spec.getContainers())) {
      apps = apps.plus(container(c, invalid));
    }
    Resources sidecars = Resources.ZERO;
    Resources initPeak = Resources.ZERO;
    for (Container c : nullSafe(spec.getInitContainers())) {
      Resources r = container(c, invalid);
      if (isSidecar(c)) {
        sidecars = sidecars.plus(r);
        initPeak = initPeak.max(sidecars);
      } else {
        initPeak = initPeak.max(sidecars.plus(r));
      }
    }
    Resources total = apps.plus(sidecars).max(initPeak);
    return total.plus(quantities(spec.getOverhead(), "spec.overhead", invalid));
  }

  /** As {@link #effective(PodSpec, InvalidQuantities)} plus the one {@code pods} slot. */
  public static Resources effectiveWithPodSlot(PodSpec spec, InvalidQuantities invalid) {
    return effective(spec, invalid).with(Resources.PODS, 1);
  }

  /** Whether an init container is a native sidecar: it keeps running beside the app. */
  public static boolean isSidecar(Container initContainer) {
    return "Always".equals(initContainer.getRestartPolicy());
  }

  /**
   * One container's requests; for a resource with a limit and no request, the limit.
   *
   * @throws InvalidQuantityException naming the field when a quantity does not parse
   */
  public static Resources container(Container c) {
    return container(c, InvalidQuantities.THROW);
  }

  private static Resources container(Container c, InvalidQuantities invalid) {
    if (c.getResources() == null) {
      return Resources.ZERO;
    }
    String where = "container " + c.getName();
    Map<String, Quantity> requests = c.getResources().getRequests();
    Map<String, Quantity> limits = c.getResources().getLimits();
    Resources.Builder b = Resources.builder();
    if (requests != null) {
      requests.forEach((name, q) -> put(b, name, q, where + " requests", invalid));
    }
    if (limits != null) {
      limits.forEach(
          (name, q) -> {
            if (requests == null || !requests.containsKey(name)) {
              put(b, name, q, where + " limits", invalid);
            }
          });
    }
    return b.build();
  }

  private static Resources quantities(
      Map<String, Quantity> q, String where, InvalidQuantities invalid) {
    if (q == null || q.isEmpty()) {
      return Resources.ZERO;
    }
    Resources.Builder b = Resources.builder();
    q.forEach((name, quantity) -> put(b, name, quantity, where, invalid));
    return b.build();
  }

  private static void put(
      Resources.Builder b, String name, Quantity q, String where, InvalidQuantities invalid) {
    if (q == null) {
      return;
    }
    try {
      b.put(name, Quantities.text(q));
    } catch (InvalidQuantityException bad) {
      invalid.skipped(where + "." + name, bad);
    }
  }

  private static <T> List<T> nullSafe(List<T> list) {
    return list == null ? List.of() : list;
  }
}
