package io.gleaner.broker.teams;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each team's share of the pool as metrics, tag {@code team}. Every broker replica reads the same
 * ledger and the same metadata pods, so each reports the whole federation: aggregate replicas with
 * {@code max}, not {@code sum} (core-hours count from each replica's start).
 */
public final class TeamMetrics {
  /** Gauge: the team's fair share of the pool (dominant-share units, 0..1). */
  public static final String FAIR_SHARE = "gleaner.team.fair.share";

  /** Gauge: the dominant share of the pool the team holds. */
  public static final String ACTUAL_SHARE = "gleaner.team.actual.share";

  /**
   * Gauge: the team's metadata pods waiting for the virtual node: bound to it and not placed, or
   * held at the fair-share gate ({@link PendingPods}).
   */
  public static final String PENDING_PODS = "gleaner.team.pending.pods";

  /** Counter: CPU core-hours the team's pods held. */
  public static final String CORE_HOURS = "gleaner.team.core.hours";

  private final MeterRegistry registry;
  private final TeamShareBook book;
  private final Map<String, TeamShareBook.Share> latest = new ConcurrentHashMap<>();
  private final Set<String> registered = ConcurrentHashMap.newKeySet();

  public TeamMetrics(MeterRegistry registry, TeamShareBook book) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.book = Objects.requireNonNull(book, "book");
  }

  /**
   * Publishes the figures of one update; a team seen once keeps its meters (at its last values).
   */
  public void update(List<TeamShareBook.Share> shares) {
    for (TeamShareBook.Share s : shares) {
      latest.put(s.team(), s);
      if (registered.add(s.team())) {
        register(s.team());
      }
    }
  }

  private void register(String team) {
    Gauge.builder(FAIR_SHARE, latest, m -> m.get(team).fair())
        .tag("team", team)
        .description("the team's fair share of the harvested pool (dominant share)")
        .register(registry);
    Gauge.builder(ACTUAL_SHARE, latest, m -> m.get(team).actual())
        .tag("team", team)
        .description("the dominant share of the harvested pool the team holds")
        .register(registry);
    Gauge.builder(PENDING_PODS, latest, m -> m.get(team).pendingPods())
        .tag("team", team)
        .description("the team's pods waiting for the virtual node (gated or bound, not placed)")
        .register(registry);
    FunctionCounter.builder(CORE_HOURS, book, b -> b.coreHours(team))
        .tag("team", team)
        .description("CPU core-hours the team's pods held")
        .register(registry);
  }
}
