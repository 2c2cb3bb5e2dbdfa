package io.gleaner.bench.fairness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.gleaner.bench.placement.PlacementBenchEngine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FairnessBenchEngineTest {
  @Test
  void aQuickRunSharesByWeightWhereFifoFollowsTheBacklogs() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    FairnessBenchEngine engine =
        new FairnessBenchEngine(new PrintStream(buf, true, StandardCharsets.UTF_8));

    Map<String, Object> r = engine.run(FairnessBenchEngine.Options.quick());

    assertThat((Double) r.get("jain_weighted")).isGreaterThan(0.95);
    assertThat((Double) r.get("fifo_jain_weighted")).isLessThan((Double) r.get("jain_weighted"));
    assertThat((Double) r.get("search_offline_share"))
        .isLessThanOrEqualTo((Double) r.get("search_offline_fair_share") + 0.05);
    assertThat((Double) r.get("fifo_search_offline_share"))
        .isGreaterThan((Double) r.get("search_offline_share"));
    // shares compared in one unit: the fair share is of the pool, so is the share it is held to
    // (its share of the harvest reads higher by 1 / allocation); pods of 1-8 CPUs leave it a
    // little above (fragments only its deep backlog has pods small enough for)
    double poolShare = (Double) r.get("search_offline_pool_share");
    assertThat(poolShare)
        .isLessThan((Double) r.get("search_offline_share"))
        .isCloseTo((Double) r.get("search_offline_fair_share"), within(0.02));
    assertThat(r.get("guarantee_reached_cycles")).isEqualTo(1L);
    // with the other teams' pods running for hours, only reclaim for the guarantee reaches it
    assertThat(r.get("long_pods_guarantee_reached_cycles")).isEqualTo(1L);
    assertThat((Long) r.get("long_pods_guarantee_evictions")).isPositive();
    Long without = (Long) r.get("long_pods_without_reclaim_guarantee_reached_cycles");
    assertThat(without == null || without > 1).as("without it: " + without + " cycles").isTrue();
    // fairness costs at most 2 points of allocation against FIFO
    assertThat(Math.abs((Double) r.get("allocation_delta_points"))).isLessThanOrEqualTo(2.0);
    assertThat((Long) r.get("decisions")).isPositive();
    // the p99 placement decision with and without fairness, side by side; timings, so only their
    // relations are asserted: a decision with the fair choice takes at least the engine's part
    @SuppressWarnings("unchecked")
    Map<String, Double> decision = (Map<String, Double>) r.get("placement_decision_p99_us");
    assertThat(decision)
        .containsOnlyKeys(
            "without_fairness",
            "with_fairness",
            "with_fairness_and_round_build",
            "drf_placement_only");
    assertThat(decision.values()).allMatch(v -> v > 0);
    assertThat(decision.get("with_fairness"))
        .isGreaterThanOrEqualTo(decision.get("drf_placement_only"));
    assertThat((Double) r.get("fairness_adds_p99_us"))
        .isCloseTo(decision.get("with_fairness") - decision.get("without_fairness"), within(0.002));
    assertThat(PlacementBenchEngine.json(r)).startsWith("{\"teams\":").endsWith("}");
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("fair (DRF)", "FIFO");
  }

  @Test
  void theAllocationIsComparedWithAndWithoutFairnessOnEachSeed() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    FairnessBenchEngine engine =
        new FairnessBenchEngine(new PrintStream(buf, true, StandardCharsets.UTF_8));

    Map<String, Object> r = engine.run(FairnessBenchEngine.Options.quick().withSeed(7), 2);

    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> bySeed =
        (Map<String, Map<String, Object>>) r.get("allocation_by_seed");
    assertThat(bySeed).containsOnlyKeys("7", "8");
    assertThat(bySeed.get("7").get("allocation")).isEqualTo(r.get("allocation"));
    assertThat(bySeed.get("7").get("fifo_allocation")).isEqualTo(r.get("fifo_allocation"));
    double[] deltas = new double[2];
    int i = 0;
    for (Map<String, Object> s : bySeed.values()) {
      double d = (Double) s.get("delta_points");
      assertThat(d)
          .isCloseTo(
              100 * ((Double) s.get("allocation") - (Double) s.get("fifo_allocation")),
              within(0.2));
      deltas[i++] = d;
    }
    // the two seeds are different scenarios, not one run twice
    assertThat(bySeed.get("8").get("allocation")).isNotEqualTo(bySeed.get("7").get("allocation"));
    assertThat((Double) r.get("allocation_delta_points_max_abs"))
        .isCloseTo(Math.max(Math.abs(deltas[0]), Math.abs(deltas[1])), within(0.002));
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("seed 8: allocation DRF");
  }
}
