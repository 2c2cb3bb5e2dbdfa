package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Gangs in the metadata cluster: which pods belong together and how many of them must run at once.
 * Two forms are recognized, as their projects define them:
 *
 * <ul>
 *   <li>Volcano: the pod annotation {@code scheduling.k8s.io/group-name} names a PodGroup {@code
 *       scheduling.volcano.sh/v1beta1} of the pod's namespace, whose {@code spec.minMember} is the
 *       minimum;
 *   <li>scheduler-plugins coscheduling: the pod label {@code scheduling.x-k8s.io/pod-group} names a
 *       PodGroup {@code scheduling.x-k8s.io/v1alpha1}, same field.
 * </ul>
 *
 * Pure functions: the caller reads the PodGroup.
 */
public final class Gangs {
  /** The coscheduling plugin's pod label. */
  public static final String COSCHEDULING_LABEL = "scheduling.x-k8s.io/pod-group";

  public static final String COSCHEDULING_API_VERSION = "scheduling.x-k8s.io/v1alpha1";

  private Gangs() {}

  /** Which project's PodGroup a gang is declared with. */
  public enum Flavor {
    VOLCANO(GleanerKeys.VOLCANO_PODGROUP_API_VERSION),
    COSCHEDULING(COSCHEDULING_API_VERSION);

    private final String apiVersion;

    Flavor(String apiVersion) {
      this.apiVersion = apiVersion;
    }

    /** The apiVersion of its PodGroup. */
    public String apiVersion() {
      return apiVersion;
    }
  }

  /**
   * A pod's membership: the PodGroup {@code group} in {@code namespace}.
   *
   * @param id the gang's federation-wide id, {@code <namespace>/<group>}
   */
  public record Membership(String namespace, String group, Flavor flavor) {
    public String id() {
      return namespace + "/" + group;
    }
  }

  /**
   * The gang a metadata pod belongs to, if any. A pod naming both forms is a Volcano gang (the
   * annotation is read first).
   */
  public static Optional<Membership> of(Pod pod) {
    if (pod == null || pod.getMetadata() == null) {
      return Optional.empty();
    }
    String ns = pod.getMetadata().getNamespace();
    Map<String, String> a = pod.getMetadata().getAnnotations();
    String volcano = a == null ? null : a.get(GleanerKeys.VOLCANO_GROUP_NAME);
    if (volcano != null && !volcano.isBlank()) {
      return Optional.of(new Membership(ns, volcano.trim(), Flavor.VOLCANO));
    }
    Map<String, String> l = pod.getMetadata().getLabels();
    String cosched = l == null ? null : l.get(COSCHEDULING_LABEL);
    if (cosched != null && !cosched.isBlank()) {
      return Optional.of(new Membership(ns, cosched.trim(), Flavor.COSCHEDULING));
    }
    return Optional.empty();
  }

  /**
   * A PodGroup's {@code spec.minMember}; 1 when absent (a group without a minimum is no gang).
   *
   * @throws IllegalArgumentException naming the PodGroup when minMember is not a positive integer
   */
  @SuppressWarnings("unchecked")
  public static int minMember(GenericKubernetesResource podGroup) {
    String where =
        "PodGroup "
            + podGroup.getMetadata().getNamespace()
            + "/"
            + podGroup.getMetadata().getName();
    Object spec = podGroup.getAdditionalProperties().get("spec");
    Object mm = spec instanceof Map<?, ?> m ? ((Map<String, Object>) m).get("minMember") : null;
    if (mm == null) {
      return 1;
    }
    int n;
    if (mm instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())) {
      n = num.intValue();
    } else {
      try {
        n = Integer.parseInt(mm.toString().trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            where + ": spec.minMember must be an integer, got \"" + mm + "\"", e);
      }
    }
    if (n < 1) {
      throw new IllegalArgumentException(where + ": spec.minMember must be at least 1, got " + n);
    }
    return n;
  }

  /** What to do with a gang's pods bound to the virtual node. */
  public sealed interface Readiness {
    /** Fewer than minMember are bound: none is placed yet. */
    record Waiting(int bound, int minMember) implements Readiness {
      /** The pod's condition message. */
      public String message(String gangId) {
        return "waiting for the gang "
            + gangId
            + ": "
            + bound
            + " of its minMember "
            + minMember
            + " pods are bound to the virtual node; none is placed before all are";
      }
    }

    /** Enough are bound: place {@code pods} together (sorted by name). */
    record Ready(List<Pod> pods) implements Readiness {
      public Ready {
        pods = List.copyOf(pods);
      }
    }
  }

  /** The pods of {@code bound} that are live: not deleted, not finished. */
  public static List<Pod> live(List<Pod> bound) {
    List<Pod> live = new ArrayList<>();
    for (Pod p : bound) {
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      if (p.getMetadata().getDeletionTimestamp() == null
          && !"Succeeded".equals(phase)
          && !"Failed".equals(phase)) {
        live.add(p);
      }
    }
    return live;
  }

  /**
   * Whether the gang may be placed: its bound, live pods (not deleted, not finished) against its
   * minimum. Pods already placed count: a gang that was placed whole may add members one by one.
   */
  public static Readiness readiness(List<Pod> bound, int minMember) {
    List<Pod> live = live(bound);
    if (live.size() < minMember) {
      return new Readiness.Waiting(live.size(), minMember);
    }
    live.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    return new Readiness.Ready(live);
  }
}
