package io.gleaner.meta.fair;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every team of the policy and the default team, which takes every namespace no team lists.
 * Immutable.
 */
public final class Teams {
  private final List<Team> declared;
  private final Team defaultTeam;
  private final Map<String, Team> byNamespace = new HashMap<>();
  private final Map<String, Team> byName = new HashMap<>();

  /**
   * @param declared the teams the policy lists, in its order, the default team excluded
   * @param defaultTeam where pods of every other namespace belong; it lists no namespaces
   * @throws IllegalArgumentException when two teams share a name or a namespace
   */
  public Teams(List<Team> declared, Team defaultTeam) {
    this.declared = List.copyOf(declared);
    this.defaultTeam = Objects.requireNonNull(defaultTeam, "defaultTeam");
    if (!defaultTeam.namespaces().isEmpty()) {
      throw new IllegalArgumentException("the default team lists no namespaces");
    }
    byName.put(defaultTeam.name(), defaultTeam);
    for (Team t : this.declared) {
      if (byName.put(t.name(), t) != null) {
        throw new IllegalArgumentException("two teams are named " + t.name());
      }
      for (String ns : t.namespaces()) {
        Team other = byNamespace.put(ns, t);
        if (other != null) {
          throw new IllegalArgumentException(
              "namespace " + ns + " is in teams " + other.name() + " and " + t.name());
        }
      }
    }
  }

  /** Only the default team. */
  public static Teams only(Team defaultTeam) {
    return new Teams(List.of(), defaultTeam);
  }

  /** The teams the policy lists, in its order, the default team excluded. */
  public List<Team> declared() {
    return declared;
  }

  /** The team of every namespace no declared team lists. */
  public Team defaultTeam() {
    return defaultTeam;
  }

  /** The team a pod of {@code namespace} belongs to. */
  public Team of(String namespace) {
    return byNamespace.getOrDefault(namespace, defaultTeam);
  }

  /** The team named {@code name}, or null. */
  public Team named(String name) {
    return byName.get(name);
  }

  /** The declared teams, then the default team. */
  public List<Team> all() {
    List<Team> all = new ArrayList<>(declared);
    all.add(defaultTeam);
    return Collections.unmodifiableList(all);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Teams t && declared.equals(t.declared) && defaultTeam.equals(t.defaultTeam);
  }

  @Override
  public int hashCode() {
    return Objects.hash(declared, defaultTeam);
  }

  @Override
  public String toString() {
    return "Teams" + all();
  }
}
