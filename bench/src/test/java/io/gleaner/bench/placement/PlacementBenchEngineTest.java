package io.gleaner.bench.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacementBenchEngineTest {
  private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
  private final PlacementBenchEngine engine =
      new PlacementBenchEngine(new PrintStream(buf, true, StandardCharsets.UTF_8));

  @Test
  void theAggregateBaselineAcceptsAPodNoSingleNodeCanHold() {
    Truth t = new Truth(2, 1);
    t.node(0, 0, 4000, 8L << 30, 110, 0);
    t.node(1, 0, 4000, 8L << 30, 110, 0);
    AggregateBaseline b = new AggregateBaseline(t);
    assertThat(b.place(new Shape(6000, 1L << 30, 0, 0)))
        .isEqualTo(AggregateBaseline.Outcome.ACCEPTED_UNFIT);
    assertThat(b.place(new Shape(3000, 1L << 30, 0, 0)))
        .isEqualTo(AggregateBaseline.Outcome.PLACED);
    assertThat(b.place(new Shape(9000, 1L << 30, 0, 0)))
        .isEqualTo(AggregateBaseline.Outcome.REJECTED);
  }

  @Test
  void theTruthModelsGpuSharingLikeThePaper() {
    Truth t = new Truth(1, 1);
    t.node(0, 0, 64000, 256L << 30, 110, 2);
    Shape share = new Shape(1000, 1L << 30, 1, 600);
    assertThat(t.take(0, share, null)).isEqualTo(600);
    assertThat(t.fits(0, new Shape(1000, 1L << 30, 1, 500))).isTrue();
    assertThat(t.fits(0, new Shape(1000, 1L << 30, 2, 1000))).isFalse();
    assertThat(t.usedGpuMilli()).isEqualTo(600);
  }

  @Test
  void aTinyGeneratedRunNeverAcceptsAPodThatDoesNotFitAndPrintsJsonFigures() {
    Map<String, Object> r = engine.run(PlacementBenchEngine.Options.quick());
    assertThat(r)
        .containsKeys(
            "nodes",
            "p50_us",
            "p99_us",
            "accepted_unfit",
            "baseline_accepted_unfit",
            "placed_fraction",
            "baseline_placed_fraction",
            "federation_8x10");
    assertThat(r.get("nodes")).isEqualTo(40);
    assertThat(r.get("accepted_unfit")).isEqualTo(0L);
    assertThat((Double) r.get("placed_fraction")).isPositive();
    @SuppressWarnings("unchecked")
    Map<String, Object> large = (Map<String, Object>) r.get("federation_8x10");
    assertThat(large.get("accepted_unfit")).isEqualTo(0L);
    String json = PlacementBenchEngine.json(r);
    assertThat(json).startsWith("{\"nodes\":40,").doesNotContain("\n");
  }

  @Test
  void onTheOpenbTraceWeMatchThePaperBestFitWithoutAcceptingUnfitPods() {
    Map<String, Object> r = engine.runOpenb(42);
    assertThat(r.get("nodes")).isEqualTo(1523);
    assertThat(r.get("accepted_unfit")).isEqualTo(0L);
    assertThat((Long) r.get("baseline_accepted_unfit")).isPositive();
    assertThat((Double) r.get("arrival_pct")).isBetween(120.0, 131.0);
    assertThat((Double) r.get("gpu_alloc_rate"))
        .isGreaterThanOrEqualTo((Double) r.get("paper_bestfit_gpu_alloc_rate"));
    assertThat(engine.paperRate("05-BestFit", 130))
        .isEqualTo(93.08, org.assertj.core.data.Offset.offset(0.01));
  }
}
