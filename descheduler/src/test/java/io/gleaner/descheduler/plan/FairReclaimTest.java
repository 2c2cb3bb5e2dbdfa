package io.gleaner.descheduler.plan;

import static io.gleaner.descheduler.plan.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reclaim takes from the teams furthest above their fair share first (issue 19). */
class FairReclaimTest {
  private static final Teams TEAMS =
      new Teams(
          List.of(Team.of("ml", 1, "ml-ns"), Team.of("search", 1, "search-ns")),
          Team.of("default", 1));

  private final Planner planner = new Planner(PlannerConfig.DEFAULT);

  /** {@code p} running for a metadata pod of {@code metaNamespace}. */
  static NodePod of(String metaNamespace, NodePod p) {
    return new NodePod(
        p.namespace(),
        p.name(),
        p.uid(),
        p.requests(),
        p.gleaner(),
        p.podClass(),
        p.source(),
        p.priority(),
        p.startTime(),
        p.gracePeriodSeconds(),
        p.gang(),
        p.terminating(),
        p.metaUid(),
        metaNamespace);
  }

  static Resources cpu(String cores) {
    return Resources.of("cpu", cores, "memory", "1Gi");
  }

  /**
   * A pool of 40 cores; ml holds {@code ml} cores, search {@code search}, across the federation.
   */
  static ReclaimFairness held(String ml, String search) {
    return new ReclaimFairness(
        TEAMS,
        Resources.of("cpu", "40", "memory", "1000Gi"),
        Map.of("ml", cpu(ml), "search", cpu(search)));
  }

  @Test
  void takesFromTheTeamFurthestAboveItsFairShare() {
    // Class order alone would take the younger search pod; ml holds 30 of 40 cores, search 10.
    List<LentNode> nodes =
        List.of(
            lent(
                "n1",
                "8",
                of("ml-ns", offline("ml-old", "4", 5000)),
                of("search-ns", offline("search-young", "4", 10))));
    assertThat(victimNames(planner.plan(input(nodes, pending("p", "4")))))
        .containsExactly("search-young");
    assertThat(victimNames(planner.plan(input(nodes, pending("p", "4")), held("30", "10"))))
        .containsExactly("ml-old");
    // and the other way round when search is the richer team
    assertThat(victimNames(planner.plan(input(nodes, pending("p", "4")), held("10", "30"))))
        .containsExactly("search-young");
  }

  @Test
  void theRichestTeamGivesEvenItsNearLinePodsFirst() {
    List<LentNode> nodes =
        List.of(
            lent(
                "n1",
                "8",
                of("ml-ns", nearLine("ml-near", "4", 10)),
                of("search-ns", offline("search-off", "4", 10))));
    assertThat(victimNames(planner.plan(input(nodes, pending("p", "4")), held("30", "10"))))
        .containsExactly("ml-near");
  }

  @Test
  void moreVictimsFromTheRichestBeatOneFromAPoorerTeam() {
    List<LentNode> nodes =
        List.of(
            lent(
                "n1",
                "8",
                of("ml-ns", offline("ml-a", "2", 100)),
                of("ml-ns", offline("ml-b", "2", 100)),
                of("search-ns", offline("search-big", "4", 100))));
    assertThat(victimNames(planner.plan(input(nodes, pending("p", "4")), held("30", "10"))))
        .containsExactly("ml-a", "ml-b");
  }

  @Test
  void equalSharesKeepTheClassOrder() {
    List<LentNode> nodes =
        List.of(
            lent(
                "n1",
                "8",
                of("ml-ns", nearLine("ml-near", "4", 10)),
                of("search-ns", offline("search-old", "4", 5000))));
    Plan plan = planner.plan(input(nodes, pending("p", "4")), held("20", "20"));
    assertThat(victimNames(plan)).containsExactly("search-old");
    // youngest first, fewest first: as without teams
    List<LentNode> same =
        List.of(
            lent(
                "n1",
                "12",
                of("ml-ns", offline("ml-old", "4", 5000)),
                of("search-ns", offline("search-young", "4", 10)),
                of("ml-ns", offline("ml-small", "2", 1)),
                of("search-ns", offline("search-small", "2", 1))));
    assertThat(victimNames(planner.plan(input(same, pending("p", "4")), held("20", "20"))))
        .isEqualTo(victimNames(planner.plan(input(same, pending("p", "4")))))
        .containsExactly("search-young");
  }

