package io.gleaner.meta.fair;

import io.gleaner.meta.resources.Resources;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each team's fair share of the pool and the share it actually holds, in dominant-share units (the
 * fraction of the pool's cpu, memory or GPUs that is largest for the team, see {@link
 * Shares#dominant}).
 *
 * <p>The fair share is weighted max-min fair over demand (water-filling): the pool is filled at one
 * level per unit of weight, a team never gets more than it asks for (what it holds plus what waits,
 * held back at its cap) and gets at least its guarantee (as far as it asks for it); what a team
 * does not ask for goes to the others, in proportion to their weights. When guarantees alone exceed
 * the pool, each team gets its guarantee scaled down alike. The shares of all teams sum to at most
 * 1; a team that asks for nothing has fair share 0.
 */
public final class FairShares {
  private FairShares() {}

  /**
   * One team's shares.
   *
   * @param team the team's name
   * @param weight its weight
   * @param fair its fair share of the pool
   * @param actual the dominant share it holds
   * @param demand the dominant share of what it holds and what waits, within its cap
   */
  public record Share(String team, double weight, double fair, double actual, double demand) {}

  /**
   * @param pool the harvested capacity the teams share
   * @param teams the policy's teams
   * @param usage what each team (by name) holds; absent: nothing
   * @param waiting the sum of the requests of each team's waiting pods; absent: none
   * @return every team's shares, in the order of {@link Teams#all()}
   */
  public static Map<String, Share> compute(
      Resources pool, Teams teams, Map<String, Resources> usage, Map<String, Resources> waiting) {
    List<Team> all = teams.all();
    int n = all.size();
    double[] w = new double[n];
    double[] g = new double[n];
    double[] d = new double[n];
    double[] actual = new double[n];
    double sumD = 0;
    double sumG = 0;
    for (int i = 0; i < n; i++) {
      Team t = all.get(i);
      Resources held = usage.getOrDefault(t.name(), Resources.ZERO);
      Resources asked = held.plus(waiting.getOrDefault(t.name(), Resources.ZERO));
      w[i] = t.weight();
      actual[i] = Shares.dominant(held, pool);
      d[i] = Shares.dominant(withinCap(asked, t), pool);
      g[i] = Math.min(d[i], Shares.dominant(t.guarantee(), pool));
      sumD += d[i];
      sumG += g[i];
    }
    double[] fair = new double[n];
    if (sumD <= 1) {
      System.arraycopy(d, 0, fair, 0, n);
    } else if (sumG >= 1) {
      for (int i = 0; i < n; i++) {
        fair[i] = g[i] / sumG;
      }
    } else {
      double lo = 0;
      double hi = 0;
      for (int i = 0; i < n; i++) {
        hi = Math.max(hi, d[i] / w[i]);
      }
      for (int iter = 0; iter < 200 && hi - lo > 1e-15 * Math.max(1, hi); iter++) {
        double mid = (lo + hi) / 2;
        if (filled(mid, w, g, d) < 1) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      for (int i = 0; i < n; i++) {
        fair[i] = level(hi, w[i], g[i], d[i]);
      }
    }
    Map<String, Share> out = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      Team t = all.get(i);
      out.put(t.name(), new Share(t.name(), w[i], fair[i], actual[i], d[i]));
    }
    return out;
  }

  private static double filled(double lambda, double[] w, double[] g, double[] d) {
    double sum = 0;
    for (int i = 0; i < w.length; i++) {
      sum += level(lambda, w[i], g[i], d[i]);
    }
    return sum;
  }

  private static double level(double lambda, double w, double g, double d) {
    return Math.min(d, Math.max(g, w * lambda));
  }

  /** {@code asked}, each capped resource held back at the team's cap. */
  static Resources withinCap(Resources asked, Team team) {
    Resources out = asked;
    for (Map.Entry<String, Long> c : team.cap().entrySet()) {
      if (out.get(c.getKey()) > c.getValue()) {
        out = out.with(c.getKey(), c.getValue());
      }
    }
    return out;
  }
}
