package io.gleaner.meta.fair;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.fair.GuaranteeReclaim.Decision;
import io.gleaner.meta.fair.GuaranteeReclaim.Owed;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuaranteeReclaimTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final Resources POOL = Resources.of("cpu", "100", "memory", "1000Gi");
  private static final Team DEFAULT = Team.of("default", 1);

  private static Teams teams(Team... declared) {
    return new Teams(List.of(declared), DEFAULT);
  }

  private static final Team A = Team.of("a", 1, "a");
  private static final Team B = Team.of("b", 1, "b");
  private static final Team G = Team.of("g", 1, "g").withGuarantee(cpu(30));

  private static Resources cpu(int cores) {
    return Resources.of("cpu", String.valueOf(cores));
  }

  private static Running pod(String id, String ns, Resources request, boolean nearLine, int ago) {
    return new Running(id, ns, request, nearLine, T0.minusSeconds(ago));
  }

  /** {@code n} offline pods of 10 cpu in {@code ns}, the first the oldest. */
  private static List<Running> pods(String ns, int n, int firstAgo) {
    List<Running> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(pod(ns + "-" + i, ns, cpu(10), false, firstAgo - i));
    }
    return out;
  }

  private static Map<String, Resources> usage(List<Running> running) {
    Map<String, Resources> u = new HashMap<>();
    running.forEach(r -> u.merge(r.namespace(), r.request(), Resources::plus));
    return u;
  }

  /** Decides with one node holding all the room the pool has left, one pod waiting per team. */
  private static Decision decide(
      Resources pool,
      Teams teams,
      Map<String, Resources> usage,
      Map<String, Resources> waiting,
      List<Running> running) {
    return decide(pool, teams, usage, waiting, Map.of(), running);
  }

  private static Decision decide(
      Resources pool,
      Teams teams,
      Map<String, Resources> usage,
      Map<String, Resources> waiting,
      Map<String, Long> pending,
      List<Running> running) {
    Resources held = usage.values().stream().reduce(Resources.ZERO, Resources::plus);
    return GuaranteeReclaim.decide(
        pool,
        teams,
        usage,
        waiting,
        pending,
        Map.of("n", pool.minus(held).clampAtZero()),
        Map.of(),
        running);
  }

  private static List<String> ids(Decision d) {
    return d.victims().stream().map(Running::id).toList();
  }

  @Test
  void takesJustEnoughFromTheTeamFurthestAboveItsFairShare() {
    List<Running> running = new ArrayList<>(pods("a", 6, 1000));
    running.addAll(pods("b", 4, 2000));
    // fair shares 1/3 each; a holds 0.6, b 0.4; g lacks its 30 cpu and waits for 50

    Decision d = decide(POOL, teams(A, B, G), usage(running), Map.of("g", cpu(50)), running);

    assertThat(d.owed()).containsExactly(new Owed("g", cpu(30)));
    assertThat(d.needed()).isEqualTo(cpu(30));
    // a twice (0.6 -> 0.4, level with b), then a again: its youngest pod is younger than b's
    assertThat(ids(d)).containsExactly("a-5", "a-4", "a-3");
    assertThat(d.unmet().isZero()).isTrue();
  }

  @Test
  void reRanksAfterEveryVictim() {
    List<Running> running = new ArrayList<>(pods("a", 5, 1000));
    running.addAll(pods("b", 5, 1003));
    // fair shares 0.35, 0.35 and g's 0.3: a and b both 0.15 above, the younger pod goes, then the
    // other team, now the higher

    Decision d = decide(POOL, teams(A, B, G), usage(running), Map.of("g", cpu(30)), running);

    assertThat(ids(d)).containsExactly("a-4", "b-4", "a-3");
  }

  @Test
  void evictsNothingForATeamThatWaitsForNothing() {
    List<Running> running = pods("a", 10, 1000);

    assertThat(decide(POOL, teams(A, G), usage(running), Map.of(), running))
        .isEqualTo(Decision.NONE);
    assertThat(decide(POOL, teams(A, G), usage(running), Map.of("g", Resources.ZERO), running))
        .isEqualTo(Decision.NONE);
  }

  @Test
  void owesOnlyWhatTheWaitingPodsAskFor() {
    List<Running> running = pods("a", 10, 1000);

    Decision d = decide(POOL, teams(A, G), usage(running), Map.of("g", cpu(10)), running);

    assertThat(d.owed()).containsExactly(new Owed("g", cpu(10)));
    assertThat(ids(d)).containsExactly("a-9");
  }

  @Test
  void owesOnlyWhatTheTeamLacksOfItsGuarantee() {
    List<Running> running = new ArrayList<>(pods("a", 8, 1000));
    running.addAll(pods("g", 2, 500));

    Decision d = decide(POOL, teams(A, G), usage(running), Map.of("g", cpu(50)), running);

    assertThat(d.owed()).containsExactly(new Owed("g", cpu(10)));
    assertThat(ids(d)).as("never the owed team's own pods").containsExactly("a-7");
  }

  @Test
  void freeRoomCoversTheGuaranteeFirst() {
    List<Running> running = pods("a", 8, 1000);

    Decision all =
        decide(POOL, teams(A, G), usage(running), Map.of("g", cpu(20)), Map.of("g", 2L), running);
    Decision part =
        decide(POOL, teams(A, G), usage(running), Map.of("g", cpu(40)), Map.of("g", 4L), running);

    assertThat(all.owed()).containsExactly(new Owed("g", cpu(20)));
    assertThat(all.needed().isZero()).isTrue();
    assertThat(all.victims()).isEmpty();
    assertThat(part.needed()).as("30 owed, 20 free").isEqualTo(cpu(10));
    assertThat(ids(part)).containsExactly("a-7");
  }

  @Test
  void neverTakesFromATeamAtOrBelowItsFairShare() {
    Team a = Team.of("a", 1, "a");
    Team b = Team.of("b", 1, "b");
    Team g = Team.of("g", 1, "g").withGuarantee(cpu(40));
    List<Running> running = new ArrayList<>(pods("a", 3, 1000));
    running.addAll(pods("b", 7, 2000));
    // fair: a asks 0.3 (all it holds), b 0.7, g 0.4 (its guarantee): a gets 0.3, g 0.4, b 0.3

    Decision d = decide(POOL, teams(a, b, g), usage(running), Map.of("g", cpu(40)), running);

    assertThat(ids(d)).as("only b, above its share").allMatch(id -> id.startsWith("b-"));
    assertThat(ids(d)).hasSize(4);
    assertThat(d.unmet().isZero()).isTrue();
  }

  @Test
  void leavesTheRestUnmetWhenNoTeamAboveItsShareHasMoreToGive() {
    Team g = Team.of("g", 1, "g").withGuarantee(cpu(60));
    List<Running> running = new ArrayList<>(pods("a", 5, 1000));
    running.addAll(pods("b", 5, 2000));
    // a and b hold 0.5 each; fair: g gets its 0.6 guarantee, a and b 0.2 each: each gives 3

    Decision d = decide(POOL, teams(A, B, g), usage(running), Map.of("g", cpu(60)), running);

    assertThat(d.owed()).containsExactly(new Owed("g", cpu(60)));
    assertThat(d.victims()).hasSize(6);
    assertThat(d.unmet().isZero()).isTrue();

    // with b's pods out of reach (a PodDisruptionBudget, not passed as running), only a gives,
    // down to its fair share, and the rest stays unmet
    List<Running> onlyA = running.stream().filter(r -> r.namespace().equals("a")).toList();
    Decision partial = decide(POOL, teams(A, B, g), usage(running), Map.of("g", cpu(60)), onlyA);
    assertThat(ids(partial)).containsExactly("a-4", "a-3", "a-2");
    assertThat(partial.unmet()).isEqualTo(cpu(30));
  }

  @Test
  void aVictimTeamKeepsItsOwnGuarantee() {
    Team a = Team.of("a", 1, "a").withGuarantee(cpu(45));
    List<Running> running = new ArrayList<>(pods("a", 6, 1000));
    running.addAll(pods("b", 4, 2000));
    // a (guaranteed 45) holds 60 above its fair share; it gives only down to 50 (one more pod would
    // take it below 45), then b gives

    Decision d = decide(POOL, teams(a, B, G), usage(running), Map.of("g", cpu(30)), running);

    assertThat(ids(d)).contains("a-5").doesNotContain("a-3");
    assertThat(ids(d).stream().filter(id -> id.startsWith("a-")).count()).isEqualTo(1);
    assertThat(ids(d)).hasSize(3);
  }

  @Test
  void onlyVictimsThatFreeWhatIsNeeded() {
    Resources gpuPool = POOL.plus(Resources.of("nvidia.com/gpu", "8"));
    Team g = Team.of("g", 1, "g").withGuarantee(Resources.of("nvidia.com/gpu", "2"));
    List<Running> running = new ArrayList<>(pods("a", 9, 1000));
    running.add(pod("a-gpu", "a", Resources.of("cpu", "1", "nvidia.com/gpu", "8"), false, 5000));
    Map<String, Resources> usage = usage(running);

    Decision d =
        decide(
            gpuPool,
            teams(A, g),
            usage,
            Map.of("g", Resources.of("cpu", "1", "nvidia.com/gpu", "1")),
            running);

    assertThat(d.owed()).containsExactly(new Owed("g", Resources.of("nvidia.com/gpu", "1")));
    assertThat(ids(d)).containsExactly("a-gpu");
  }

  @Test
  void fragmentsNoPendingPodFitsAreNoRoom() {
    // a holds 90 (fair share 0.6); 10 cpu free, as 5 on each of two nodes; g lacks its 30 and its
    // four pending pods ask for 10 each
    List<Running> running = pods("a", 9, 1000);
    Map<String, Resources> waiting = Map.of("g", cpu(40));
    Map<String, Long> pending = Map.of("g", 4L);

    Decision fragments =
        GuaranteeReclaim.decide(
            POOL,
            teams(A, G),
            usage(running),
            waiting,
            pending,
            Map.of("n1", cpu(5), "n2", cpu(5)),
            Map.of(),
            running);
    Decision oneNode =
        GuaranteeReclaim.decide(
            POOL,
            teams(A, G),
            usage(running),
            waiting,
            pending,
            Map.of("n1", cpu(10)),
            Map.of(),
            running);

    assertThat(fragments.needed()).isEqualTo(cpu(30));
    assertThat(ids(fragments)).containsExactly("a-8", "a-7", "a-6");
    assertThat(oneNode.needed()).isEqualTo(cpu(20));
    assertThat(ids(oneNode)).containsExactly("a-8", "a-7");
  }

  @Test
  void aVictimFreesTheWholePendingPodsItsNodeGains() {
    // g's pending pods ask for 10 each; a's youngest pods hold 5 on full nodes (evicting one
    // frees no room a pending pod fits), a-2 holds 10, the fillers 10 each
    List<Running> running = new ArrayList<>();
    Map<String, String> nodeOf = new HashMap<>();
    running.add(pod("a-1", "a", cpu(5), false, 10));
    nodeOf.put("a-1", "n1");
    running.add(pod("a-0", "a", cpu(5), false, 20));
    nodeOf.put("a-0", "n2");
    running.add(pod("a-2", "a", cpu(10), false, 30));
    nodeOf.put("a-2", "n3");
    for (int i = 0; i < 7; i++) {
      running.add(pod("f-" + i, "a", cpu(10), false, 100 + i));
      nodeOf.put("f-" + i, "n4");
    }
    Map<String, Resources> free =
        Map.of(
            "n1", Resources.ZERO,
            "n2", Resources.ZERO,
            "n3", Resources.ZERO,
            "n4", Resources.ZERO,
            "n5", cpu(5),
            "n6", cpu(5));
    // a holds 90, fair share 0.7 with g asking for 30 (three pods)

    Decision d =
        GuaranteeReclaim.decide(
            POOL,
            teams(A, G),
            usage(running),
            Map.of("g", cpu(30)),
            Map.of("g", 3L),
            free,
            nodeOf,
            running);

    assertThat(d.needed()).isEqualTo(cpu(30));
    assertThat(ids(d)).containsExactly("a-2", "f-0");
    assertThat(d.unmet()).as("a is down to its fair share").isEqualTo(cpu(10));
  }

  @Test
  void whereNoVictimFreesAWholePendingPodTheRequestsCount() {
    // every pod of a holds 5 on its own full node, g's pending pods ask for 10 each: no single
    // eviction makes room for one, the youngest go by their requests so g is not stuck owed
    List<Running> running = new ArrayList<>();
    Map<String, String> nodeOf = new HashMap<>();
    Map<String, Resources> free = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      running.add(pod("a-" + i, "a", cpu(5), false, 100 - i));
      nodeOf.put("a-" + i, "n" + i);
      free.put("n" + i, Resources.ZERO);
    }

    Decision d =
        GuaranteeReclaim.decide(
            POOL,
            teams(A, G),
            usage(running),
            Map.of("g", cpu(20)),
            Map.of("g", 2L),
            free,
            nodeOf,
            running);

    assertThat(ids(d)).containsExactly("a-19", "a-18", "a-17", "a-16");
    assertThat(d.unmet().isZero()).isTrue();
  }

  @Test
  void roomCountsWholePodsOfTheShapeNodeByNode() {
    Resources shape = Resources.of("cpu", "2", "memory", "4Gi", "pods", "1");

    Resources room =
        GuaranteeReclaim.roomFor(
            List.of(
                Resources.of("cpu", "5", "memory", "100Gi"),
                Resources.of("cpu", "100", "memory", "7Gi"),
                Resources.of("cpu", "1", "memory", "100Gi")),
            shape);

    // two pods on the first node, one on the second (memory), none on the third; pods not counted
    assertThat(room.cpuMillis()).isEqualTo(6000);
    assertThat(room.memoryBytes()).isEqualTo(12L << 30);
  }

  @Test
  void classOrderWithinATeam() {
    List<Running> running =
        List.of(
            pod("near-young", "a", cpu(10), true, 10),
            pod("off-old", "a", cpu(10), false, 1000),
            pod("off-young", "a", cpu(10), false, 100));
    Map<String, Resources> usage = Map.of("a", cpu(100));

    Decision d = decide(POOL, teams(A, G), usage, Map.of("g", cpu(30)), running);

    assertThat(ids(d)).containsExactly("off-young", "off-old", "near-young");
  }

  @Test
  void aTeamAtItsFairShareIsOwedNothingEvenBelowItsGuarantee() {
    // guarantees of 80 + 80 on a 100 cpu pool: scaled to 0.5 each; g holds 50 cpu of its 80
    Team g = Team.of("g", 1, "g").withGuarantee(cpu(80));
    Team h = Team.of("h", 1, "h").withGuarantee(cpu(80));
    List<Running> running = new ArrayList<>(pods("g", 5, 1000));
    running.addAll(pods("h", 5, 1000));

    Decision d =
        decide(POOL, teams(g, h), usage(running), Map.of("g", cpu(30), "h", cpu(30)), running);

    assertThat(d).isEqualTo(Decision.NONE);
  }

  @Test
  void severalOwedTeamsAddUp() {
    Team g2 = Team.of("g2", 1, "g2").withGuarantee(cpu(10));
    List<Running> running = pods("a", 10, 1000);

    Decision d =
        decide(POOL, teams(A, G, g2), usage(running), Map.of("g", cpu(30), "g2", cpu(30)), running);

    assertThat(d.owed()).containsExactly(new Owed("g", cpu(30)), new Owed("g2", cpu(10)));
    assertThat(d.needed()).isEqualTo(cpu(40));
    assertThat(d.victims()).hasSize(4);
  }
}
