package io.gleaner.descheduler.plan;

import static io.gleaner.descheduler.plan.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.kube.KubeNodeSelectorRequirement;
import io.gleaner.meta.kube.KubeNodeSelectorTerm;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PlannerTest {
  private final Planner planner = new Planner(PlannerConfig.DEFAULT);

  private Plan plan(List<LentNode> nodes, PendingPod... pods) {
    return planner.plan(input(nodes, pods));
  }

  @Nested
  class VictimChoice {
    @Test
    void evictsNothingWhenThePodAlreadyFits() {
      Plan plan = plan(List.of(lent("n1", "8", offline("a", "2", 60))), pending("p", "4"));
      assertThat(plan.reclaims()).isEmpty();
      assertThat(plan.outcomeOf("web/p").orElseThrow().outcome()).isEqualTo(Outcome.FITS_NOW);
    }

    @Test
    void offlineGoesBeforeNearLineEvenWhenOlderAndLarger() {
      Plan plan =
          plan(
              List.of(lent("n1", "8", nearLine("near", "4", 10), offline("off", "4", 5000))),
              pending("p", "4"));
      assertThat(victimNames(plan)).containsExactly("off");
      assertThat(plan.outcomeOf("web/p").orElseThrow().outcome()).isEqualTo(Outcome.RECLAIM);
    }

    @Test
    void youngestGoesFirstWithinAClass() {
      Plan plan =
          plan(
              List.of(lent("n1", "8", offline("old", "4", 5000), offline("young", "4", 10))),
              pending("p", "4"));
      assertThat(victimNames(plan)).containsExactly("young");
    }

    @Test
    void smallestGoesFirstAtEqualClassAndAge() {
      Plan plan =
          plan(
              List.of(lent("n1", "8", offline("big", "5", 100), offline("small", "3", 100))),
              pending("p", "2"));
      assertThat(victimNames(plan)).containsExactly("small");
    }

    @Test
    void fewestVictimsBeatYoungerOnes() {
      // Free 4 CPU: one old 4-CPU pod is cheaper than four young 1-CPU pods.
      Plan plan =
          plan(
              List.of(
                  lent(
                      "n1",
                      "8",
                      offline("old4", "4", 9000),
                      offline("y1", "1", 1),
                      offline("y2", "1", 2),
                      offline("y3", "1", 3),
                      offline("y4", "1", 4))),
              pending("p", "4"));
      assertThat(victimNames(plan)).containsExactly("old4");
    }

    @Test
    void evictsOnlyEnoughForTheShortfall() {
      Plan plan =
          plan(
              List.of(
                  lent(
                      "n1",
                      "8",
                      offline("a", "2", 10),
                      offline("b", "2", 20),
                      offline("c", "2", 30),
                      offline("d", "2", 40))),
              pending("p", "3"));
      assertThat(victimNames(plan)).containsExactly("a", "b");
    }

    @Test
    void neverEvictsOnlinePods() {
      Plan plan =
          plan(
              List.of(lent("n1", "8", online("db", "6", 2000), offline("a", "2", 10))),
              pending("p", "2"));
      assertThat(victimNames(plan)).containsExactly("a");
    }

    @Test
    void keepsTheNodeReserveFree() {
      Planner reserving =
          new Planner(new PlannerConfig(Resources.of("cpu", "1"), Duration.ofSeconds(5), 20_000));
      Plan plan =
          reserving.plan(
              input(
                  List.of(
                      lent(
                          "n1",
                          "8",
                          offline("a", "2", 10),
                          offline("b", "2", 20),
                          offline("c", "3", 30))),
                  pending("p", "3")));
      // Without the reserve 2 CPU are short and the youngest 2-CPU pod suffices; with it 3 are
      // short.
      assertThat(victimNames(plan)).containsExactly("c");
      Plan plain =
          planner.plan(
              input(
                  List.of(
                      lent(
                          "n1",
                          "8",
                          offline("a", "2", 10),
                          offline("b", "2", 20),
                          offline("c", "3", 30))),
                  pending("p", "3")));
      assertThat(victimNames(plain)).containsExactly("a");
      assertThat(plan.outcomeOf("web/p").orElseThrow().outcome()).isEqualTo(Outcome.RECLAIM);
    }

    @Test
    void considersEveryResourceDimension() {
      NodePod memHeavy = gleaner("mem", "1", "48Gi", PodClass.OFFLINE, 10);
      NodePod cpuHeavy = gleaner("cpu", "6", "1Gi", PodClass.OFFLINE, 5);
      PendingPod p =
          new PendingPod(
              "web",
              "p",
              "u",
              req("1", "32Gi"),
              Map.of(),
              List.of(),
              List.of(),
              1000,
              PreemptionPolicy.PREEMPT_LOWER_PRIORITY,
              java.util.Optional.empty(),
              null,
              NOW,
              java.util.Set.of());
      Plan plan = plan(List.of(lent("n1", "8", memHeavy, cpuHeavy)), p);
      assertThat(victimNames(plan)).containsExactly("mem");
    }

    @Test
    void theSamePlanForTheSameInput() {
      List<LentNode> nodes =
          List.of(
              lent("n1", "8", offline("a", "4", 10), offline("b", "4", 10)),
              lent("n2", "8", offline("c", "4", 10), offline("d", "4", 10)));
      assertThat(plan(nodes, pending("p", "4"), pending("q", "4")))
          .isEqualTo(plan(nodes, pending("p", "4"), pending("q", "4")));
    }
  }

  @Nested
  class Gangs {
    @Test
    void takesOnlyReplicasAboveMinMember() {
      Plan plan =
          plan(
              List.of(
                  lent(
                      "n1",
                      "8",
                      inGang(offline("g1", "2", 10), "gl/job", 2, 4),
                      inGang(offline("g2", "2", 10), "gl/job", 2, 4),
                      inGang(offline("g3", "2", 10), "gl/job", 2, 4),
                      inGang(offline("g4", "2", 10), "gl/job", 2, 4))),
              pending("p", "4"));
      assertThat(plan.victimCount()).isEqualTo(2);
    }

    @Test
    void evictsTheWholeGangAcrossNodesWhenSparesDoNotSuffice() {
      // 6 CPU needed on n1; the gang (min 3 of 3) has two members there and one on n2: all three
      // go.
      Plan plan =
          plan(
              List.of(
                  lent(
                      "n1",
                      "8",
                      inGang(offline("g1", "3", 10), "gl/job", 3, 3),
                      inGang(offline("g2", "3", 10), "gl/job", 3, 3)),
                  lent(
                      "n2",
                      "4",
                      inGang(offline("g3", "3", 10), "gl/job", 3, 3),
                      online("x", "1", 0))),
              pending("p", "6"));
      assertThat(victimNames(plan)).containsExactly("g1", "g2", "g3");
      NodeReclaim r = plan.reclaims().get(0);
      assertThat(r.node()).isEqualTo("n1");
      assertThat(r.victims()).extracting(Victim::node).containsExactlyInAnyOrder("n1", "n1", "n2");
    }

    @Test
    void prefersAPlainVictimToAWholeGang() {
      Plan plan =
          plan(
              List.of(
                  lent(
                      "n1",
                      "8",
                      inGang(offline("g1", "2", 10), "gl/job", 2, 2),
                      inGang(offline("g2", "2", 10), "gl/job", 2, 2),
                      offline("solo", "4", 9999))),
              pending("p", "4"));
      assertThat(victimNames(plan)).containsExactly("solo");
    }

    @Test
    void neverBreaksAGangWhoseMembersAreNotAllVisible() {
      // members=3 but only two are on lent nodes: the whole gang cannot be evicted, and no spare
      // exists.
      Plan plan =
          plan(
              List.of(
                  lent(
                      "n1",
                      "8",
                      inGang(offline("g1", "4", 10), "gl/job", 3, 3),
                      inGang(offline("g2", "4", 10), "gl/job", 3, 3))),
              pending("p", "4"));
      assertThat(plan.reclaims()).isEmpty();
      assertThat(plan.outcomeOf("web/p").orElseThrow().outcome()).isEqualTo(Outcome.NO_HELP);
    }

    @Test
    void sparesAreSharedAcrossTheBurst() {
      // Gang of 4 with minMember 3 spread over two nodes: only one replica may go in the whole
      // burst.
      Plan plan =
          plan(
              List.of(
                  lent("n1", "4", inGang(offline("g1", "4", 10), "gl/job", 3, 4)),
                  lent("n2", "4", inGang(offline("g2", "4", 10), "gl/job", 3, 4)),
                  lent(
                      "n3",
                      "8",
                      inGang(offline("g3", "4", 10), "gl/job", 3, 4),
                      inGang(offline("g4", "4", 10), "gl/job", 3, 4))),
              pending("p", "4"),
              pending("q", "4"));
      assertThat(plan.victimCount()).isIn(1, 4);
      long gangVictims = plan.reclaims().stream().flatMap(r -> r.victims().stream()).count();
      assertThat(gangVictims == 1 || gangVictims == 4).isTrue();
      // One replica frees room for one pod; the other pod costs the whole gang, which is then gone
      // entirely.
      assertThat(plan.outcomes())
          .extracting(PodOutcome::outcome)
          .doesNotContain(Outcome.DEFERRED_TO_PREEMPTION);
    }

    @Test
    void pendingGangIsPlacedAllOrNothing() {
      List<LentNode> nodes = List.of(lent("n1", "8", offline("a", "4", 10), offline("b", "4", 10)));
      PendingPod w1 = pending("w1", "4");
      PendingPod w2 = pending("w2", "4");
      PendingPod w3 = pending("w3", "4");
      Demand.Pods gang =
          new Demand.Pods("pg/train", Reason.POD_GROUP_PENDING, List.of(w1, w2, w3), 3);
      Plan plan = planner.plan(new PlanInput("c1", true, nodes, List.of(gang), NOW));
      assertThat(plan.reclaims()).isEmpty();
      assertThat(plan.outcomes()).hasSize(3).allMatch(o -> o.outcome() == Outcome.NO_HELP);
      assertThat(plan.outcomes().get(0).reason()).contains("needs 3 of 3");

      Demand.Pods smaller =
          new Demand.Pods("pg/train", Reason.POD_GROUP_PENDING, List.of(w1, w2, w3), 2);
      Plan ok = planner.plan(new PlanInput("c1", true, nodes, List.of(smaller), NOW));
      assertThat(victimNames(ok)).containsExactly("a", "b");
      assertThat(ok.reclaims().get(0).reason()).isEqualTo(Reason.POD_GROUP_PENDING);
    }
  }

  @Nested
  class Bursts {
    @Test
    void packsABurstOntoRoomAlreadyFreed() {
      // One 8-CPU victim frees room for four 2-CPU pods: one node, one victim, not four nodes.
      List<LentNode> nodes =
          List.of(
              lent("n1", "8", offline("big1", "8", 10)),
              lent("n2", "8", offline("big2", "8", 20)),
              lent("n3", "8", offline("big3", "8", 30)),
              lent("n4", "8", offline("big4", "8", 40)));
      Plan plan =
          plan(
              nodes,
              pending("p1", "2"),
              pending("p2", "2"),
              pending("p3", "2"),
              pending("p4", "2"));
      assertThat(plan.reclaims()).hasSize(1);
      assertThat(victimNames(plan)).containsExactly("big1");
      assertThat(plan.reclaims().get(0).forPods())
          .containsExactlyInAnyOrder("web/p1", "web/p2", "web/p3", "web/p4");
    }

    @Test
    void spreadsOnlyWhenOneNodeIsNotEnough() {
      List<LentNode> nodes =
          List.of(lent("n1", "8", offline("a", "8", 10)), lent("n2", "8", offline("b", "8", 20)));
      Plan plan = plan(nodes, pending("p1", "6"), pending("p2", "6"));
      assertThat(victimNames(plan)).containsExactly("a", "b");
      assertThat(plan.outcomes()).extracting(PodOutcome::node).doesNotHaveDuplicates();
    }

    @Test
    void neverEvictsOnTwoNodesForOnePod() {
      // 6 CPU needed; each node can only ever offer 4: nothing helps, nothing is evicted.
      List<LentNode> nodes =
          List.of(
              lent("n1", "8", online("x", "4", 0), offline("a", "4", 10)),
              lent("n2", "8", online("y", "4", 0), offline("b", "4", 10)));
      Plan plan = plan(nodes, pending("p", "6"));
      assertThat(plan.reclaims()).isEmpty();
      PodOutcome o = plan.outcomeOf("web/p").orElseThrow();
      assertThat(o.outcome()).isEqualTo(Outcome.NO_HELP);
      assertThat(o.reason())
          .contains("even an empty lent node would not help")
          .contains("2 node(s): too small");
    }

    @Test
    void higherPriorityGetsTheOnlyRoom() {
      List<LentNode> nodes = List.of(lent("n1", "8", offline("a", "8", 10)));
      Plan plan = plan(nodes, pending("low", "8", 100), pending("high", "8", 5000));
      assertThat(plan.outcomeOf("web/high").orElseThrow().outcome()).isEqualTo(Outcome.RECLAIM);
      PodOutcome low = plan.outcomeOf("web/low").orElseThrow();
      assertThat(low.outcome()).isEqualTo(Outcome.NO_HELP);
      assertThat(low.reason()).contains("taken by higher-priority pods of this burst");
    }

    @Test
    void aLargeBurstEvictsNoMoreThanItNeeds() {
      List<LentNode> nodes = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        nodes.add(
            lent("n" + (100 + i), "8", offline("a" + i, "4", i + 1), offline("b" + i, "4", i + 2)));
      }
      PendingPod[] pods = new PendingPod[30];
      for (int i = 0; i < pods.length; i++) {
        pods[i] = pending("p" + i, "2");
      }
      Plan plan = plan(nodes, pods);
      // 30 × 2 CPU = 60 CPU = 15 victims of 4 CPU, packed two pods per victim.
      assertThat(plan.victimCount()).isEqualTo(15);
      assertThat(plan.outcomes()).allMatch(o -> o.outcome() == Outcome.RECLAIM);
    }
  }

  @Nested
  class Exclusions {
    @Test
    void selectorMatchingNoLentNodeEvictsNothing() {
      Plan plan =
          plan(
              List.of(lent("n1", "8", offline("a", "8", 10))),
              withSelector(pending("p", "2"), Map.of("zone", "b")));
      assertThat(plan.reclaims()).isEmpty();
      assertThat(plan.outcomeOf("web/p").orElseThrow().reason())
          .contains("nodeSelector zone=b does not match");
    }

    @Test
    void selectorPicksTheMatchingNode() {
      Plan plan =
          plan(
              List.of(
                  lent("n1", "8", offline("a", "8", 10)),
                  withLabels(lent("n2", "8", offline("b", "8", 9999)), Map.of("zone", "b"))),
              withSelector(pending("p", "2"), Map.of("zone", "b")));
      assertThat(victimNames(plan)).containsExactly("b");
    }

    @Test
    void requiredAffinityExcludingEveryLentNodeEvictsNothing() {
      KubeNodeSelectorTerm term =
          KubeNodeSelectorTerm.of(KubeNodeSelectorRequirement.of("zone", "In", List.of("c", "d")));
      Plan plan =
          plan(
              List.of(lent("n1", "8", offline("a", "8", 10))),
              withAffinity(pending("p", "2"), term));
      assertThat(plan.reclaims()).isEmpty();
      assertThat(plan.outcomeOf("web/p").orElseThrow().reason())
          .contains("required node affinity does not match");
    }

    @Test
    void untoleratedTaintExcludesANodeAndAToleratedOneDoesNot() {
      KubeTaint t = KubeTaint.of("dedicated", "gpu", "NoSchedule");
      List<LentNode> nodes = List.of(withTaints(lent("n1", "8", offline("a", "8", 10)), t));
      Plan refused = plan(nodes, pending("p", "2"));
      assertThat(refused.reclaims()).isEmpty();
      assertThat(refused.outcomeOf("web/p").orElseThrow().reason())
          .contains("untolerated taint dedicated=gpu:NoSchedule");

      Plan tolerated =
          plan(nodes, withTolerations(pending("p", "2"), KubeToleration.exists("dedicated")));
      assertThat(victimNames(tolerated)).containsExactly("a");
    }

    @Test
    void preferNoScheduleDoesNotExclude() {
      Plan plan =
          plan(
              List.of(
                  withTaints(
                      lent("n1", "8", offline("a", "8", 10)),
                      KubeTaint.of("x", "", "PreferNoSchedule"))),
              pending("p", "2"));
      assertThat(victimNames(plan)).containsExactly("a");
    }

    @Test
    void tooLargeForAnyLentNode() {
      Plan plan = plan(List.of(lent("n1", "8", offline("a", "8", 10))), pending("p", "16"));
      assertThat(plan.reclaims()).isEmpty();
      assertThat(plan.outcomeOf("web/p").orElseThrow().reason())
          .contains("too small even without Gleaner pods")
          .contains("cpu");
    }

    @Test
    void cordonedNodeIsExcluded() {
      LentNode n = lent("n1", "8", offline("a", "8", 10));
      LentNode cordoned =
          new LentNode(n.name(), n.pool(), n.allocatable(), n.labels(), n.taints(), true, n.pods());
      Plan plan = plan(List.of(cordoned), pending("p", "2"));
      assertThat(plan.reclaims()).isEmpty();
      assertThat(plan.outcomeOf("web/p").orElseThrow().reason()).contains("cordoned");
    }

    @Test
    void noLentNodes() {
      Plan plan = plan(List.of(), pending("p", "2"));
      assertThat(plan.outcomeOf("web/p").orElseThrow().reason())
          .isEqualTo("no lent node in cluster c1");
    }
  }

  @Nested
  class NativePreemption {
    private final List<LentNode> nodes =
        List.of(lent("n1", "8", offline("a", "8", 10)), lent("n2", "8", offline("b", "8", 10)));

    @Test
    void recentNominationIsLeftToTheMemberScheduler() {
      Plan plan = plan(nodes, nominated(pending("p", "4"), "n2", NOW.minusSeconds(1)));
      PodOutcome o = plan.outcomeOf("web/p").orElseThrow();
      assertThat(o.outcome()).isEqualTo(Outcome.DEFERRED_TO_PREEMPTION);
      assertThat(o.retryAt()).isEqualTo(NOW.plusSeconds(4));
      assertThat(plan.reclaims()).isEmpty();
    }

    @Test
    void afterTheBoundGleanerActsPreferringTheNominatedNodeAtEqualCost() {
      Plan plan = plan(nodes, nominated(pending("p", "4"), "n2", NOW.minusSeconds(6)));
      assertThat(victimNames(plan)).containsExactly("b");
    }

    @Test
    void preemptionPolicyNeverMeansActNow() {
      Plan plan =
          plan(
              nodes,
              withPolicy(
                  nominated(pending("p", "4"), "n2", NOW.minusSeconds(1)), PreemptionPolicy.NEVER));
      assertThat(plan.victimCount()).isEqualTo(1);
    }

    @Test
    void memberWithoutPreemptionMeansActNow() {
      Plan plan =
          planner.plan(
              new PlanInput(
                  "c1",
                  false,
                  nodes,
                  List.of(
                      Demand.Pods.single(nominated(pending("p", "4"), "n2", NOW.minusSeconds(1)))),
                  NOW));
      assertThat(plan.victimCount()).isEqualTo(1);
    }

    @Test
    void equalPrioritiesOnTheNominatedLentNodeMeanActNow() {
      // Gleaner pods have priority -10; an online pod at -10 cannot preempt them.
      Plan plan = plan(nodes, nominated(pending("p", "4", -10), "n2", NOW.minusSeconds(1)));
      assertThat(plan.victimCount()).isEqualTo(1);
    }

    @Test
    void aPodAwaitingTerminationKeepsItsRoomForTheNextOne() {
      // web-0 waits for its victim to leave; web-1 (8 CPU) needs two more victims on top.
      LentNode n =
          lent(
              "n1",
              "16",
              offline("gone", "4", 10).asTerminating(),
              offline("a", "4", 10),
              offline("b", "4", 20),
              offline("c", "4", 30));
      PendingPod first = pending("web-0", "4");
      first =
          new PendingPod(
              first.namespace(),
              first.name(),
              first.uid(),
              first.requests(),
              Map.of(),
              List.of(),
              List.of(),
              first.priority(),
              first.preemptionPolicy(),
              java.util.Optional.empty(),
              null,
              NOW.minusSeconds(4),
              java.util.Set.of());
      Plan plan = plan(List.of(n), first, pending("web-1", "8"));
      assertThat(plan.outcomeOf("web/web-0").orElseThrow().outcome())
          .isEqualTo(Outcome.AWAITING_TERMINATION);
      assertThat(plan.victimCount()).isEqualTo(2);
    }

    @Test
    void podsAlreadyTerminatingAreNeverEvictedTwice() {
      LentNode n = lent("n1", "8", offline("a", "8", 10).asTerminating());
      Plan plan = plan(List.of(n), nominated(pending("p", "4"), "n1", NOW.minusSeconds(30)));
      assertThat(plan.reclaims()).isEmpty();
      PodOutcome o = plan.outcomeOf("web/p").orElseThrow();
      assertThat(o.outcome()).isEqualTo(Outcome.AWAITING_TERMINATION);
      assertThat(o.node()).isEqualTo("n1");
    }
  }

  @Nested
  class Pressure {
    @Test
    void freesTheBatchExcessCheapestFirst() {
      NodePod a =
          new NodePod(
              "gl",
              "a",
              "ua",
              Resources.of("kubernetes.io/batch-cpu", "2000", "pods", "1"),
              true,
              PodClass.OFFLINE,
              Pool.COLOCATION,
              -10,
              NOW.minusSeconds(50),
              30,
              java.util.Optional.empty(),
              false,
              "");
      NodePod b =
          new NodePod(
              "gl",
              "b",
              "ub",
              Resources.of("kubernetes.io/batch-cpu", "3000", "pods", "1"),
              true,
              PodClass.NEAR_LINE,
              Pool.COLOCATION,
              -5,
              NOW.minusSeconds(5),
              30,
              java.util.Optional.empty(),
              false,
              "");
      LentNode n =
          new LentNode(
              "n1",
              Pool.COLOCATION,
              Resources.of("kubernetes.io/batch-cpu", "4000", "pods", "110"),
              Map.of(),
              List.of(),
              false,
              List.of(a, b));
      Demand.Pressure p =
          new Demand.Pressure(
              "n1", Resources.of("kubernetes.io/batch-cpu", "1000"), NOW.minusMillis(10));
      Plan plan = planner.plan(new PlanInput("c1", true, List.of(n), List.of(p), NOW));
      assertThat(victimNames(plan)).containsExactly("a");
      assertThat(plan.reclaims().get(0).reason()).isEqualTo(Reason.COLOCATION_PRESSURE);
      assertThat(plan.reclaims().get(0).triggeredAt()).isEqualTo(NOW.minusMillis(10));
    }

    @Test
    void pressureOnANodeWithoutGleanerPodsIsReported() {
      Demand.Pressure p =
          new Demand.Pressure("nx", Resources.of("kubernetes.io/batch-cpu", "1000"), NOW);
      Plan plan = planner.plan(new PlanInput("c1", true, List.of(), List.of(p), NOW));
      assertThat(plan.outcomes().get(0).outcome()).isEqualTo(Outcome.NO_HELP);
    }
  }
}
