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
    assertThat(PlacementBenchEngine.json(r)).startsWith("{\"teams\":").endsWith("}");
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("fair (DRF)", "FIFO");
  }
}
