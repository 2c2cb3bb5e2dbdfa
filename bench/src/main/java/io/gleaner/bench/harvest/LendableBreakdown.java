package io.gleaner.bench.harvest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where one design's lendable core-hours went, by cause: used by Gleaner's pods, or left unused
 * because the node was in the idle wait, cooling down after a return, draining (its breach due now,
 * no waiting pod declaring a run time that ends before it, or such a pod waiting), held back for
 * the node's own forecast peak, too small for any waiting pod (a fragment), or otherwise unfilled.
 * A second split says, for the draining room left unused, whether the node was returned within the
 * lead time of that minute (the forecast was right that online work needed it), later, or not by
 * the end of the day (the forecast's margin kept it). Amounts are CPU millicores × step seconds;
 * the caller hands in the ground truth of each node-minute. Pure; not thread-safe.
 */
final class LendableBreakdown {
  /** The causes, in the order they are reported; every lendable core-hour is in exactly one. */
  static final List<String> CAUSES =
      List.of(
          "used",
          "idle_wait",
          "cooling_down",
          "active",
          "draining_breach_due",
          "draining_no_pod_short_enough",
          "draining_pod_waiting",
          "forecast_peak",
          "fragment",
          "unfilled_other");

  /** What became of the draining room left unused, in the order reported. */
  static final List<String> DRAINING_OUTCOMES =
      List.of("returned_within_lead_time", "returned_later", "not_returned");

  /** The state of a node in a minute, as the detector has it. */
  enum Kind {
    LENT,
    IDLE_WAIT,
    COOLING_DOWN,
    ACTIVE
  }

  /**
   * One node in one step.
   *
   * @param node the node's index
   * @param lendableMillis the ground truth: CPU that could have been lent (after the margin)
   * @param gleanerMillis CPU requested by Gleaner's pods running there
   * @param kind the detector's state of the node
   * @param draining lent and draining (takes only pods that end before its breach)
   * @param roomLeftS seconds until its forecast room runs out ({@link Long#MAX_VALUE}: not within
   *     the forecast's horizon, or no forecast)
   * @param forecastHoldMillis CPU the offer keeps back for the node's own forecast peak
   * @param freeMillis CPU a new pod could take there now (the offer after its margin, less the pods
   *     placed there)
   */
  record NodeStep(
      int node,
      double lendableMillis,
      long gleanerMillis,
      Kind kind,
      boolean draining,
      long roomLeftS,
      long forecastHoldMillis,
      long freeMillis) {}

  /**
   * The waiting pods, as a draining or fragmented node sees them.
   *
   * @param cpuMillis the CPU sizes waiting pods request, ascending
   * @param shortestDeclaredS per size, the shortest run time a waiting pod of it declares ({@link
   *     Long#MAX_VALUE}: none declares one)
   */
  record Backlog(long[] cpuMillis, long[] shortestDeclaredS) {
    static final Backlog EMPTY = new Backlog(new long[0], new long[0]);

    /**
     * The backlog of waiting pods requesting {@code cpuMillis[k]} and declaring {@code
     * declaredS[k]} (0: none).
     */
    static Backlog of(long[] cpuMillis, long[] declaredS) {
      java.util.TreeMap<Long, Long> shortest = new java.util.TreeMap<>();
      for (int k = 0; k < cpuMillis.length; k++) {
        long d = declaredS[k] > 0 ? declaredS[k] : Long.MAX_VALUE;
        shortest.merge(cpuMillis[k], d, Math::min);
      }
      long[] sizes = new long[shortest.size()];
      long[] runs = new long[shortest.size()];
      int k = 0;
      for (Map.Entry<Long, Long> e : shortest.entrySet()) {
        sizes[k] = e.getKey();
        runs[k++] = e.getValue();
      }
      return new Backlog(sizes, runs);
    }

    /** Whether some waiting pod fits in {@code freeMillis}. */
    boolean anyFits(long freeMillis) {
      return cpuMillis.length > 0 && cpuMillis[0] <= freeMillis;
    }

    /**
     * Whether some waiting pod fits in {@code freeMillis} and declares it ends within {@code s}.
     */
    boolean shortEnough(long freeMillis, long s) {
      for (int k = 0; k < cpuMillis.length && cpuMillis[k] <= freeMillis; k++) {
        if (shortestDeclaredS[k] <= s) {
          return true;
        }
      }
      return false;
    }
  }

  private final long stepS;
  private final long leadS;
  private final Map<String, Double> byCause = new LinkedHashMap<>();
  private final Map<String, Double> drainingByOutcome = new LinkedHashMap<>();
  // per node: the draining room left unused since it was last returned, and when
  private final Map<Integer, List<double[]>> unresolved = new java.util.HashMap<>();

  /**
   * @param stepS seconds per step
   * @param leadS the forecast's lead time, seconds
   */
  LendableBreakdown(long stepS, long leadS) {
    this.stepS = stepS;
    this.leadS = leadS;
    CAUSES.forEach(c -> byCause.put(c, 0.0));
    DRAINING_OUTCOMES.forEach(c -> drainingByOutcome.put(c, 0.0));
  }

  /** Accounts one node's step at {@code t} (seconds) against the waiting pods. */
  void add(long t, NodeStep s, Backlog waiting) {
    double lendable = s.lendableMillis();
    if (lendable <= 0) {
      return;
    }
    double used = Math.min(lendable, s.gleanerMillis());
    put("used", used);
    double rest = lendable - used;
    if (rest <= 0) {
      return;
    }
    switch (s.kind()) {
      case IDLE_WAIT -> put("idle_wait", rest);
      case COOLING_DOWN -> put("cooling_down", rest);
      case ACTIVE -> put("active", rest);
      case LENT -> {
        if (s.draining()) {
          if (s.roomLeftS() < stepS) {
            put("draining_breach_due", rest);
          } else if (waiting.shortEnough(s.freeMillis(), s.roomLeftS())) {
            put("draining_pod_waiting", rest);
          } else {
            put("draining_no_pod_short_enough", rest);
          }
          unresolved.computeIfAbsent(s.node(), k -> new ArrayList<>()).add(new double[] {t, rest});
        } else {
          double hold = Math.min(rest, Math.max(0, s.forecastHoldMillis()));
          put("forecast_peak", hold);
          rest -= hold;
          if (rest > 0) {
            put(waiting.anyFits(s.freeMillis()) ? "unfilled_other" : "fragment", rest);
          }
        }
      }
    }
  }

  /** Node {@code node} was returned (left the lent state) at {@code t} seconds. */
  void returned(int node, long t) {
    List<double[]> l = unresolved.remove(node);
    if (l == null) {
      return;
    }
    for (double[] e : l) {
      drainingByOutcome.merge(
          t - e[0] <= leadS ? "returned_within_lead_time" : "returned_later", e[1], Double::sum);
    }
  }

  /** Core-hours by cause, in {@link #CAUSES} order. */
  Map<String, Double> byCause() {
    return coreHours(byCause);
  }

  /**
   * The draining room left unused, in core-hours, by what became of its node ({@link
   * #DRAINING_OUTCOMES}); nodes not returned yet count as not returned.
   */
  Map<String, Double> drainingByOutcome() {
    Map<String, Double> out = new LinkedHashMap<>(drainingByOutcome);
    for (List<double[]> l : unresolved.values()) {
      for (double[] e : l) {
        out.merge("not_returned", e[1], Double::sum);
      }
    }
    return coreHours(out);
  }

  private Map<String, Double> coreHours(Map<String, Double> milliSteps) {
    Map<String, Double> out = new LinkedHashMap<>();
    milliSteps.forEach((k, v) -> out.put(k, v / 1000.0 * stepS / 3600.0));
    return out;
  }

  private void put(String cause, double millis) {
    byCause.merge(cause, millis, Double::sum);
  }
}
