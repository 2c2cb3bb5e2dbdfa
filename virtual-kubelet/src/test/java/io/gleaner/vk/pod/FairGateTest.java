package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.fair.Candidate;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.fair.Wait;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One round of the {@link FairGate} with a scripted broker. */
class FairGateTest {
  private static final Teams TEAMS =
      new Teams(List.of(Team.of("a", 2, "a"), Team.of("b", 1, "b")), Team.of("default", 1));

  /** Rounds asked for, not run: each test runs one round by hand. */
  private final List<Runnable> roundsAsked = new ArrayList<>();

  private final FairGate gate = new FairGate(roundsAsked::add);
  private final List<String> tried = new ArrayList<>();

  /** The free CPU the capacity stream reports, in millicores; each reservation takes 1000. */
  private long freeCpu = 10_000;

  @AfterEach
  void close() {
    gate.close();
  }

  /** A broker that has room only for {@code fits}; each reservation changes the capacity. */
  private void broker(Set<String> fits) {
    gate.controller(
        new FairGate.Controller() {
          @Override
          public FairGate.Tried tryPlace(String uid) {
            tried.add(uid);
            boolean placed = fits.contains(uid);
            if (placed) {
              freeCpu -= 1000;
            }
            // the capacity stream reports a change while the round goes on (it does every 200
            // ms, and after every reservation)
            gate.capacityChanged();
            return placed ? FairGate.Tried.PLACED : FairGate.Tried.NO_ROOM;
          }

          @Override
          public void showWait(String uid, Optional<Wait> wait) {}

          @Override
          public Map<String, Resources> usage(Teams teams) {
            return new HashMap<>();
          }
        });
    gate.teams(() -> TEAMS);
    gate.pool(() -> Resources.of("cpu", "100"));
    gate.freeRoom(() -> Resources.builder().putCanonical(Resources.CPU, freeCpu).build());
  }

  private void waiting(String id, String ns, String cpu, int minute) {
    gate.waitFor(
        new Candidate(
            id,
            ns,
            Resources.of("cpu", cpu),
            false,
            Instant.parse("2026-12-06T00:00:00Z").plusSeconds(60L * minute)));
  }

  @Test
  void capacityChangingDuringARoundDoesNotStarveTheTeamsRankedLater() {
    // team a goes first (weight 2, nothing held); its oldest pods find no room, b's pod does
    broker(Set.of("b1"));
    for (int i = 0; i < 5; i++) {
      waiting("a" + i, "a", "1", i);
    }
    waiting("b1", "b", "1", 10);

    gate.round();

    assertThat(tried).containsExactly("a0", "a1", "a2", "a3", "a4", "b1");
    assertThat(gate.isWaiting("b1")).isFalse();
    assertThat(gate.isWaiting("a0")).isTrue();
    // the changes asked for another round, which ranks every waiting pod again
    assertThat(roundsAsked).hasSize(1);
  }

  @Test
  void aPodLargerThanTheLargestFreeShapeIsPassedWithoutAskingTheBroker() {
    broker(Set.of("a-small", "b1"));
    gate.largestFree(() -> Resources.of("cpu", "2"));
    waiting("a-big", "a", "8", 0);
    waiting("a-small", "a", "1", 1);
    waiting("b1", "b", "2", 2);

    gate.round();

    assertThat(tried).containsExactly("a-small", "b1");
    assertThat(gate.isWaiting("a-big")).isTrue();
  }

  @Test
  void roomAddedDuringARoundStopsItSoThatTheNextRanksEveryPodAgain() {
    // a0 finds no room; room frees while b1 (ranked later) is tried: the round stops before b2,
    // and the next round offers the new room to a0 first
    gate.controller(
        new FairGate.Controller() {
          @Override
          public FairGate.Tried tryPlace(String uid) {
            tried.add(uid);
            if (uid.equals("b1")) {
              freeCpu += 4000; // a member's pod finished meanwhile
            }
            gate.capacityChanged();
            return FairGate.Tried.NO_ROOM;
          }

          @Override
          public void showWait(String uid, Optional<Wait> wait) {}

          @Override
          public Map<String, Resources> usage(Teams teams) {
            return new HashMap<>();
          }
        });
    gate.teams(() -> TEAMS);
    gate.pool(() -> Resources.of("cpu", "100"));
    gate.freeRoom(() -> Resources.builder().putCanonical(Resources.CPU, freeCpu).build());
    waiting("a0", "a", "1", 0);
    waiting("b1", "b", "1", 1);
    waiting("b2", "b", "1", 2);

    gate.round();

    assertThat(tried).containsExactly("a0", "b1");
    assertThat(roundsAsked).hasSize(1);
  }

  @Test
  void withoutAMeasureOfFreeRoomEveryChangeStopsTheRound() {
    broker(Set.of("b1"));
    gate.freeRoom(() -> null);
    waiting("a0", "a", "1", 0);
    waiting("b1", "b", "1", 1);

    gate.round();

    assertThat(tried).containsExactly("a0");
  }

  @Test
  void aWaitThatCouldNotBeWrittenIsWrittenAgainNextRoundAndTheOthersAreWrittenAnyway() {
    // nothing fits; a's pods go first; the first write of a0's condition fails (a conflict, a
    // timeout): a round must not count it as shown, nor leave the pods after it unwritten
    List<String> shown = new ArrayList<>();
    boolean[] failNext = {true};
    gate.controller(
        new FairGate.Controller() {
          @Override
          public FairGate.Tried tryPlace(String uid) {
            return FairGate.Tried.NO_ROOM;
          }

          @Override
          public void showWait(String uid, Optional<Wait> wait) {
            if (uid.equals("a0") && failNext[0]) {
              failNext[0] = false;
              throw new IllegalStateException("409 Conflict");
            }
            shown.add(uid + (wait.isPresent() ? ":" + wait.get().reason() : ":first"));
          }

          @Override
          public Map<String, Resources> usage(Teams teams) {
            return new HashMap<>();
          }
        });
    gate.teams(() -> TEAMS);
    gate.pool(() -> Resources.of("cpu", "100"));
    waiting("a0", "a", "1", 0);
    waiting("b1", "b", "1", 1);

    gate.round();
    assertThat(shown).containsExactly("b1:WaitingForTeamTurn");

    shown.clear();
    gate.round();
    assertThat(shown).contains("a0:first");
  }
}
