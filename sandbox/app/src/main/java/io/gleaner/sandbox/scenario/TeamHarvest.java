package io.gleaner.sandbox.scenario;

import java.util.Map;
import java.util.TreeMap;

/**
 * How the teams shared what a sandbox run harvested, against their weights (the GleanerPolicy's
 * {@code spec.teams}).
 *
 * @param teams per team name
 * @param jainIndex Jain's fairness index of the teams' weighted shares ({@code actual ÷ fair}): 1
 *     when every team got exactly its weight's part, 1/n when one team got everything; 0 when
 *     nothing was harvested
 */
public record TeamHarvest(Map<String, Team> teams, double jainIndex) {

  /**
   * One team's part of the harvest.
   *
   * @param weight its weight in the policy
   * @param harvestedCoreHours CPU core-hours its member pods ran (simulated clock)
   * @param fairShare its weight over the sum of the weights
   * @param actualShare its core-hours over all teams' core-hours
   * @param actualOverFair {@code actualShare ÷ fairShare}: 1 is exactly fair
   * @param samplesWithNoneWaiting samples at which none of its pods waited for room (it was not
   *     backlogged then, so it could not have taken more)
   * @param minWaiting the fewest of its pods waiting at any sample
   */
  public record Team(
      double weight,
      double harvestedCoreHours,
      double fairShare,
      double actualShare,
      double actualOverFair,
      long samplesWithNoneWaiting,
      long minWaiting) {}

  /**
   * The shares of teams of {@code weights} that harvested {@code coreHours} (a team absent
   * harvested nothing), with their backlog's samples.
   */
  public static TeamHarvest of(
      Map<String, Double> weights,
      Map<String, Double> coreHours,
      Map<String, Long> samplesWithNoneWaiting,
      Map<String, Long> minWaiting) {
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
              round(ratio, 1000),
              samplesWithNoneWaiting.getOrDefault(e.getKey(), 0L),
              minWaiting.getOrDefault(e.getKey(), 0L)));
    }
    double jain = sumSquares > 0 ? sum * sum / (weights.size() * sumSquares) : 0;
    return new TeamHarvest(out, round(jain, 1000));
  }

  private static double round(double v, double scale) {
    return Math.round(v * scale) / scale;
  }
}
