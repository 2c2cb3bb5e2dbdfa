package io.gleaner.meta.fair;

import io.gleaner.meta.resources.Resources;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One team that shares the harvested pool: the namespaces whose pods are its own, its weight, what
 * it is guaranteed and what it may never exceed. Built from {@code GleanerPolicy.spec.teams} by
 * {@code GleanerPolicySpec.effective()}, which also makes the default team.
 *
 * @param name the team's name
 * @param namespaces the metadata namespaces of the team; empty for the default team, which takes
 *     every namespace no other team lists
 * @param weight relative share of the pool, greater than 0
 * @param guarantee placed before any team's fair turn while the team holds less (zero: none)
 * @param cap per resource, the most the team may hold at once, in canonical units ({@link
 *     Resources}); a resource absent from the map has no cap, and 0 means none of it
 */
public record Team(
    String name,
    Set<String> namespaces,
    double weight,
    Resources guarantee,
    Map<String, Long> cap) {

  /** The resources whose shares count: a team's dominant share is the largest of these. */
  public static final Set<String> RESOURCES =
      Collections.unmodifiableSet(
          new TreeSet<>(Set.of(Resources.CPU, Resources.MEMORY, Resources.GPU)));

  public Team {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(guarantee, "guarantee");
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("team " + name + ": weight must be > 0, got " + weight);
    }
    namespaces = Collections.unmodifiableSet(new TreeSet<>(namespaces));
    cap = Collections.unmodifiableMap(new TreeMap<>(cap));
  }

  /** A team with a weight and neither guarantee nor cap. */
  public static Team of(String name, double weight, String... namespaces) {
    return new Team(name, Set.of(namespaces), weight, Resources.ZERO, Map.of());
  }

  /** This team with {@code guarantee}. */
  public Team withGuarantee(Resources guarantee) {
    return new Team(name, namespaces, weight, guarantee, cap);
  }

  /** This team with {@code cap} (canonical units, see {@link Resources}). */
  public Team withCap(Map<String, Long> cap) {
    return new Team(name, namespaces, weight, guarantee, cap);
  }

  /** The capped resources for which {@code usage} is above the cap; empty when within it. */
  public Set<String> overCap(Resources usage) {
    Set<String> over = new TreeSet<>();
    for (Map.Entry<String, Long> c : cap.entrySet()) {
      if (usage.get(c.getKey()) > c.getValue()) {
        over.add(c.getKey());
      }
    }
    return over;
  }

  /**
   * True when the team holds less than its guarantee of some resource that {@code request} uses.
   */
  public boolean belowGuarantee(Resources usage, Resources request) {
    for (String r : guarantee.names()) {
      if (request.get(r) > 0 && usage.get(r) < guarantee.get(r)) {
        return true;
      }
    }
    return false;
  }
}
