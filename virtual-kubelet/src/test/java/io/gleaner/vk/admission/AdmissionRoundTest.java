package io.gleaner.vk.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.fair.Candidate;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One round of fair admission: who is ungated in which order, and why the others wait. */
class AdmissionRoundTest {
  private static final Instant T0 = Instant.parse("2026-12-06T08:00:00Z");
  private static final Resources POOL = Resources.of("cpu", "100", "memory", "400Gi");
  private static final Teams TEAMS =
      new Teams(
          List.of(Team.of("ml", 1, "ml"), Team.of("search", 1, "search"), Team.of("ads", 2, "ads")),
          Team.of("default", 1));

  private static Candidate pod(String id, String ns, String cpu, boolean nearLine, int minute) {
    return new Candidate(
        id,
        ns,
        Resources.of("cpu", cpu, "memory", cpu + "Gi"),
        nearLine,
        T0.plusSeconds(60L * minute));
  }

  private static Resources room(String cpu) {
    return Resources.of("cpu", cpu, "memory", "1000Gi", "pods", "110");
  }

  private static List<String> ids(AdmissionRound.Decision d) {
    return d.admitted().stream().map(Candidate::id).toList();
  }

  @Test
  void theTeamWithTheLowestWeightedShareIsAdmittedFirstAndWeightsCount() {
    List<Candidate> gated = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      gated.add(pod("ml-" + i, "ml", "1", false, i));
      gated.add(pod("search-" + i, "search", "1", false, i));
      gated.add(pod("ads-" + i, "ads", "1", true, 100 + i));
    }
    AdmissionRound.Decision d = AdmissionRound.decide(room("8"), POOL, TEAMS, Map.of(), gated);
    // 8 cores for weights 1:1:2 -> 2, 2, 4
    Map<String, Integer> byTeam = new HashMap<>();
    d.admitted().forEach(c -> byTeam.merge(c.namespace(), 1, Integer::sum));
    assertThat(byTeam).containsEntry("ml", 2).containsEntry("search", 2).containsEntry("ads", 4);
    assertThat(d.roomLeft().cpuMillis()).isZero();
    assertThat(d.held()).hasSize(22);
  }

  @Test
  void aTeamThatHoldsMoreWaitsAndItsPodsSaySoWithTheShares() {
    List<Candidate> gated =
        List.of(
            pod("ml-1", "ml", "1", false, 0),
            pod("ads-1", "ads", "1", true, 5),
            pod("ads-2", "ads", "1", true, 6));
    Map<String, Resources> usage = Map.of("ml", Resources.of("cpu", "30", "memory", "30Gi"));
    AdmissionRound.Decision d = AdmissionRound.decide(room("1"), POOL, TEAMS, usage, gated);
    assertThat(ids(d)).containsExactly("ads-1");
    AdmissionRound.Hold hold = d.held().get("ml-1");
    assertThat(hold.reason()).isEqualTo("WaitingForTeamTurn");
    assertThat(hold.message())
        .isEqualTo(
            "harvested room goes first to team ads (weighted share 0.005); team ml holds weighted"
                + " share 0.3 (weight 1)");
    assertThat(d.held().get("ads-2").message()).contains("team ads is first in line");
  }

  @Test
  void withinATeamNearLineGoesBeforeOfflineThenTheOldest() {
    List<Candidate> gated =
        List.of(
            pod("old-offline", "ml", "1", false, 0),
            pod("young-near", "ml", "1", true, 9),
            pod("old-near", "ml", "1", true, 1));
    AdmissionRound.Decision d = AdmissionRound.decide(room("2"), POOL, TEAMS, Map.of(), gated);
    assertThat(ids(d)).containsExactly("old-near", "young-near");
  }

  @Test
  void aPodThatDoesNotFitIsPassedAndSmallerOnesBehindItUseTheRoom() {
    List<Candidate> gated =
        List.of(pod("big", "ml", "8", false, 0), pod("small", "ml", "1", false, 1));
    AdmissionRound.Decision d = AdmissionRound.decide(room("2"), POOL, TEAMS, Map.of(), gated);
    assertThat(ids(d)).containsExactly("small");
    AdmissionRound.Hold hold = d.held().get("big");
    assertThat(hold.reason()).isEqualTo("WaitingForTeamTurn");
    assertThat(hold.message())
        .contains("waits for room")
        .contains("asks for cpu 8")
        .contains("cpu 1 ");
  }

  @Test
  void noRoomAdmitsNothingAndEveryPodWaits() {
    List<Candidate> gated = List.of(pod("a", "ml", "1", false, 0), pod("b", "ads", "1", true, 0));
    AdmissionRound.Decision d = AdmissionRound.decide(room("0"), POOL, TEAMS, Map.of(), gated);
    assertThat(d.admitted()).isEmpty();
    assertThat(d.held()).containsOnlyKeys("a", "b");
  }

  @Test
  void everyPodTakesAPodSlot() {
    List<Candidate> gated = List.of(pod("a", "ml", "1", false, 0), pod("b", "ml", "1", false, 1));
    Resources oneSlot = Resources.of("cpu", "10", "memory", "100Gi", "pods", "1");
    assertThat(ids(AdmissionRound.decide(oneSlot, POOL, TEAMS, Map.of(), gated)))
        .containsExactly("a");
  }

  @Test
  void aTeamAtItsCapStaysGatedAndSaysSo() {
    Teams capped =
        new Teams(
            List.of(Team.of("ml", 1, "ml").withCap(Map.of("cpu", 2000L)), Team.of("ads", 2, "ads")),
            Team.of("default", 1));
    Map<String, Resources> usage = Map.of("ml", Resources.of("cpu", "2", "memory", "2Gi"));
    List<Candidate> gated =
        List.of(pod("ml-1", "ml", "1", false, 0), pod("ads-1", "ads", "1", true, 0));
    AdmissionRound.Decision d = AdmissionRound.decide(room("10"), POOL, capped, usage, gated);
    assertThat(ids(d)).containsExactly("ads-1");
    assertThat(d.held().get("ml-1").reason()).isEqualTo("TeamAtCap");
    assertThat(d.held().get("ml-1").message()).contains("team ml is at its cap").contains("cap 2");
  }

  @Test
  void aTeamUnderItsGuaranteeGoesFirst() {
    Teams guaranteed =
        new Teams(
            List.of(
                Team.of("ml", 1, "ml"),
                Team.of("ads", 2, "ads").withGuarantee(Resources.of("cpu", "50"))),
            Team.of("default", 1));
    Map<String, Resources> usage = Map.of("ads", Resources.of("cpu", "40", "memory", "40Gi"));
    List<Candidate> gated =
        List.of(pod("ml-1", "ml", "1", false, 0), pod("ads-1", "ads", "1", true, 9));
    assertThat(ids(AdmissionRound.decide(room("1"), POOL, guaranteed, usage, gated)))
        .containsExactly("ads-1");
  }

  @Test
  void aPodOfANamespaceInNoTeamIsInTheDefaultTeam() {
    List<Candidate> gated = List.of(pod("x", "elsewhere", "1", false, 0));
    Map<String, Resources> usage = Map.of("default", Resources.of("cpu", "50", "memory", "50Gi"));
    AdmissionRound.Decision d = AdmissionRound.decide(room("0"), POOL, TEAMS, usage, gated);
    assertThat(d.held().get("x").message()).contains("team default");
  }

  @Test
  void aTeamWithTenTimesTheBacklogGetsNoMoreThanItsTurn() {
    List<Candidate> gated = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      gated.add(pod("search-" + i, "search", "1", false, i));
    }
    for (int i = 0; i < 10; i++) {
      gated.add(pod("ml-" + i, "ml", "1", false, 200 + i));
    }
    AdmissionRound.Decision d = AdmissionRound.decide(room("10"), POOL, TEAMS, Map.of(), gated);
    long search = d.admitted().stream().filter(c -> c.namespace().equals("search")).count();
    assertThat(search).isEqualTo(5);
  }
}
