package io.gleaner.meta.fair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FairQueueTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final Team DEFAULT = Team.of("default", 1);

  private static Candidate pod(
      String id, String ns, String cpu, String mem, boolean nearLine, int age) {
    return new Candidate(
        id, ns, Resources.of("cpu", cpu, "memory", mem), nearLine, T0.minusSeconds(age));
  }

  private static Candidate offline(String id, String ns, String cpu, int age) {
    return pod(id, ns, cpu, "1Gi", false, age);
  }

  /** Tries every pod in fair order, placing it when it fits in what is free; the placed ids. */
  private static List<String> round(FairQueue q, Resources free) {
    List<String> placed = new ArrayList<>();
    Resources left = free;
    for (Optional<Candidate> c = q.next(); c.isPresent(); c = q.next()) {
      if (c.get().request().fitsIn(left)) {
        left = left.minus(c.get().request());
        q.placed(c.get());
        placed.add(c.get().id());
      } else {
        q.passed(c.get());
      }
    }
    return placed;
  }

  private static Map<String, Long> countByTeam(List<String> ids) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String id : ids) {
      out.merge(id.substring(0, id.indexOf('-')), 1L, Long::sum);
    }
    return out;
  }

  private static List<Candidate> backlog(String ns, int count, String cpu, int firstAge) {
    List<Candidate> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(offline(ns + "-" + i, ns, cpu, firstAge - i));
    }
    return out;
  }

  @Test
  void weightsOneOneTwoShareThePoolOneOneTwo() {
    Teams teams =
        new Teams(
            List.of(Team.of("a", 1, "a"), Team.of("b", 1, "b"), Team.of("c", 2, "c")), DEFAULT);
    List<Candidate> waiting = new ArrayList<>();
    waiting.addAll(backlog("a", 20, "1", 100));
    waiting.addAll(backlog("b", 20, "1", 50));
    waiting.addAll(backlog("c", 20, "1", 10));
    Resources pool = Resources.of("cpu", "40", "memory", "1Ti");

    List<String> placed = round(new FairQueue(pool, teams, Map.of(), waiting), pool);

    assertThat(countByTeam(placed))
        .containsExactly(Map.entry("a", 10L), Map.entry("b", 10L), Map.entry("c", 20L));
    // the first pods: everyone at share 0, the oldest head first; then c (weight 2) twice as often
    assertThat(placed.subList(0, 8))
        .containsExactly("a-0", "b-0", "c-0", "c-1", "a-1", "b-1", "c-2", "c-3");
  }

  @Test
  void dominantResourceFairnessAsInThePaper() {
    // Ghodsi et al. 2011: 9 CPUs and 18 GB; A's tasks <1 CPU, 4 GB>, B's <3 CPUs, 1 GB>: DRF gives
    // A three tasks and B two (both at dominant share 2/3).
    Teams teams = new Teams(List.of(Team.of("a", 1, "a"), Team.of("b", 1, "b")), DEFAULT);
    List<Candidate> waiting = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      waiting.add(pod("a-" + i, "a", "1", "4Gi", false, 100 - i));
      waiting.add(pod("b-" + i, "b", "3", "1Gi", false, 100 - i));
    }
    Resources pool = Resources.of("cpu", "9", "memory", "18Gi");

    FairQueue q = new FairQueue(pool, teams, Map.of(), waiting);
    List<String> placed = round(q, pool);

    assertThat(countByTeam(placed)).containsExactly(Map.entry("a", 3L), Map.entry("b", 2L));
    assertThat(Shares.dominant(q.usage("a"), pool)).isEqualTo(12.0 / 18);
    assertThat(Shares.dominant(q.usage("b"), pool)).isEqualTo(6.0 / 9);
  }

  @Test
  void theTeamWithTheLowestWeightedShareGoesFirstWhateverItsPodsAge() {
    Teams teams = new Teams(List.of(Team.of("a", 1, "a"), Team.of("b", 3, "b")), DEFAULT);
    Resources pool = Resources.of("cpu", "100");
    // a holds 20 % (weighted 0.2), b holds 45 % (weighted 0.15): b goes first though a's pod is
    // older
    Map<String, Resources> usage =
        Map.of("a", Resources.of("cpu", "20"), "b", Resources.of("cpu", "45"));
    FairQueue q =
        new FairQueue(
            pool,
            teams,
            usage,
            List.of(offline("a-old", "a", "1", 1000), offline("b-new", "b", "1", 1)));

    assertThat(q.next()).get().extracting(Candidate::id).isEqualTo("b-new");
  }

  @Test
  void withinATeamNearLineGoesBeforeOfflineThenTheOldestFirst() {
    Teams teams = Teams.only(DEFAULT);
    List<Candidate> waiting =
        List.of(
            pod("off-old", "x", "1", "1Gi", false, 300),
            pod("nl-young", "y", "1", "1Gi", true, 10),
            pod("off-young", "x", "1", "1Gi", false, 20),
            pod("nl-old", "x", "1", "1Gi", true, 200));
    Resources pool = Resources.of("cpu", "100", "memory", "100Gi");

    assertThat(round(new FairQueue(pool, teams, Map.of(), waiting), pool))
        .containsExactly("nl-old", "nl-young", "off-old", "off-young");
  }

  @Test
  void aTeamUnderItsGuaranteeGoesFirstUntilItReachesIt() {
    Team g = Team.of("g", 1, "g").withGuarantee(Resources.of("cpu", "4"));
    Teams teams = new Teams(List.of(g, Team.of("o", 1, "o")), DEFAULT);
    Resources pool = Resources.of("cpu", "100", "memory", "1Ti");
    // g already holds more than o, yet is under its guarantee of 4 cpu
    Map<String, Resources> usage =
        Map.of("g", Resources.of("cpu", "2"), "o", Resources.of("cpu", "1"));
    List<Candidate> waiting = new ArrayList<>(backlog("g", 5, "1", 10));
    waiting.addAll(backlog("o", 5, "1", 100));

    List<String> placed = round(new FairQueue(pool, teams, usage, waiting), pool);

    // g-0, g-1 bring it to 4 cpu; then o (share 0.01) until even, then alternating
    assertThat(placed.subList(0, 4)).containsExactly("g-0", "g-1", "o-0", "o-1");
  }

  @Test
  void aGuaranteeOfOneResourceGivesNoPriorityToPodsThatDoNotAskForIt() {
    Team g = Team.of("g", 1, "g").withGuarantee(Resources.of("nvidia.com/gpu", "2"));
    Teams teams = new Teams(List.of(g, Team.of("o", 1, "o")), DEFAULT);
    Resources pool = Resources.of("cpu", "100", "memory", "1Ti", "nvidia.com/gpu", "8");
    Map<String, Resources> usage = Map.of("g", Resources.of("cpu", "30"));
    Candidate gpuPod =
        new Candidate("g-gpu", "g", Resources.of("cpu", "1", "nvidia.com/gpu", "1"), false, T0);
    FairQueue q =
        new FairQueue(
            pool,
            teams,
            usage,
            List.of(offline("g-cpu", "g", "1", 500), offline("o-0", "o", "1", 1)));

    assertThat(q.next()).get().extracting(Candidate::id).isEqualTo("o-0");

    FairQueue withGpu =
        new FairQueue(pool, teams, usage, List.of(gpuPod, offline("o-0", "o", "1", 1)));
    assertThat(withGpu.next()).get().extracting(Candidate::id).isEqualTo("g-gpu");
  }

  @Test
  void aTeamAtItsCapWaitsAndItsPodsSaySo() {
    Team capped = Team.of("c", 4, "c").withCap(Map.of("cpu", 3000L));
    Teams teams = new Teams(List.of(capped, Team.of("o", 1, "o")), DEFAULT);
    Resources pool = Resources.of("cpu", "100", "memory", "1Ti");
    List<Candidate> waiting = new ArrayList<>(backlog("c", 5, "1", 100));
    waiting.addAll(backlog("o", 2, "1", 1));

    FairQueue q = new FairQueue(pool, teams, Map.of(), waiting);
    List<String> placed = round(q, pool);

    assertThat(countByTeam(placed)).containsEntry("c", 3L).containsEntry("o", 2L);
    Map<String, Wait> waits = q.waits();
    assertThat(waits).containsOnlyKeys("c-3", "c-4");
    assertThat(waits.get("c-3"))
        .isInstanceOfSatisfying(
            Wait.AtCap.class,
            w -> {
              assertThat(w.reason()).isEqualTo("TeamAtCap");
              assertThat(w.resources()).containsExactly("cpu");
              assertThat(w.message())
                  .isEqualTo("team c is at its cap: cpu held 3 + requested 1 > cap 3");
            });
  }

  @Test
  void aSmallerPodOfACappedTeamStillGoesWhenItFitsUnderTheCap() {
    Team capped = Team.of("c", 1, "c").withCap(Map.of("cpu", 3000L));
    Teams teams = new Teams(List.of(capped), DEFAULT);
    Resources pool = Resources.of("cpu", "100", "memory", "1Ti");
    Map<String, Resources> usage = Map.of("c", Resources.of("cpu", "2"));
    FairQueue q =
        new FairQueue(
            pool,
            teams,
            usage,
            List.of(offline("c-big", "c", "2", 100), offline("c-small", "c", "500m", 1)));

    assertThat(round(q, pool)).containsExactly("c-small");
    assertThat(q.waits()).containsOnlyKeys("c-big");
  }

  @Test
  void aPodWithoutRoomDoesNotBlockItsTeamOrOthers() {
    Teams teams = new Teams(List.of(Team.of("a", 1, "a"), Team.of("b", 1, "b")), DEFAULT);
    Resources free = Resources.of("cpu", "3", "memory", "1Ti");
    List<Candidate> waiting =
        List.of(
            offline("a-huge", "a", "64", 100),
            offline("a-small", "a", "1", 50),
            offline("b-0", "b", "1", 40),
            offline("b-1", "b", "1", 30),
            offline("b-2", "b", "1", 20));

    FairQueue q = new FairQueue(Resources.of("cpu", "100"), teams, Map.of(), waiting);

    assertThat(round(q, free)).containsExactly("a-small", "b-0", "b-1");
  }

  @Test
  void podsLeftWaitingBehindOtherTeamsSayWhichGoFirst() {
    Team g = Team.of("g", 1, "g").withGuarantee(Resources.of("cpu", "50"));
    Teams teams =
        new Teams(List.of(g, Team.of("light", 2, "light"), Team.of("heavy", 1, "heavy")), DEFAULT);
    Resources pool = Resources.of("cpu", "100");
    Map<String, Resources> usage =
        Map.of(
            "g", Resources.of("cpu", "10"),
            "light", Resources.of("cpu", "20"),
            "heavy", Resources.of("cpu", "40"));
    FairQueue q =
        new FairQueue(
            pool,
            teams,
            usage,
            List.of(
                offline("g-0", "g", "1", 1),
                offline("light-0", "light", "1", 1),
                offline("heavy-0", "heavy", "1", 1),
                offline("heavy-1", "heavy", "1", 1)));

    assertThat(round(q, Resources.ZERO)).isEmpty();
    Map<String, Wait> waits = q.waits();

    assertThat(waits).doesNotContainKey("g-0");
    assertThat(waits.get("light-0"))
        .isEqualTo(
            new Wait.TeamTurn(
                "light",
                List.of("g"),
                "harvested room goes first to team g (under its guarantee); team light holds"
                    + " weighted share 0.1 (weight 2)"));
    assertThat(waits.get("heavy-1"))
        .isInstanceOfSatisfying(
            Wait.TeamTurn.class,
            w -> {
              assertThat(w.reason()).isEqualTo("WaitingForTeamTurn");
              assertThat(w.ahead()).containsExactly("g", "light");
              assertThat(w.message())
                  .isEqualTo(
                      "harvested room goes first to teams g (under its guarantee), light (weighted"
                          + " share 0.1); team heavy holds weighted share 0.4 (weight 1)");
            });
  }

  @Test
  void aTeamThatSubmitsTenTimesMoreGetsNoMoreThanItsShare() {
    Teams teams =
        new Teams(List.of(Team.of("flood", 1, "flood"), Team.of("calm", 1, "calm")), DEFAULT);
    List<Candidate> waiting = new ArrayList<>(backlog("flood", 200, "1", 1000));
    waiting.addAll(backlog("calm", 20, "1", 10));
    Resources pool = Resources.of("cpu", "30", "memory", "1Ti");

    List<String> placed = round(new FairQueue(pool, teams, Map.of(), waiting), pool);

    assertThat(countByTeam(placed)).containsEntry("flood", 15L).containsEntry("calm", 15L);
  }

  @Test
  void equalSharesGoToTheNearLineHeadThenTheOldestThenByTeamName() {
    Teams teams =
        new Teams(
            List.of(Team.of("z", 1, "z"), Team.of("y", 1, "y"), Team.of("x", 1, "x")), DEFAULT);
    Resources pool = Resources.ZERO; // no pool: every share is 0
    FairQueue q =
        new FairQueue(
            pool,
            teams,
            Map.of(),
            List.of(
                pod("x-0", "x", "1", "1Gi", false, 5),
                pod("y-0", "y", "1", "1Gi", false, 5),
                pod("z-0", "z", "1", "1Gi", true, 1)));
    List<String> order = new ArrayList<>();
    for (Optional<Candidate> c = q.next(); c.isPresent(); c = q.next()) {
      order.add(c.get().id());
      q.placed(c.get());
    }
    assertThat(order).containsExactly("z-0", "x-0", "y-0");
  }

  @Test
  void namespacesInNoTeamShareTheDefaultTeam() {
    Teams teams = new Teams(List.of(Team.of("a", 1, "a")), DEFAULT);
    List<Candidate> waiting = new ArrayList<>(backlog("a", 10, "1", 100));
    waiting.addAll(backlog("p", 5, "1", 50));
    waiting.addAll(backlog("q", 5, "1", 40));
    Resources pool = Resources.of("cpu", "10", "memory", "1Ti");

    List<String> placed = round(new FairQueue(pool, teams, Map.of(), waiting), pool);

    // p and q are one team (default): its five pods are its oldest, all of p
    assertThat(countByTeam(placed)).containsOnly(Map.entry("a", 5L), Map.entry("p", 5L));
  }

  @Test
  void theCallerMustReportEachOfferedPodBeforeTheNext() {
    FairQueue q =
        new FairQueue(
            Resources.of("cpu", "1"),
            Teams.only(DEFAULT),
            Map.of(),
            List.of(offline("p", "x", "1", 1), offline("r", "x", "1", 0)));
    Candidate p = q.next().orElseThrow();

    assertThatThrownBy(q::next).isInstanceOf(IllegalStateException.class).hasMessageContaining("p");
    assertThatThrownBy(() -> q.placed(offline("r", "x", "1", 0)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("r was not offered; p was");
    q.placed(p);
    assertThatThrownBy(() -> q.passed(p)).isInstanceOf(IllegalStateException.class);
    assertThat(q.usage("default")).isEqualTo(Resources.of("cpu", "1", "memory", "1Gi"));
  }

  @Test
  void emptyQueueOffersNothingAndNobodyWaits() {
    FairQueue q = new FairQueue(Resources.of("cpu", "1"), Teams.only(DEFAULT), Map.of(), List.of());
    assertThat(q.next()).isEmpty();
    assertThat(q.waits()).isEmpty();
  }

  /**
   * Against a brute-force oracle on random rounds: at every step it re-ranks every waiting pod from
   * scratch (tier, weighted share, class, age, team), so the queue's incremental bookkeeping (lane
   * heads, cached shares, pods set aside at the cap or passed) must agree with it exactly.
   */
  @Test
  void agreesWithABruteForceOracleOnRandomRounds() {
    Random rnd = new Random(7);
    for (int trial = 0; trial < 500; trial++) {
      List<Team> declared = new ArrayList<>();
      int teamCount = 1 + rnd.nextInt(4);
      for (int t = 0; t < teamCount; t++) {
        Team team = Team.of("t" + t, 1 + rnd.nextInt(3), "t" + t);
        if (rnd.nextInt(3) == 0) {
          team = team.withGuarantee(Resources.of("cpu", String.valueOf(1 + rnd.nextInt(8))));
        }
        if (rnd.nextInt(3) == 0) {
          team = team.withCap(Map.of("cpu", 1000L * (2 + rnd.nextInt(12))));
        }
        declared.add(team);
      }
      Teams teams = new Teams(declared, DEFAULT);
      Resources pool = Resources.of("cpu", "40", "memory", "160Gi", "nvidia.com/gpu", "4");
      Map<String, Resources> usage = new HashMap<>();
      for (Team t : teams.all()) {
        usage.put(t.name(), Resources.of("cpu", String.valueOf(rnd.nextInt(6))));
      }
      List<Candidate> waiting = new ArrayList<>();
      int pods = rnd.nextInt(30);
      for (int i = 0; i < pods; i++) {
        String ns = rnd.nextInt(5) == 0 ? "elsewhere" : "t" + rnd.nextInt(teamCount);
        Resources req =
            Resources.of(
                "cpu",
                (1 + rnd.nextInt(4)) * 500 + "m",
                "memory",
                (1 + rnd.nextInt(16)) + "Gi",
                "nvidia.com/gpu",
                rnd.nextInt(6) == 0 ? "1" : "0");
        waiting.add(
            new Candidate("p" + i, ns, req, rnd.nextBoolean(), T0.minusSeconds(rnd.nextInt(5))));
      }
      Resources free =
          Resources.of(
              "cpu", String.valueOf(rnd.nextInt(30)), "memory", "100Gi", "nvidia.com/gpu", "2");

      FairQueue q = new FairQueue(pool, teams, usage, waiting);
      Oracle oracle = new Oracle(pool, teams, usage, waiting);
      Resources left = free;
      for (Optional<Candidate> c = q.next(); ; c = q.next()) {
        Optional<Candidate> expected = oracle.next();
        assertThat(c.map(Candidate::id))
            .as("trial %d", trial)
            .isEqualTo(expected.map(Candidate::id));
        if (c.isEmpty()) {
          break;
        }
        boolean fits = c.get().request().fitsIn(left);
        if (fits) {
          left = left.minus(c.get().request());
          q.placed(c.get());
        } else {
          q.passed(c.get());
        }
        oracle.done(c.get(), fits);
      }
      assertThat(q.waits().keySet()).as("trial %d", trial).isEqualTo(oracle.waitingIds());
    }
  }

  /** Re-ranks everything at every step; no state beyond usage and the set of untried pods. */
  private static final class Oracle {
    final Resources pool;
    final Teams teams;
    final Map<String, Resources> usage;
    final List<Candidate> untried;
    final List<Candidate> waiting = new ArrayList<>();

    Oracle(Resources pool, Teams teams, Map<String, Resources> usage, Collection<Candidate> pods) {
      this.pool = pool;
      this.teams = teams;
      this.usage = new HashMap<>(usage);
      this.untried = new ArrayList<>(pods);
    }

    Optional<Candidate> next() {
      Candidate best = null;
      for (Candidate c : untried) {
        Team t = teams.of(c.namespace());
        Resources u = usage.getOrDefault(t.name(), Resources.ZERO);
        if (!t.overCap(u.plus(c.request())).isEmpty()) {
          continue;
        }
        // only a team's first pod (in team order) among those not held at the cap may go
        boolean first = true;
        for (Candidate o : untried) {
          if (o != c
              && teams.of(o.namespace()) == t
              && t.overCap(u.plus(o.request())).isEmpty()
              && Candidate.TEAM_ORDER.compare(o, c) < 0) {
            first = false;
          }
        }
        if (first && (best == null || better(c, best))) {
          best = c;
        }
      }
      return Optional.ofNullable(best);
    }

    boolean better(Candidate a, Candidate b) {
      Team ta = teams.of(a.namespace());
      Team tb = teams.of(b.namespace());
      Resources ua = usage.getOrDefault(ta.name(), Resources.ZERO);
      Resources ub = usage.getOrDefault(tb.name(), Resources.ZERO);
      boolean ga = ta.belowGuarantee(ua, a.request());
      boolean gb = tb.belowGuarantee(ub, b.request());
      if (ga != gb) {
        return ga;
      }
      double sa = Shares.dominant(ua, pool) / ta.weight();
      double sb = Shares.dominant(ub, pool) / tb.weight();
      if (sa != sb) {
        return sa < sb;
      }
      if (a.nearLine() != b.nearLine()) {
        return a.nearLine();
      }
      if (!a.since().equals(b.since())) {
        return a.since().isBefore(b.since());
      }
      return ta.name().compareTo(tb.name()) < 0;
    }

    void done(Candidate c, boolean placed) {
      untried.remove(c);
      if (placed) {
        usage.merge(teams.of(c.namespace()).name(), c.request(), Resources::plus);
      } else {
        waiting.add(c);
      }
    }

    /** Pods still waiting with a reason: at the cap, or behind another team's waiting pod. */
    java.util.Set<String> waitingIds() {
      List<Candidate> all = new ArrayList<>(waiting);
      all.addAll(untried);
      java.util.Set<String> out = new java.util.HashSet<>();
      Map<String, Candidate> firsts = new HashMap<>();
      for (Candidate c : all) {
        Team t = teams.of(c.namespace());
        Resources u = usage.getOrDefault(t.name(), Resources.ZERO);
        if (!t.overCap(u.plus(c.request())).isEmpty()) {
          out.add(c.id());
          continue;
        }
        Candidate f = firsts.get(t.name());
        if (f == null || Candidate.TEAM_ORDER.compare(c, f) < 0) {
          firsts.put(t.name(), c);
        }
      }
      for (Candidate c : all) {
        Team t = teams.of(c.namespace());
        Candidate mine = firsts.get(t.name());
        if (mine == null || out.contains(c.id())) {
          continue;
        }
        for (Candidate theirs : firsts.values()) {
          if (teams.of(theirs.namespace()) != t && better(theirs, mine)) {
            out.add(c.id());
            break;
          }
        }
      }
      return out;
    }
  }
}
