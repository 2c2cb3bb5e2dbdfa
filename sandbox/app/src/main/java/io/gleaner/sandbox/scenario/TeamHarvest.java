package io.gleaner.sandbox.scenario;

import java.util.Map;
import java.util.TreeMap;

/**
 * How the teams shared what a sandbox run harvested, against their weights (the GleanerPolicy's
 * {@code spec.teams}), counted by {@link TeamCoreHours}.
 *
 * @param whileAllBacklogged the core-hours harvested while every team had pods the virtual node had
 *     not taken yet (held at the fair-share gate), from the first sample at which all did (the
 *     issue's target is for backlogged teams: a team with nothing waiting cannot be given its
 *     share)
 * @param wholeRun the core-hours of the whole run, including the first fill, which goes in arrival
 *     order while the pool exceeds what the teams have submitted
 * @param backlogs per team, how often it had nothing waiting
 */
public record TeamHarvest(Span whileAllBacklogged, Span wholeRun, Map<String, Backlog> backlogs) {

  /**
   * The teams' shares of the core-hours harvested over one span of the run.
   *
   * @param startsAtSimulatedHours where the span starts, in simulated hours from the start of the
   *     run (-1 when no sample saw every team waiting)
   * @param simulatedHours the simulated hours counted
   * @param samples the samples in it
   * @param intervalsLeftOut intervals between samples after its start not counted because some team
   *     had no pod waiting at either end
   * @param teams per team name
   * @param jainIndex Jain's fairness index of the teams' weighted shares ({@code actual ÷ fair}): 1
   *     when every team got exactly its weight's part, 1/n when one team got everything; 0 when
   *     nothing was harvested
   */
  public record Span(
      double startsAtSimulatedHours,
      double simulatedHours,
      long samples,
      long intervalsLeftOut,
      Map<String, Team> teams,
      double jainIndex) {

    /**
     * The shares of teams of {@code weights} that harvested {@code coreHours} (a team absent
     * harvested nothing).
     */
    public static Span of(
        Map<String, Double> weights,
        Map<String, Double> coreHours,
        double startsAtSimulatedHours,
        double simulatedHours,
        long samples,
        long intervalsLeftOut) {
      double weightSum = weights.values().stream().mapToDouble(Double::doubleValue).sum();
      double hoursSum = 0;
      for (String t : weights.keySet()) {
        hoursSum += coreHours.getOrDefault(t, 0.0);
      }
      Map<String, Team> out = new TreeMap<>();
      double sum = 0;
      double sumSquares = 0;
      for (Map.Entry<String, Double> e : weights.entrySet()) {
        double hours = coreHours.getOrDefault(e.getKey(), 0.0);
        double fair = weightSum > 0 ? e.getValue() / weightSum : 0;
        double actual = hoursSum > 0 ? hours / hoursSum : 0;
        double ratio = fair > 0 ? actual / fair : 0;
        sum += ratio;
        sumSquares += ratio * ratio;
        out.put(
            e.getKey(),
            new Team(
                e.getValue(),
                round(hours, 100),
                round(fair, 1000),
                round(actual, 1000),
                round(ratio, 1000)));
      }
      double jain = sumSquares > 0 ? sum * sum / (weights.size() * sumSquares) : 0;
      return new Span(
          startsAtSimulatedHours < 0 ? -1 : round(startsAtSimulatedHours, 1000),
          round(simulatedHours, 1000),
          samples,
          intervalsLeftOut,
          out,
          round(jain, 1000));
    }
  }

  /**
   * One team's part of a span's harvest.
   *
   * @param weight its weight in the policy
   * @param harvestedCoreHours CPU core-hours its member pods ran (simulated clock)
   * @param fairShare its weight over the sum of the weights
   * @param actualShare its core-hours over all teams' core-hours
   * @param actualOverFair {@code actualShare ÷ fairShare}: 1 is exactly fair
   */
  public record Team(
      double weight,
      double harvestedCoreHours,
      double fairShare,
      double actualShare,
      double actualOverFair) {}

  /**
   * How a team's backlog held over the whole run.
   *
   * @param samplesWithNoneWaiting samples at which none of its pods waited to be taken by the
   *     virtual node (it was not backlogged then, so it could not have taken more)
   * @param minWaiting the fewest of its pods waiting at any sample
   */
  public record Backlog(long samplesWithNoneWaiting, long minWaiting) {}

  private static double round(double v, double scale) {
    return Math.round(v * scale) / scale;
  }
}
