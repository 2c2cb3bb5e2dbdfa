package io.gleaner.sandbox.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TeamCoreHoursTest {
  private static final Map<String, Double> WEIGHTS = Map.of("a", 1.0, "b", 1.0, "c", 2.0);
  private static final long HALF_HOUR = 1_800_000;

  /**
   * Six samples half an hour apart. The CPU running at a sample counts for the half hour before it;
   * an interval counts for the backlogged span when every team waited at both of its ends.
   *
   * <pre>
   * hour  waiting a/b/c  running CPU a/b/c  whole-run core-h a/b/c  backlogged core-h a/b/c
   * 0.5   3/0/1          4/4/0              2/2/0                   -     (b waits for nothing)
   * 1.0   3/2/1          4/2/2              4/3/1                   -     (the span starts here)
   * 1.5   2/2/1          2/2/4              5/4/3                   1/1/2
   * 2.0   2/2/0          2/2/2              6/5/4                   left out (c waits for nothing)
   * 2.5   1/2/1          2/2/4              7/6/6                   left out (c did not wait at 2.0)
   * 3.0   1/2/1          2/4/6              8/8/9                   2/3/5
   * </pre>
   *
   * Backlogged: 2/3/5 of 10 = 0.2/0.3/0.5 against fair 0.25/0.25/0.5, weighted 0.8/1.2/1.0, Jain
   * 3.0^2 / (3 × 3.08) = 0.974. Whole run: 8/8/9 of 25 = 0.32/0.32/0.36, weighted 1.28/1.28/0.72,
   * Jain 3.28^2 / (3 × 3.7952) = 0.945.
   */
  @Test
  void countsTheSpanInWhichEveryTeamWaitsApartFromTheWholeRun() {
    TeamCoreHours hours = new TeamCoreHours(WEIGHTS, 0);
    sample(hours, 1, Map.of("a", 3L, "c", 1L), 4, 4, 0);
    sample(hours, 2, Map.of("a", 3L, "b", 2L, "c", 1L), 4, 2, 2);
    sample(hours, 3, Map.of("a", 2L, "b", 2L, "c", 1L), 2, 2, 4);
    sample(hours, 4, Map.of("a", 2L, "b", 2L, "c", 0L), 2, 2, 2);
    sample(hours, 5, Map.of("a", 1L, "b", 2L, "c", 1L), 2, 2, 4);
    sample(hours, 6, Map.of("a", 1L, "b", 2L, "c", 1L), 2, 4, 6);

    TeamHarvest h = hours.harvest();

    TeamHarvest.Span backlogged = h.whileAllBacklogged();
    assertThat(backlogged.startsAtSimulatedHours()).isEqualTo(1.0);
    assertThat(backlogged.simulatedHours()).isEqualTo(1.0);
    assertThat(backlogged.samples()).isEqualTo(4);
    assertThat(backlogged.intervalsLeftOut()).isEqualTo(2);
    assertThat(backlogged.teams().get("a").harvestedCoreHours()).isEqualTo(2.0);
    assertThat(backlogged.teams().get("b").harvestedCoreHours()).isEqualTo(3.0);
    assertThat(backlogged.teams().get("c").harvestedCoreHours()).isEqualTo(5.0);
    assertThat(backlogged.teams().get("a").actualShare()).isEqualTo(0.2);
    assertThat(backlogged.teams().get("b").actualOverFair()).isEqualTo(1.2);
    assertThat(backlogged.teams().get("c").actualShare()).isEqualTo(0.5);
    assertThat(backlogged.jainIndex()).isEqualTo(0.974);

    TeamHarvest.Span whole = h.wholeRun();
    assertThat(whole.startsAtSimulatedHours()).isZero();
    assertThat(whole.simulatedHours()).isEqualTo(3.0);
    assertThat(whole.samples()).isEqualTo(6);
    assertThat(whole.teams().get("a").harvestedCoreHours()).isEqualTo(8.0);
    assertThat(whole.teams().get("c").harvestedCoreHours()).isEqualTo(9.0);
    assertThat(whole.teams().get("c").actualShare()).isEqualTo(0.36);
    assertThat(whole.teams().get("c").actualOverFair()).isEqualTo(0.72);
    assertThat(whole.jainIndex()).isEqualTo(0.945);

    assertThat(h.backlogs().get("a")).isEqualTo(new TeamHarvest.Backlog(0, 1));
    assertThat(h.backlogs().get("b")).isEqualTo(new TeamHarvest.Backlog(1, 0));
    assertThat(h.backlogs().get("c")).isEqualTo(new TeamHarvest.Backlog(1, 0));
  }

  @Test
  void noSampleWithEveryTeamWaitingIsNoSpan() {
    TeamCoreHours hours = new TeamCoreHours(WEIGHTS, 0);
    sample(hours, 1, Map.of("a", 1L, "b", 1L), 1, 1, 0);
    sample(hours, 2, Map.of("a", 1L, "b", 1L), 1, 1, 0);

    TeamHarvest.Span backlogged = hours.harvest().whileAllBacklogged();
    assertThat(backlogged.startsAtSimulatedHours()).isEqualTo(-1);
    assertThat(backlogged.simulatedHours()).isZero();
    assertThat(backlogged.jainIndex()).isZero();
    assertThat(hours.harvest().wholeRun().teams().get("a").harvestedCoreHours()).isEqualTo(1.0);
  }

  private static void sample(
      TeamCoreHours hours, int halfHours, Map<String, Long> waiting, int a, int b, int c) {
    hours.sample(
        halfHours * HALF_HOUR, waiting, Map.of("a", a * 1000L, "b", b * 1000L, "c", c * 1000L));
  }
}
