package io.gleaner.meta.fair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class FairSharesTest {
  private static final Offset<Double> EPS = within(1e-9);
  private static final Resources POOL = Resources.of("cpu", "100", "memory", "400Gi");
  private static final Team DEFAULT = Team.of("default", 1);

  private static Resources cpu(String c) {
    return Resources.of("cpu", c);
  }

  private static Teams teams(Team... declared) {
    return new Teams(List.of(declared), DEFAULT);
  }

  @Test
  void backloggedTeamsShareByWeight() {
    Teams t = teams(Team.of("a", 1, "a"), Team.of("b", 1, "b"), Team.of("c", 2, "c"));
    Map<String, Resources> waiting = Map.of("a", cpu("500"), "b", cpu("500"), "c", cpu("500"));

    Map<String, FairShares.Share> s = FairShares.compute(POOL, t, Map.of(), waiting);

    assertThat(s.get("a").fair()).isCloseTo(0.25, EPS);
    assertThat(s.get("b").fair()).isCloseTo(0.25, EPS);
    assertThat(s.get("c").fair()).isCloseTo(0.5, EPS);
    assertThat(s.get("default").fair()).isZero();
    assertThat(s.get("c").demand()).isEqualTo(5.0);
    assertThat(s.keySet()).containsExactly("a", "b", "c", "default");
  }

  @Test
  void whatATeamDoesNotAskForGoesToTheOthersByWeight() {
    Teams t = teams(Team.of("a", 1, "a"), Team.of("b", 1, "b"), Team.of("c", 2, "c"));
    Map<String, Resources> usage = Map.of("a", cpu("4"), "b", cpu("50"));
    Map<String, Resources> waiting = Map.of("a", cpu("6"), "b", cpu("100"), "c", cpu("100"));

    Map<String, FairShares.Share> s = FairShares.compute(POOL, t, usage, waiting);

    assertThat(s.get("a").fair()).isCloseTo(0.1, EPS);
    assertThat(s.get("b").fair()).isCloseTo(0.3, EPS);
    assertThat(s.get("c").fair()).isCloseTo(0.6, EPS);
    assertThat(s.get("a").actual()).isCloseTo(0.04, EPS);
    assertThat(s.get("b").actual()).isCloseTo(0.5, EPS);
  }

  @Test
  void whenDemandFitsEveryTeamGetsWhatItAsks() {
    Teams t = teams(Team.of("a", 1, "a"), Team.of("b", 5, "b"));
    Map<String, FairShares.Share> s =
        FairShares.compute(POOL, t, Map.of("a", cpu("10")), Map.of("b", cpu("30")));

    assertThat(s.get("a").fair()).isCloseTo(0.1, EPS);
    assertThat(s.get("b").fair()).isCloseTo(0.3, EPS);
  }

  @Test
  void theDominantResourceCounts() {
    Teams t = teams(Team.of("mem", 1, "mem"), Team.of("cpu", 1, "cpu"));
    // mem asks for 300Gi of 400Gi (0.75), cpu for 75 of 100 cpus (0.75): 0.5 each
    Map<String, Resources> waiting =
        Map.of(
            "mem", Resources.of("cpu", "1", "memory", "300Gi"),
            "cpu", Resources.of("cpu", "75", "memory", "1Gi"));

    Map<String, FairShares.Share> s = FairShares.compute(POOL, t, Map.of(), waiting);

    assertThat(s.get("mem").fair()).isCloseTo(0.5, EPS);
    assertThat(s.get("cpu").fair()).isCloseTo(0.5, EPS);
  }

  @Test
  void aGuaranteeRaisesTheFairShareAboveTheWeightedLevel() {
    Teams t = teams(Team.of("g", 1, "g").withGuarantee(cpu("70")), Team.of("o", 1, "o"));
    Map<String, Resources> waiting = Map.of("g", cpu("500"), "o", cpu("500"));

    Map<String, FairShares.Share> s = FairShares.compute(POOL, t, Map.of(), waiting);

    assertThat(s.get("g").fair()).isCloseTo(0.7, EPS);
    assertThat(s.get("o").fair()).isCloseTo(0.3, EPS);
  }

  @Test
  void aGuaranteeCountsOnlyAsFarAsTheTeamAsks() {
    Teams t = teams(Team.of("g", 1, "g").withGuarantee(cpu("70")), Team.of("o", 1, "o"));
    Map<String, Resources> waiting = Map.of("g", cpu("20"), "o", cpu("500"));

    Map<String, FairShares.Share> s = FairShares.compute(POOL, t, Map.of(), waiting);

    assertThat(s.get("g").fair()).isCloseTo(0.2, EPS);
    assertThat(s.get("o").fair()).isCloseTo(0.8, EPS);
  }

  @Test
  void guaranteesBeyondThePoolAreScaledDownAlike() {
    Teams t =
        teams(
            Team.of("g", 1, "g").withGuarantee(cpu("120")),
            Team.of("h", 1, "h").withGuarantee(cpu("80")),
            Team.of("o", 5, "o"));
    Map<String, Resources> waiting = Map.of("g", cpu("500"), "h", cpu("500"), "o", cpu("500"));

    Map<String, FairShares.Share> s = FairShares.compute(POOL, t, Map.of(), waiting);

    assertThat(s.get("g").fair()).isCloseTo(0.6, EPS);
    assertThat(s.get("h").fair()).isCloseTo(0.4, EPS);
    assertThat(s.get("o").fair()).isZero();
  }

  @Test
  void aCapHoldsDemandBack() {
    Teams t = teams(Team.of("c", 10, "c").withCap(Map.of("cpu", 15_000L)), Team.of("o", 1, "o"));
    Map<String, Resources> waiting = Map.of("c", cpu("500"), "o", cpu("500"));

    Map<String, FairShares.Share> s = FairShares.compute(POOL, t, Map.of(), waiting);

    assertThat(s.get("c").demand()).isCloseTo(0.15, EPS);
    assertThat(s.get("c").fair()).isCloseTo(0.15, EPS);
    assertThat(s.get("o").fair()).isCloseTo(0.85, EPS);
  }

  @Test
  void anEmptyPoolGivesEveryoneNothing() {
    Teams t = teams(Team.of("a", 1, "a"));
    Map<String, FairShares.Share> s =
        FairShares.compute(Resources.ZERO, t, Map.of("a", cpu("4")), Map.of("a", cpu("4")));
    assertThat(s.get("a").fair()).isZero();
    assertThat(s.get("a").actual()).isZero();
  }

  /**
   * Properties on random inputs: shares sum to min(1, total demand) (or the guarantees' sum scaled
   * to 1), no team gets more than it asks, a team gets at least its guarantee when guarantees fit,
   * and among teams that get less than they ask and more than their guarantee, fair / weight is one
   * level.
   */
  @Test
  void waterFillingPropertiesHoldOnRandomInputs() {
    Random rnd = new Random(11);
    for (int trial = 0; trial < 2000; trial++) {
      int n = 1 + rnd.nextInt(5);
      Team[] declared = new Team[n];
      Map<String, Resources> waiting = new java.util.HashMap<>();
      for (int i = 0; i < n; i++) {
        Team team = Team.of("t" + i, 0.5 + rnd.nextInt(4), "t" + i);
        if (rnd.nextInt(3) == 0) {
          team = team.withGuarantee(cpu(String.valueOf(rnd.nextInt(40))));
        }
        declared[i] = team;
        waiting.put(team.name(), cpu(String.valueOf(rnd.nextInt(80))));
      }
      Teams t = teams(declared);
      Map<String, FairShares.Share> s = FairShares.compute(POOL, t, Map.of(), waiting);
      double sumFair = 0;
      double sumDemand = 0;
      double sumGuarantee = 0;
      Double level = null;
      for (Team team : t.all()) {
        FairShares.Share share = s.get(team.name());
        double g = Math.min(share.demand(), Shares.dominant(team.guarantee(), POOL));
        sumFair += share.fair();
        sumDemand += share.demand();
        sumGuarantee += g;
        assertThat(share.fair()).isLessThanOrEqualTo(share.demand() + 1e-12);
        if (share.fair() < share.demand() - 1e-9 && share.fair() > g + 1e-9) {
          double l = share.fair() / share.weight();
          if (level == null) {
            level = l;
          } else {
            assertThat(l).as("trial %d", trial).isCloseTo(level, within(1e-9));
          }
        }
      }
      if (sumGuarantee <= 1) {
        for (Team team : t.all()) {
          double g = Math.min(s.get(team.name()).demand(), Shares.dominant(team.guarantee(), POOL));
          assertThat(s.get(team.name()).fair()).isGreaterThanOrEqualTo(g - 1e-9);
        }
      }
      assertThat(sumFair).as("trial %d", trial).isCloseTo(Math.min(1, sumDemand), within(1e-9));
    }
  }
}