  @Test
  void weightsDecideWhoIsRichest() {
    // ml holds more cores, but with weights 2:1 it holds exactly its share and search is above.
    Teams weighted =
        new Teams(
            List.of(Team.of("ml", 2, "ml-ns"), Team.of("search", 1, "search-ns")),
            Team.of("default", 1));
    ReclaimFairness f =
        new ReclaimFairness(
            weighted,
            Resources.of("cpu", "40", "memory", "1000Gi"),
            Map.of("ml", cpu("24"), "search", cpu("16")));
    List<LentNode> nodes =
        List.of(
            lent(
                "n1",
                "8",
                of("ml-ns", offline("ml-young", "4", 10)),
                of("search-ns", offline("search-old", "4", 5000))));
    assertThat(victimNames(planner.plan(input(nodes, pending("p", "4")), f)))
        .containsExactly("search-old");
    assertThat(victimNames(planner.plan(input(nodes, pending("p", "4")), held("24", "16"))))
        .containsExactly("ml-young");
  }

  @Test
  void aGangOfTheRichestTeamGoesWholeOrNotAtAll() {
    // ml's gang is at minMember (no spares): one member alone may not go, so the whole gang goes,
    // across nodes, before search's single pod.
    List<LentNode> nodes =
        List.of(
            lent(
                "n1",
                "8",
                of("ml-ns", inGang(offline("g1", "2", 10), "ml-ns/job", 2, 2)),
                of("search-ns", offline("search-solo", "4", 10)),
                online("x", "2", 0)),
            lent(
                "n2",
                "4",
                of("ml-ns", inGang(offline("g2", "2", 10), "ml-ns/job", 2, 2)),
                online("y", "2", 0)));
    Plan plan = planner.plan(input(nodes, pending("p", "2")), held("30", "10"));
    assertThat(victimNames(plan)).containsExactly("g1", "g2");
    assertThat(plan.reclaims().get(0).victims())
        .extracting(Victim::node)
        .containsExactlyInAnyOrder("n1", "n2");
  }

  @Test
  void aGangThatCannotGoWholeIsNeverBroken() {
    // Only one of the gang's two members is visible: it cannot go whole, so search's pod goes.
    List<LentNode> nodes =
        List.of(
            lent(
                "n1",
                "8",
                of("ml-ns", inGang(offline("g1", "2", 10), "ml-ns/job", 2, 2)),
                of("search-ns", offline("search-solo", "4", 10)),
                online("x", "2", 0)));
    Plan plan = planner.plan(input(nodes, pending("p", "2")), held("30", "10"));
    assertThat(victimNames(plan)).containsExactly("search-solo");
  }

  @Test
  void aPodItsDisruptionBudgetProtectsStaysEvenInTheRichestTeam() {
    // The snapshot hands the planner a PDB-protected pod as one that only takes room (not a
    // candidate); its requests still count in its team's usage.
    NodePod protectedPod = of("ml-ns", offline("ml-protected", "4", 10));
    NodePod asBlocked =
        new NodePod(
            protectedPod.namespace(),
            protectedPod.name(),
            protectedPod.uid(),
            protectedPod.requests(),
            false,
            protectedPod.podClass(),
            protectedPod.source(),
            protectedPod.priority(),
            protectedPod.startTime(),
            protectedPod.gracePeriodSeconds(),
            java.util.Optional.empty(),
            false,
            protectedPod.metaUid(),
            protectedPod.metaNamespace());
    List<LentNode> nodes =
        List.of(lent("n1", "8", asBlocked, of("search-ns", offline("search-solo", "4", 5000))));
    Plan plan = planner.plan(input(nodes, pending("p", "4")), held("30", "10"));
    assertThat(victimNames(plan)).containsExactly("search-solo");
  }

  @Test
  void teamsAreRankedAgainAsTheBurstTakesFromThem() {
    // ml stands a little above search; after its first victim it stands below, so the second pod
    // of the burst takes from search (on n1, where room is already being freed, at equal cost).
    List<LentNode> nodes =
        List.of(
            lent(
                "n1",
                "8",
                of("ml-ns", offline("ml-1", "4", 10)),
                of("search-ns", offline("search-1", "4", 10))),
            lent(
                "n2",
                "8",
                of("ml-ns", offline("ml-2", "4", 10)),
                of("search-ns", offline("search-2", "4", 10))));
    Plan plan = planner.plan(input(nodes, pending("p", "4"), pending("q", "4")), held("22", "20"));
    assertThat(victimNames(plan)).containsExactly("ml-1", "search-1");
    // without the re-ranking both would come from ml
    assertThat(
            victimNames(
                planner.plan(input(nodes, pending("p", "4"), pending("q", "4")), held("40", "20"))))
        .containsExactly("ml-1", "ml-2");
  }
}
