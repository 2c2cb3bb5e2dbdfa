package io.gleaner.bench.harvest;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.bench.harvest.HarvestBenchEngine.Design;
import io.gleaner.bench.harvest.HarvestBenchEngine.Options;
import io.gleaner.bench.harvest.HarvestBenchEngine.Result;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HarvestBenchEngineTest {
  private static final Options TINY =
      Options.defaults().withFederation(2, 8).withHours(8, 2, 300).withSeed(7);

  @Test
  void theFourDesignsRunOnATinyFederation() {
    List<Result> results = HarvestBenchEngine.runAll(TINY);

    assertThat(results).extracting(Result::design).containsExactly(Design.values());
    double lendable = results.get(0).lendableCoreHours();
    for (Result r : results) {
      assertThat(r.lendableCoreHours()).as(r.design().tag()).isPositive();
      assertThat(r.harvestedCoreHours()).as(r.design().tag()).isPositive();
      assertThat(r.wastedCoreHours()).isBetween(0.0, r.harvestedCoreHours());
      assertThat(r.podsStarted()).isGreaterThanOrEqualTo(r.podsCompleted() + r.podsEvicted());
      // the ground truth follows the online load, which Gleaner pods shift between nodes
      assertThat(r.lendableCoreHours()).isBetween(0.9 * lendable, 1.1 * lendable);
    }
    // the broker's per-node fit: a Gleaner pod never waits in a member for room
    for (Design d : List.of(Design.FORECAST, Design.REACTIVE, Design.PERIODIC)) {
      assertThat(results.get(d.ordinal()).memberPendingMax()).as(d.tag()).isZero();
    }
    Map<String, Object> json = HarvestBenchEngine.json(TINY, results, 1.0);
    assertThat(String.valueOf(((Map<?, ?>) json.get("designs")).keySet()))
        .isEqualTo("[gleaner-forecast, gleaner-reactive, aggregate-capacity, gleaner-periodic]");
    assertThat(HarvestBenchEngine.table(results)).hasSize(5);
  }

  @Test
  void theSameSeedGivesTheSameDay() {
    assertThat(HarvestBenchEngine.run(TINY, Design.REACTIVE))
        .isEqualTo(HarvestBenchEngine.run(TINY, Design.REACTIVE));
  }
}
