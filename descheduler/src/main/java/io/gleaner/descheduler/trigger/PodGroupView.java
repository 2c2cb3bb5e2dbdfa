package io.gleaner.descheduler.trigger;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.gleaner.meta.resources.Resources;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Volcano PodGroup ({@code scheduling.volcano.sh/v1beta1}) read from a generic resource.
 *
 * @param pendingUnschedulable phase Pending or Inqueue with a condition {@code Unschedulable} that
 *     is True
 */
public record PodGroupView(
    String key, int minMember, Resources minResources, String phase, boolean pendingUnschedulable) {

  /**
   * Reads a PodGroup.
   *
   * @throws IllegalArgumentException naming the PodGroup and field when spec.minMember or
   *     minResources is malformed
   */
  @SuppressWarnings("unchecked")
  public static PodGroupView of(GenericKubernetesResource pg) {
    String key = pg.getMetadata().getNamespace() + "/" + pg.getMetadata().getName();
    Map<String, Object> props = pg.getAdditionalProperties();
    Map<String, Object> spec =
        props.get("spec") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    Map<String, Object> status =
        props.get("status") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    int minMember;
    Object mm = spec.get("minMember");
    if (mm == null) {
      minMember = 0;
    } else if (mm instanceof Number n) {
      minMember = n.intValue();
    } else {
      try {
        minMember = Integer.parseInt(mm.toString());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "PodGroup " + key + ": spec.minMember must be an integer, got \"" + mm + "\"", e);
      }
    }
    Resources minResources = Resources.ZERO;
    if (spec.get("minResources") instanceof Map<?, ?> mr) {
      Map<String, String> q = new LinkedHashMap<>();
      mr.forEach((k, v) -> q.put(String.valueOf(k), String.valueOf(v)));
      try {
        minResources = Resources.parse(q);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "PodGroup " + key + ": spec.minResources: " + e.getMessage(), e);
      }
    }
    String phase = status.get("phase") == null ? "" : status.get("phase").toString();
    boolean unschedulable = false;
    if (status.get("conditions") instanceof List<?> conds) {
      for (Object o : conds) {
        if (o instanceof Map<?, ?> c
            && "Unschedulable".equals(c.get("type"))
            && "True".equals(c.get("status"))) {
          unschedulable = true;
        }
      }
    }
    boolean pending = phase.equals("Pending") || phase.equals("Inqueue");
    return new PodGroupView(key, minMember, minResources, phase, pending && unschedulable);
  }

  /**
   * The gang's tasks when its pods do not exist yet: minMember equal shares of minResources,
   * rounded up.
   */
  public List<Resources> virtualTasks() {
    int n = Math.max(1, minMember);
    Map<String, Long> share = new LinkedHashMap<>();
    for (String name : minResources.names()) {
      share.put(name, (minResources.get(name) + n - 1) / n);
    }
    Resources task = Resources.ofCanonical(share).with(Resources.PODS, 1);
    return java.util.Collections.nCopies(n, task);
  }
}
