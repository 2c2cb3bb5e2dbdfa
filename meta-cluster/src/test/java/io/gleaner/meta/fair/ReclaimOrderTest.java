package io.gleaner.meta.fair;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReclaimOrderTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final Resources POOL = Resources.of("cpu", "100");
  private static final Team DEFAULT = Team.of("default", 1);
  private static final Teams TEAMS =
      new Teams(List.of(Team.of("a", 1, "a"), Team.of("b", 1, "b")), DEFAULT);

  private static Running pod(String id, String ns, int cpu, boolean nearLine, int startedAgo) {
    return new Running(
        id, ns, Resources.of("cpu", String.valueOf(cpu)), nearLine, T0.minusSeconds(startedAgo));
  }

  private static List<String> ids(List<Running> order) {
    return order.stream().map(Running::id).toList();
  }

  @Test
  void takesFirstFromTheTeamFurthestAboveItsFairShare() {
    List<Running> running =
        List.of(
            pod("a-young", "a", 10, false, 10),
            pod("b-0", "b", 20, false, 500),
            pod("b-1", "b", 20, true, 400),
            pod("b-2", "b", 20, false, 300));
    // a holds 0.1 of fair 0.5, b holds 0.6 of fair 0.5

    List<Running> order =
        ReclaimOrder.order(POOL, TEAMS, Map.of("a", 0.5, "b", 0.5), running, Map.of());

    // b: offline youngest first (b-2, b-0), then b falls to 0.2 (excess -0.3) while a stands at
    // -0.4: b's near-line pod goes before a's offline pod
    assertThat(ids(order)).containsExactly("b-2", "b-0", "b-1", "a-young");
  }

  @Test
  void reRanksAfterEveryPodTaken() {
    List<Running> running = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      running.add(pod("a-" + i, "a", 10, false, 100 + i));
      running.add(pod("b-" + i, "b", 10, false, 100 + i));
    }
    // a holds 0.3 (+ 0.2 elsewhere) = 0.5, b 0.3; fair 0.3 each: a gives two, then both stand at
    // their fair share and the younger pod goes (b-0 started 100 s ago, a-2 102 s), then a (now
    // 0.1 above b)
    List<Running> order =
        ReclaimOrder.order(
            POOL,
            TEAMS,
            Map.of("a", 0.3, "b", 0.3),
            running,
            Map.of("a", Resources.of("cpu", "20")));

    assertThat(ids(order)).containsExactly("a-0", "a-1", "b-0", "a-2", "b-1", "b-2");
  }

  @Test
  void withoutTeamsItIsTheClassOrder() {
    List<Running> running =
        List.of(
            pod("nl-young", "x", 1, true, 5),
            pod("off-old", "y", 1, false, 500),
            pod("off-young", "x", 1, false, 5),
            pod("nl-old", "z", 1, true, 500));

    List<Running> order =
        ReclaimOrder.order(POOL, Teams.only(DEFAULT), Map.of("default", 1.0), running, Map.of());

    assertThat(ids(order)).containsExactly("off-young", "off-old", "nl-young", "nl-old");
  }

  @Test
  void whereSharesAreEqualClassOrderDecidesAcrossTeams() {
    List<Running> running =
        List.of(
            pod("a-nl", "a", 10, true, 5),
            pod("a-off", "a", 10, false, 600),
            pod("b-off", "b", 10, false, 100),
            pod("b-nl", "b", 10, true, 700));
    // both hold 0.2 of fair 0.2

    List<Running> order =
        ReclaimOrder.order(POOL, TEAMS, Map.of("a", 0.2, "b", 0.2), running, Map.of());

    // b-off (younger offline) first; then b is below a by 0.1, so a's offline pod; then equal again
    // (both 0.1 below): a-nl (younger near-line) before b-nl
    assertThat(ids(order)).containsExactly("b-off", "a-off", "a-nl", "b-nl");
  }

  @Test
  void noPodsNoVictims() {
    assertThat(ReclaimOrder.order(POOL, TEAMS, Map.of(), List.of(), Map.of())).isEmpty();
  }
}
