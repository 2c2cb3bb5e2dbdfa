package io.gleaner.cli.service;

import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberHealth;
import io.gleaner.meta.registry.MemberRegistry;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the dashboard shows of the member registry: every member, and why the unhealthy ones are.
 */
public final class MemberViews {
  private MemberViews() {}

  public static Set<String> names(MemberRegistry registry) {
    Set<String> names = new TreeSet<>();
    for (MemberHandle m : registry.members()) {
      names.add(m.name());
    }
    return names;
  }

  /** The members that may offer capacity: every usable member but those leaving the federation. */
  public static Set<String> lending(MemberRegistry registry) {
    Set<String> names = new TreeSet<>();
    for (MemberHandle m : registry.members()) {
      if (!m.isLeaving()) {
        names.add(m.name());
      }
    }
    return names;
  }

  public static Map<String, String> problems(MemberRegistry registry) {
    Map<String, String> out = new TreeMap<>();
    for (MemberHandle m : registry.members()) {
      MemberHealth h = m.health();
      if (!h.healthy()) {
        out.put(
            m.name(),
            h.breakerOpen()
                ? "circuit breaker open: " + h.lastError().orElse("no answer")
                : h.lastError().orElse("no recent answer"));
      }
    }
    return out;
  }
}
