package io.gleaner.broker.teams;

import io.gleaner.meta.fair.FairShares;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.resources.Resources;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Each team's share of the harvested pool as the broker sees it: its fair share (weighted max-min
 * fair over what every team holds and what waits, {@link FairShares}), the share it holds, its
 * pending pods, and the CPU core-hours its pods held since this broker started (integrated over the
 * broker's clock between updates, each update's holdings counting until the next). Thread-safe.
 */
public final class TeamShareBook {
  /** A pod of a metadata namespace and its effective requests. */
  public record PodDemand(String namespace, Resources requests) {
    public PodDemand {
      namespace = namespace == null ? "" : namespace;
      Objects.requireNonNull(requests, "requests");
    }
  }

  /**
   * One team's figures.
   *
   * @param fair its fair share, in dominant-share units
   * @param actual the dominant share it holds
   * @param pendingPods its metadata pods waiting for the virtual node (bound and not placed, or
   *     held at the fair-share gate: {@link PendingPods})
   * @param coreHours CPU core-hours its pods held since the broker started
   * @param held what it holds (placed and reserved)
   * @param waiting the sum of the requests of its pending pods
   */
  public record Share(
      String team,
      double weight,
      double fair,
      double actual,
      long pendingPods,
      double coreHours,
      Resources held,
      Resources waiting,
      Resources guarantee) {}

  private final Clock clock;
  private final Map<String, Double> hours = new TreeMap<>();
  private Map<String, Long> cpuMillis = Map.of();
  private long lastMillis;
  private List<Share> shares = List.of();

  public TeamShareBook(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.lastMillis = clock.millis();
  }

  /**
   * Takes what the teams hold and what waits now; returns every team's figures, in the order of
   * {@link Teams#all()}.
   *
   * @param pool the harvested capacity the teams share
   * @param held the placements (reserved or confirmed), by metadata namespace
   * @param waiting the metadata pods waiting for room
   */
  public synchronized List<Share> update(
      Resources pool, Teams teams, Collection<PodDemand> held, Collection<PodDemand> waiting) {
    advance();
    Map<String, Resources> usage = new HashMap<>();
    for (PodDemand p : held) {
      usage.merge(teams.of(p.namespace()).name(), p.requests(), Resources::plus);
    }
    Map<String, Resources> wait = new HashMap<>();
    Map<String, Long> pending = new HashMap<>();
    for (PodDemand p : waiting) {
      String t = teams.of(p.namespace()).name();
      wait.merge(t, p.requests(), Resources::plus);
      pending.merge(t, 1L, Long::sum);
    }
    Map<String, Long> rate = new HashMap<>();
    usage.forEach((t, r) -> rate.put(t, r.cpuMillis()));
    cpuMillis = rate;
    Map<String, FairShares.Share> fair = FairShares.compute(pool, teams, usage, wait);
    List<Share> out = new ArrayList<>();
    for (Team t : teams.all()) {
      FairShares.Share f = fair.get(t.name());
      out.add(
          new Share(
              t.name(),
              t.weight(),
              f.fair(),
              f.actual(),
              pending.getOrDefault(t.name(), 0L),
              hours.getOrDefault(t.name(), 0.0),
              usage.getOrDefault(t.name(), Resources.ZERO),
              wait.getOrDefault(t.name(), Resources.ZERO),
              t.guarantee()));
    }
    shares = List.copyOf(out);
    return shares;
  }

  /** The figures of the last update, core-hours counted up to now. */
  public synchronized List<Share> shares() {
    advance();
    List<Share> out = new ArrayList<>(shares.size());
    for (Share s : shares) {
      out.add(
          new Share(
              s.team(),
              s.weight(),
              s.fair(),
              s.actual(),
              s.pendingPods(),
              hours.getOrDefault(s.team(), 0.0),
              s.held(),
              s.waiting(),
              s.guarantee()));
    }
    return out;
  }

  /** CPU core-hours {@code team}'s pods held up to now. */
  public synchronized double coreHours(String team) {
    advance();
    return hours.getOrDefault(team, 0.0);
  }

  private void advance() {
    long now = clock.millis();
    double h = Math.max(0, now - lastMillis) / 3_600_000.0;
    lastMillis = Math.max(lastMillis, now);
    cpuMillis.forEach((t, m) -> hours.merge(t, m / 1000.0 * h, Double::sum));
  }
}
