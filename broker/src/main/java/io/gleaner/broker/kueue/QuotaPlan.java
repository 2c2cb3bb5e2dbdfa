package io.gleaner.broker.kueue;

import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which Kueue ResourceFlavors point at the virtual node, and the {@code nominalQuota} each of their
 * resources should have in a ClusterQueue: the harvested capacity, changed only when it moved by
 * more than a band (hysteresis) so the quota does not churn with every offer. Pure: works on the
 * objects' maps.
 */
public final class QuotaPlan {
  /** The resources whose quota follows the harvest; others in a ClusterQueue are left alone. */
  public static final Set<String> RESOURCES =
      Set.of(Resources.CPU, Resources.MEMORY, Resources.GPU);

  private QuotaPlan() {}

  /**
   * Whether a ResourceFlavor's {@code spec.nodeLabels} select the virtual node: non-empty, and each
   * label is one of the node's.
   */
  public static boolean pointsAt(Map<String, String> flavorNodeLabels, Map<String, String> node) {
    if (flavorNodeLabels == null || flavorNodeLabels.isEmpty()) {
      return false;
    }
    return flavorNodeLabels.entrySet().stream()
        .allMatch(e -> e.getValue() != null && e.getValue().equals(node.get(e.getKey())));
  }

  /**
   * The quota to write for {@code resource}, or null to keep {@code current}: the harvested amount,
   * when {@code current} is absent, unreadable, or differs from it by more than {@code band} of the
   * larger of the two.
   *
   * @param current the ClusterQueue's nominalQuota now (a Kubernetes quantity), or null
   * @param harvested the harvested capacity, canonical units ({@link Resources})
   */
  public static String next(String resource, String current, long harvested, double band) {
    String target = Quantities.format(resource, Math.max(0, harvested));
    if (current == null) {
      return target;
    }
    long now;
    try {
      now = Quantities.parseCanonical(resource, current);
    } catch (RuntimeException e) {
      return target;
    }
    long diff = Math.abs(now - harvested);
    long larger = Math.max(Math.abs(now), Math.max(0, harvested));
    if (diff == 0 || diff <= band * larger) {
      return null;
    }
    return target;
  }

  /**
   * Updates, in place, the quotas of {@code flavors} in one ClusterQueue's {@code spec}; returns
   * the changes made ({@code flavor/resource: old -> new}), empty when nothing moved past the band.
   */
  @SuppressWarnings("unchecked")
  public static List<String> apply(
      Map<String, Object> spec, Set<String> flavors, Resources harvested, double band) {
    List<String> changes = new ArrayList<>();
    if (spec == null || !(spec.get("resourceGroups") instanceof List<?> groups)) {
      return changes;
    }
    for (Object g : groups) {
      if (!(g instanceof Map<?, ?> group) || !(group.get("flavors") instanceof List<?> fl)) {
        continue;
      }
      for (Object f : fl) {
        if (!(f instanceof Map<?, ?> flavor)
            || !flavors.contains(String.valueOf(flavor.get("name")))
            || !(flavor.get("resources") instanceof List<?> resources)) {
          continue;
        }
        for (Object r : resources) {
          if (!(r instanceof Map<?, ?> res)
              || !RESOURCES.contains(String.valueOf(res.get("name")))) {
            continue;
          }
          String name = String.valueOf(res.get("name"));
          Object cur = res.get("nominalQuota");
          String next =
              next(name, cur == null ? null : String.valueOf(cur), harvested.get(name), band);
          if (next != null) {
            ((Map<String, Object>) res).put("nominalQuota", next);
            changes.add(flavor.get("name") + "/" + name + ": " + cur + " -> " + next);
          }
        }
      }
    }
    return changes;
  }
}
