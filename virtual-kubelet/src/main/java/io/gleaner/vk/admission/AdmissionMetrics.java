package io.gleaner.vk.admission;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The metrics of fair admission, fixed names with the team in a tag; one per service, so that a
 * replica that leads again reports into the same meters.
 */
public final class AdmissionMetrics {
  /** Gauge: the metadata pods waiting at the fair-share gate, tag {@code team}. */
  public static final String GATED_PODS = "gleaner.fair_admission.gated_pods";

  /** Counter: pods whose gate Gleaner removed, tags {@code team} and {@code why}. */
  public static final String UNGATED = "gleaner.fair_admission.ungated";

  /** Counter: admission rounds run. */
  public static final String ROUNDS = "gleaner.fair_admission.rounds";

  /**
   * Counter: writes to metadata pods that failed, tag {@code op} ({@code ungate}, {@code status}).
   */
  public static final String WRITE_ERRORS = "gleaner.fair_admission.write_errors";

  /** Counter: condition writes ({@code status} changes of {@code gleaner.io/FairShare}). */
  public static final String CONDITION_WRITES = "gleaner.fair_admission.condition_writes";

  /** The {@code why} of a pod admitted in its fair turn. */
  public static final String TURN = "turn";

  private final MeterRegistry registry;
  private final Map<String, AtomicInteger> gated = new ConcurrentHashMap<>();
  private final Counter rounds;
  private final Counter conditionWrites;

  public AdmissionMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.rounds = Counter.builder(ROUNDS).register(registry);
    this.conditionWrites = Counter.builder(CONDITION_WRITES).register(registry);
  }

  void gated(Map<String, Integer> byTeam) {
    for (Map.Entry<String, AtomicInteger> e : gated.entrySet()) {
      if (!byTeam.containsKey(e.getKey())) {
        e.getValue().set(0);
      }
    }
    byTeam.forEach(
        (team, n) ->
            gated
                .computeIfAbsent(
                    team,
                    t -> {
                      AtomicInteger a = new AtomicInteger();
                      Gauge.builder(GATED_PODS, a, AtomicInteger::get)
                          .tag("team", t)
                          .register(registry);
                      return a;
                    })
                .set(n));
  }

  void ungated(String team, String why) {
    registry.counter(UNGATED, "team", team, "why", why).increment();
  }

  void round() {
    rounds.increment();
  }

  void conditionWritten() {
    conditionWrites.increment();
  }

  void writeError(String op) {
    registry.counter(WRITE_ERRORS, "op", op).increment();
  }

  /** Pods ungated so far in {@code team}'s fair turn. */
  public double ungatedInTurn(String team) {
    Counter c = registry.find(UNGATED).tags("team", team, "why", TURN).counter();
    return c == null ? 0 : c.count();
  }

  /** Rounds run so far. */
  public double rounds() {
    return rounds.count();
  }

  /** Condition writes so far. */
  public double conditionWrites() {
    return conditionWrites.count();
  }
}
