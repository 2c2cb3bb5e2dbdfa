package io.gleaner.broker.model;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A member's ResourceQuota as placement reads it: what it allows and what it counts as used, in the
 * canonical units of pod resources ({@code cpu} in millicores, {@code memory} in bytes, {@code
 * pods} in pods, any other requested resource by its own name), and the Gleaner classes whose
 * member pods it matches (its scopes against the class's PriorityClass).
 *
 * @param namespace the member namespace it is in
 * @param name its name
 * @param hard the most the matching pods may request together, per resource
 * @param used what the matching pods request now, as the member's quota controller counts it
 * @param classes the classes whose member pods the quota matches
 */
public record MemberQuota(
    String namespace,
    String name,
    Map<String, Long> hard,
    Map<String, Long> used,
    Set<WorkloadClass> classes) {
  public MemberQuota {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    hard = Map.copyOf(hard);
    used = Map.copyOf(used);
    classes = classes.isEmpty() ? Set.of() : Set.copyOf(classes);
  }

  /** What the quota leaves of {@code resource} before reservations: hard − used. */
  public long room(String resource) {
    return hard.get(resource) - used.getOrDefault(resource, 0L);
  }
}
