package io.gleaner.bench.harvest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.gleaner.bench.harvest.LendableBreakdown.Backlog;
import io.gleaner.bench.harvest.LendableBreakdown.Kind;
import io.gleaner.bench.harvest.LendableBreakdown.NodeStep;
import org.junit.jupiter.api.Test;

class LendableBreakdownTest {
  private static final long LEAD = 1800;

  /** One-minute steps: 60,000 millicore-steps are one core-hour. */
  private final LendableBreakdown b = new LendableBreakdown(60, LEAD);

  /** Waiting: a 1-CPU pod declaring 20 min, a 2-CPU pod declaring 10 min, a 4-CPU one none. */
  private static final Backlog WAITING =
      Backlog.of(new long[] {4000, 1000, 2000, 2000}, new long[] {0, 1200, 600, 3000});

  private static NodeStep lent(int node, double lendable, long gleaner, long free) {
    return new NodeStep(node, lendable, gleaner, Kind.LENT, false, Long.MAX_VALUE, 0, free);
  }

  private static NodeStep draining(int node, double lendable, long leftS, long free) {
    return new NodeStep(node, lendable, 0, Kind.LENT, true, leftS, 0, free);
  }

  @Test
  void theBacklogKnowsTheShortestDeclaredRunTimePerSize() {
    assertThat(WAITING.cpuMillis()).containsExactly(1000, 2000, 4000);
    assertThat(WAITING.shortestDeclaredS()).containsExactly(1200, 600, Long.MAX_VALUE);
    assertThat(WAITING.anyFits(999)).isFalse();
    assertThat(WAITING.anyFits(1000)).isTrue();
    // 15 minutes: only the 2-CPU pod ends by then, and it needs 2 CPUs
    assertThat(WAITING.shortEnough(1500, 900)).isFalse();
    assertThat(WAITING.shortEnough(2000, 900)).isTrue();
    // 20 minutes: the 1-CPU pod ends by then
    assertThat(WAITING.shortEnough(1500, 1200)).isTrue();
    assertThat(WAITING.shortEnough(64_000, 599)).isFalse();
    assertThat(Backlog.EMPTY.anyFits(64_000)).isFalse();
  }

  @Test
  void everyLendableCoreHourGoesToOneCause() {
    // used 6, the rest of a lent node a fragment (0.5 free) : 6 + 0.5
    b.add(0, lent(0, 6500, 6000, 500), WAITING);
    // held back for the node's own forecast peak 3, then 1 unfilled with a pod that fits
    b.add(0, new NodeStep(1, 4000, 0, Kind.LENT, false, Long.MAX_VALUE, 3000, 1000), WAITING);
    // Gleaner's pods hold more than the truth: used counts the truth only
    b.add(0, lent(2, 1000, 4000, 0), WAITING);
    b.add(0, new NodeStep(3, 2000, 0, Kind.IDLE_WAIT, false, Long.MAX_VALUE, 0, 0), WAITING);
    b.add(0, new NodeStep(4, 3000, 1000, Kind.COOLING_DOWN, false, Long.MAX_VALUE, 0, 0), WAITING);
    b.add(0, new NodeStep(5, 0, 0, Kind.ACTIVE, false, Long.MAX_VALUE, 0, 0), WAITING);
    // draining: breach due, no pod short enough (15 min, 1.5 CPU), a pod waiting (20 min)
    b.add(0, draining(6, 5000, 30, 5000), WAITING);
    b.add(0, draining(7, 1500, 900, 1500), WAITING);
    b.add(0, draining(8, 1500, 1200, 1500), WAITING);

    double[] millis = {8000, 2000, 2000, 0, 5000, 1500, 1500, 3000, 500, 1000};
    java.util.List<Double> expected = new java.util.ArrayList<>();
    for (double v : millis) {
      expected.add(v / 60_000);
    }
    assertThat(b.byCause().keySet()).containsExactlyElementsOf(LendableBreakdown.CAUSES);
    assertThat(b.byCause().values())
        .zipSatisfy(expected, (got, want) -> assertThat(got).isCloseTo(want, within(1e-12)));
    // the truth of the nine nodes, each counted once
    assertThat(b.byCause().values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(
            (6500 + 4000 + 1000 + 2000 + 3000 + 5000 + 1500 + 1500) / 60_000.0, within(1e-12));
  }

  @Test
  void drainingRoomIsJudgedByWhenItsNodeWasReturned() {
    LendableBreakdown m = new LendableBreakdown(60, LEAD);
    // node 0 drains at 0 and 60 s, returned at 1800 s: within the lead time of 0, not of 60? both
    m.add(0, draining(0, 60_000, 1200, 0), Backlog.EMPTY);
    m.add(60, draining(0, 60_000, 1140, 0), Backlog.EMPTY);
    m.returned(0, 1860);
    // node 1 drains at 0 and is returned 2 h later; node 2 is never returned
    m.add(0, draining(1, 60_000, 1200, 0), Backlog.EMPTY);
    m.returned(1, 7200);
    m.add(0, draining(2, 60_000, 1200, 0), Backlog.EMPTY);
    // a return without draining room before it counts nothing
    m.returned(3, 60);

    // 60 CPUs for one minute = 1 core-hour
    assertThat(m.drainingByOutcome())
        .containsExactly(
            java.util.Map.entry("returned_within_lead_time", 1.0),
            java.util.Map.entry("returned_later", 2.0),
            java.util.Map.entry("not_returned", 1.0));
  }
}
