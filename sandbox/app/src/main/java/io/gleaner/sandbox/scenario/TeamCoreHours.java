package io.gleaner.sandbox.scenario;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Integrates each team's harvested CPU over a sandbox run, sample by sample, twice: over the whole
 * run, and over the span in which every team is backlogged (has at least one pod waiting for
 * harvested room), the span the fairness target is stated for.
 *
 * <p>As in {@link io.gleaner.sim.accounting.ResourceHours}, the CPU running at a sample is taken to
 * have run since the previous sample (the first sample counts from the start). An interval counts
 * for the backlogged span when every team had a pod waiting at the sample that opens it and at the
 * sample that closes it; the span so starts at the first sample at which every team waits, and an
 * interval after it in which some team had none waiting is left out (that team could not have taken
 * more then).
 *
 * <p>Not thread-safe; the sandbox samples from one thread.
 */
public final class TeamCoreHours {
  private final Map<String, Double> weights;
  private final long startMillis;
  private long lastMillis;
  private boolean lastAllWaiting;
  private long samples;
  private long backloggedSamples;
  private long intervalsLeftOut;
  private long firstBackloggedMillis = -1;
  private double backloggedHours;
  private final Map<String, Double> wholeRun = new TreeMap<>();
  private final Map<String, Double> backlogged = new TreeMap<>();
  private final Map<String, Long> samplesWithNoneWaiting = new TreeMap<>();
  private final Map<String, Long> minWaiting = new TreeMap<>();

  /** Teams of {@code weights} (by name), counted from {@code startMillis} of the run's clock. */
  public TeamCoreHours(Map<String, Double> weights, long startMillis) {
    this.weights = Map.copyOf(Objects.requireNonNull(weights, "weights"));
    this.startMillis = startMillis;
    this.lastMillis = startMillis;
  }

  /** The teams counted. */
  public Set<String> teams() {
    return weights.keySet();
  }

  /**
   * One sample at {@code nowMillis}: each team's pods waiting for room and the CPU (millicores) of
   * its pods running on members; a team absent from a map has none.
   */
  public void sample(
      long nowMillis, Map<String, Long> waitingByTeam, Map<String, Long> runningCpuMillisByTeam) {
    double hours = Math.max(0, nowMillis - lastMillis) / 3_600_000.0;
    lastMillis = Math.max(lastMillis, nowMillis);
    boolean allWaiting = true;
    for (String team : weights.keySet()) {
      long waiting = waitingByTeam.getOrDefault(team, 0L);
      allWaiting &= waiting > 0;
      samplesWithNoneWaiting.merge(team, waiting == 0 ? 1L : 0L, Long::sum);
      minWaiting.merge(team, waiting, Math::min);
    }
    boolean counts = samples > 0 && lastAllWaiting && allWaiting;
    for (String team : weights.keySet()) {
      double coreHours = runningCpuMillisByTeam.getOrDefault(team, 0L) / 1000.0 * hours;
      wholeRun.merge(team, coreHours, Double::sum);
      if (counts) {
        backlogged.merge(team, coreHours, Double::sum);
      }
    }
    if (counts) {
      backloggedHours += hours;
    } else if (firstBackloggedMillis >= 0) {
      intervalsLeftOut++;
    }
    if (allWaiting) {
      backloggedSamples++;
      if (firstBackloggedMillis < 0) {
        firstBackloggedMillis = nowMillis;
      }
    }
    lastAllWaiting = allWaiting;
    samples++;
  }

  /** The teams' shares so far. */
  public TeamHarvest harvest() {
    TeamHarvest.Span backloggedSpan =
        TeamHarvest.Span.of(
            weights,
            backlogged,
            firstBackloggedMillis < 0 ? -1 : (firstBackloggedMillis - startMillis) / 3_600_000.0,
            backloggedHours,
            backloggedSamples,
            intervalsLeftOut);
    TeamHarvest.Span whole =
        TeamHarvest.Span.of(
            weights, wholeRun, 0, Math.max(0, lastMillis - startMillis) / 3_600_000.0, samples, 0);
    Map<String, TeamHarvest.Backlog> backlogs = new TreeMap<>();
    for (String team : weights.keySet()) {
      backlogs.put(
          team,
          new TeamHarvest.Backlog(
              samplesWithNoneWaiting.getOrDefault(team, 0L), minWaiting.getOrDefault(team, 0L)));
    }
    return new TeamHarvest(backloggedSpan, whole, backlogs);
  }
}
