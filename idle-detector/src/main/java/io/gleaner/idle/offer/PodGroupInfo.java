package io.gleaner.idle.offer;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A Volcano PodGroup ({@code scheduling.volcano.sh/v1beta1}): a gang that is scheduled all or
 * nothing.
 *
 * @param phase {@code status.phase}: Pending, Inqueue, Running, Unknown, Completed
 * @param minMember {@code spec.minMember}: how many tasks must run together (0 when absent)
 * @param minResources {@code spec.minResources}: what those tasks need in total
 * @param priority the value of its PriorityClass, 0 when unknown
 */
public record PodGroupInfo(
    String namespace,
    String name,
    String phase,
    int minMember,
    Resources minResources,
    int priority,
    Instant created) {

  public PodGroupInfo {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    phase = phase == null ? "" : phase;
    minResources = minResources == null ? Resources.ZERO : minResources;
    created = created == null ? Instant.EPOCH : created;
    if (minMember < 0) {
      throw new IllegalArgumentException(
          "PodGroup "
              + namespace
              + "/"
              + name
              + ": spec.minMember must not be negative, got "
              + minMember);
    }
  }

  /**
   * A gang that waits for resources: phase Pending or Inqueue (a missing phase counts as Pending).
   */
  public boolean waiting() {
    String p = phase.toLowerCase(Locale.ROOT);
    return p.isEmpty() || p.equals("pending") || p.equals("inqueue");
  }

  public String key() {
    return namespace + "/" + name;
  }
}
