package io.gleaner.bench.harvest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
    // the reactive design's truth as the reference: the forecast design lends returned nodes again
    // while the members' demand is calm, so its members pack their replicas furthest from the
    // others'
    double lendable = results.get(Design.REACTIVE.ordinal()).lendableCoreHours();
    for (Result r : results) {
      assertThat(r.lendableCoreHours()).as(r.design().tag()).isPositive();
      assertThat(r.harvestedCoreHours()).as(r.design().tag()).isPositive();
      assertThat(r.wastedCoreHours()).isBetween(0.0, r.harvestedCoreHours());
      assertThat(r.podsStarted()).isGreaterThanOrEqualTo(r.podsCompleted() + r.podsEvicted());
      // the ground truth follows the online load, which Gleaner pods shift between nodes
      assertThat(r.lendableCoreHours()).isBetween(0.9 * lendable, 1.1 * lendable);
      // every lendable core-hour is in exactly one node state
      assertThat(r.lendableByState().keySet()).containsExactlyElementsOf(HarvestBenchEngine.FUNNEL);
      assertThat(r.lendableByState().values().stream().mapToDouble(Double::doubleValue).sum())
          .as(r.design().tag())
          .isCloseTo(r.lendableCoreHours(), within(1e-6 * r.lendableCoreHours()));
      assertThat(r.lendableByState().get("lent_filled")).as(r.design().tag()).isPositive();
      // and in exactly one cause, the used ones being those filled or held by Gleaner's pods
      assertThat(r.lendableByCause().keySet()).containsExactlyElementsOf(LendableBreakdown.CAUSES);
      assertThat(r.lendableByCause().values().stream().mapToDouble(Double::doubleValue).sum())
          .as(r.design().tag())
          .isCloseTo(r.lendableCoreHours(), within(1e-6 * r.lendableCoreHours()));
      assertThat(r.lendableByCause().get("used"))
          .isCloseTo(
              r.lendableByState().get("lent_filled")
                  + r.lendableByState().get("not_lent_held_by_gleaner"),
              within(1e-6 * r.lendableCoreHours()));
    }
    assertThat(results.get(Design.REACTIVE.ordinal()).lendableByState().get("lent_draining"))
        .isZero();
    Result forecast = results.get(Design.FORECAST.ordinal());
    assertThat(
            forecast.drainingUnusedByReturn().values().stream()
                .mapToDouble(Double::doubleValue)
                .sum())
        .isCloseTo(
            forecast.lendableByState().get("lent_draining"),
            within(1e-6 * forecast.lendableCoreHours()));
    // the broker's per-node fit: a Gleaner pod never waits in a member for room
    for (Design d : List.of(Design.FORECAST, Design.REACTIVE, Design.PERIODIC)) {
      assertThat(results.get(d.ordinal()).memberPendingMax()).as(d.tag()).isZero();
    }
    Map<String, Object> json = HarvestBenchEngine.json(TINY, results, 1.0);
    assertThat(String.valueOf(((Map<?, ?>) json.get("designs")).keySet()))
        .isEqualTo("[gleaner-forecast, gleaner-reactive, aggregate-capacity, gleaner-periodic]");
    assertThat(HarvestBenchEngine.table(results)).hasSize(5);
    assertThat(HarvestBenchEngine.causes(results)).hasSize(5);
  }

  @Test
  void offlinePodsDeclareTheirTeamsEstimateAndArriveAsWithout() {
    HarvestBenchEngine.Stream declaring = new HarvestBenchEngine.Stream(false, 7, true);
    HarvestBenchEngine.Stream silent = new HarvestBenchEngine.Stream(false, 7, false);
    for (int i = 0; i < 1000; i++) {
      HarvestBenchEngine.GPod d = declaring.next();
      HarvestBenchEngine.GPod s = silent.next();
      assertThat(d.cpuMillis).isEqualTo(s.cpuMillis);
      assertThat(d.runS).isEqualTo(s.runS);
      assertThat(s.declaredS).isZero();
      assertThat(s.podRequest.expectedRuntimeMs()).isZero();
      // 0.8-1.4 of the run time, rounded up to whole minutes
      assertThat(d.declaredS % 60).isZero();
      assertThat(d.declaredS).isBetween((long) (0.8 * d.runS), (long) (1.4 * d.runS) + 60);
      assertThat(d.podRequest.expectedRuntimeMs()).isEqualTo(d.declaredS * 1000);
    }
  }

  @Test
  void declaredRunTimesChangeNothingWhereNoNodeDrains() {
    // reactive lending offers no draining node and no forecast room: a declared run time has
    // nothing to be compared with
    Map<String, Object> with = HarvestBenchEngine.run(TINY, Design.REACTIVE).json();
    Map<String, Object> without =
        HarvestBenchEngine.run(TINY.withDeclaredRuntimes(false), Design.REACTIVE).json();
    // only the share of waiting pods that declare a short run time tells them apart
    assertThat((Double) with.remove("offline_waiting_short_share_mean")).isPositive();
    assertThat(without.remove("offline_waiting_short_share_mean")).isEqualTo(0.0);
    assertThat(with).isEqualTo(without);
  }

  @Test
  void theSameSeedGivesTheSameDay() {
    assertThat(HarvestBenchEngine.run(TINY, Design.REACTIVE))
        .isEqualTo(HarvestBenchEngine.run(TINY, Design.REACTIVE));
  }

  @Test
  void theMemberSchedulerPacksOnlinePodsOnUntaintedNodesFirst() {
    long[] free = {6000, 2000, 4000, 1000, 8000};
    boolean[] tainted = {false, true, false, false, true};

    // the fullest untainted node that fits wins over a fuller tainted one
    assertThat(HarvestBenchEngine.memberScheduler(0, 5, 2000, i -> free[i], i -> tainted[i]))
        .isEqualTo(2);
    // a tainted node only when no untainted node fits, then the fullest of those
    assertThat(HarvestBenchEngine.memberScheduler(0, 5, 7000, i -> free[i], i -> tainted[i]))
        .isEqualTo(4);
    assertThat(HarvestBenchEngine.memberScheduler(1, 2, 2000, i -> free[i], i -> tainted[i]))
        .isEqualTo(1);
    // without taints: most-allocated
    assertThat(HarvestBenchEngine.memberScheduler(0, 5, 2000, i -> free[i], i -> false))
        .isEqualTo(1);
    assertThat(HarvestBenchEngine.memberScheduler(0, 5, 9000, i -> free[i], i -> tainted[i]))
        .isEqualTo(-1);
  }

  /**
   * The harvest ratio measures the design only when the backlog has a pod for every shape of
   * lendable room. The forecast design's draining room takes only pods declaring a run time that
   * ends before the breach; a queue topped up to a fixed length with what is placed runs short of
   * them (the short ones are placed first), and that room stays empty for want of a pod. Reactive
   * lending fills any room with the queue's head, so its day does not depend on the backlog.
   */
  @Test
  void theDefaultBacklogKeepsTheDrainingRoomSuppliedAndAShortOneDoesNot() {
    Options small = Options.defaults().withFederation(2, 10).withSeed(7);
    int saturating = Options.saturatingBacklog(2, 10, small.nodeCores());
    assertThat(saturating).isEqualTo(1600);
    assertThat(Options.defaults().backlog()).isEqualTo(32_000);
    Options at = small.withHours(12, 2, saturating);
    Options eighth = small.withHours(12, 2, saturating / 8);

    Result supplied = HarvestBenchEngine.run(at, Design.FORECAST);
    Result doubled =
        HarvestBenchEngine.run(small.withHours(12, 2, 2 * saturating), Design.FORECAST);
    Result starved = HarvestBenchEngine.run(eighth, Design.FORECAST);

    assertThat(starvedShare(starved)).isGreaterThan(2 * starvedShare(supplied));
    assertThat(starvedShare(supplied) - starvedShare(doubled)).isLessThan(0.015);
    assertThat(starved.harvestRatio()).isLessThan(supplied.harvestRatio() - 0.02);
    // the same day, only the queue behind its head differs
    Map<String, Object> shortQueue = HarvestBenchEngine.run(eighth, Design.REACTIVE).json();
    Map<String, Object> longQueue = HarvestBenchEngine.run(at, Design.REACTIVE).json();
    shortQueue.remove("offline_waiting_short_share_mean");
    longQueue.remove("offline_waiting_short_share_mean");
    assertThat(shortQueue).isEqualTo(longQueue);
  }

  /** The share of lendable room left empty on draining nodes for want of a pod short enough. */
  private static double starvedShare(Result r) {
    return r.lendableByCause().get("draining_no_pod_short_enough") / r.lendableCoreHours();
  }
}
