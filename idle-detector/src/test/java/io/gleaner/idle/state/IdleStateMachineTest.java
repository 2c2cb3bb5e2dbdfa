package io.gleaner.idle.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.idle.state.IdleState.Active;
import io.gleaner.idle.state.IdleState.IdleObserved;
import io.gleaner.idle.state.IdleState.Lent;
import io.gleaner.idle.state.IdleState.Reclaimed;
import io.gleaner.idle.state.Transition.Action;
import io.gleaner.meta.time.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IdleStateMachineTest {
  private static final Duration TEN_MIN = Duration.ofMinutes(10);
  private static final Duration COOLDOWN = Duration.ofMinutes(30);
  private static final IdleVerdict BUSY = IdleVerdict.busy(Breach.CPU_REQUESTS);

  private final FakeClock clock = new FakeClock();
  private final Instant t0 = clock.instant();
  private final IdleStateMachine machine = new IdleStateMachine(TEN_MIN, COOLDOWN);

  private IdleState state = Active.INSTANCE;

  private Transition observe(IdleVerdict v) {
    Transition t = machine.step(state, v, Optional.empty(), clock.instant());
    state = t.to();
    return t;
  }

  private Transition at(Duration sinceStart, IdleVerdict v) {
    clock.set(t0.plus(sinceStart));
    return observe(v);
  }

  @Test
  void lentAtExactlyTenMinutesNotAt959() {
    assertThat(at(Duration.ZERO, IdleVerdict.IDLE).to()).isEqualTo(new IdleObserved(t0));
    Transition at959 = at(Duration.ofMinutes(9).plusSeconds(59), IdleVerdict.IDLE);
    assertThat(at959.action()).isEqualTo(Action.NONE);
    assertThat(state).isEqualTo(new IdleObserved(t0));
    Transition justBefore = at(TEN_MIN.minusNanos(1), IdleVerdict.IDLE);
    assertThat(justBefore.action()).isEqualTo(Action.NONE);

    Transition at10 = at(TEN_MIN, IdleVerdict.IDLE);
    assertThat(at10.action()).isEqualTo(Action.LEND);
    assertThat(state).isEqualTo(new Lent(t0, t0.plus(TEN_MIN)));
  }

  @Test
  void lendEarlyLendsAnIdleObservedNodeNowKeepingItsIdleSince() {
    IdleState observed = new IdleObserved(t0);
    Instant now = t0.plusSeconds(60);
    Transition t = machine.lendEarly(observed, now, "forecast");
    assertThat(t.to()).isEqualTo(new Lent(t0, now));
    assertThat(t.action()).isEqualTo(Transition.Action.LEND);
    assertThat(t.reason()).isEqualTo("forecast");
  }

  @Test
  void lendEarlyLeavesEveryOtherStateAsItIs() {
    Instant now = t0.plusSeconds(60);
    for (IdleState other :
        List.of(Active.INSTANCE, new Lent(t0, t0), new Reclaimed(t0, t0.plus(COOLDOWN)))) {
      Transition t = machine.lendEarly(other, now, "forecast");
      assertThat(t.to()).isEqualTo(other);
      assertThat(t.action()).isEqualTo(Transition.Action.NONE);
      assertThat(t.changed()).isFalse();
    }
  }

  @Test
  void lendInCoolDownLendsAnIdleReturnedNodeNow() {
    IdleState cooling = new Reclaimed(t0, t0.plus(COOLDOWN));
    Instant now = t0.plusSeconds(600);
    Transition t = machine.lendInCoolDown(cooling, IdleVerdict.IDLE, now, "calm");
    assertThat(t.to()).isEqualTo(new Lent(now, now));
    assertThat(t.action()).isEqualTo(Action.LEND);
    assertThat(t.reason()).isEqualTo("calm");
  }

  @Test
  void lendInCoolDownLeavesABusyReturnedNodeAndEveryOtherStateAsTheyAre() {
    Instant now = t0.plusSeconds(600);
    IdleState cooling = new Reclaimed(t0, t0.plus(COOLDOWN));
    Transition busy = machine.lendInCoolDown(cooling, BUSY, now, "calm");
    assertThat(busy.to()).isEqualTo(cooling);
    assertThat(busy.action()).isEqualTo(Action.NONE);
    for (IdleState other : List.of(Active.INSTANCE, new IdleObserved(t0), new Lent(t0, t0))) {
      Transition t = machine.lendInCoolDown(other, IdleVerdict.IDLE, now, "calm");
      assertThat(t.to()).isEqualTo(other);
      assertThat(t.changed()).isFalse();
    }
  }

  @Test
  void aNodeLentInItsCoolDownIgnoresTheReclaimBeforeItAndReturnsOnTheNextBreach() {
    Instant reclaimedAt = t0;
    Instant until = t0.plus(COOLDOWN);
    Instant now = t0.plusSeconds(600);
    IdleState lent =
        machine
            .lendInCoolDown(new Reclaimed(reclaimedAt, until), IdleVerdict.IDLE, now, "calm")
            .to();
    // the detector still sees the earlier reclaim (and its cool-down) on the node
    Transition still =
        machine.step(
            lent,
            IdleVerdict.IDLE,
            Optional.of(new ReclaimSignal(reclaimedAt, Optional.of(until))),
            now.plusSeconds(60));
    assertThat(still.to()).isEqualTo(lent);
    assertThat(still.action()).isEqualTo(Action.NONE);
    Instant later = now.plusSeconds(120);
    Transition back = machine.step(lent, BUSY, Optional.empty(), later);
    assertThat(back.to()).isEqualTo(new Reclaimed(later, later.plus(COOLDOWN)));
    assertThat(back.action()).isEqualTo(Action.RETURN);
  }

  @Test
  void deadlineIsTheInstantTimeAloneLends() {
    at(Duration.ofSeconds(7), IdleVerdict.IDLE);
    assertThat(machine.deadline(state)).contains(t0.plusSeconds(7).plus(TEN_MIN));
    assertThat(machine.deadline(Active.INSTANCE)).isEmpty();
    assertThat(machine.deadline(new Lent(t0, t0))).isEmpty();
    assertThat(machine.deadline(new Reclaimed(t0, t0.plus(COOLDOWN)))).contains(t0.plus(COOLDOWN));
  }

  @Test
  void breachAt959RestartsTheClock() {
    at(Duration.ZERO, IdleVerdict.IDLE);
    Transition breach = at(Duration.ofMinutes(9).plusSeconds(59), BUSY);
    assertThat(breach.to()).isEqualTo(Active.INSTANCE);
    assertThat(breach.reason()).isEqualTo("cpu_requests");

    Instant back = t0.plus(Duration.ofMinutes(10));
    assertThat(at(Duration.ofMinutes(10), IdleVerdict.IDLE).to()).isEqualTo(new IdleObserved(back));
    assertThat(at(Duration.ofMinutes(19).plusSeconds(59), IdleVerdict.IDLE).action())
        .isEqualTo(Action.NONE);
    assertThat(at(Duration.ofMinutes(20), IdleVerdict.IDLE).action()).isEqualTo(Action.LEND);
    assertThat(state).isEqualTo(new Lent(back, back.plus(TEN_MIN)));
  }

  @Test
  void flappingLoadNeverLendsEarly() {
    // idle 4 minutes, busy 1 second, repeatedly for an hour: never ten minutes in a row.
    for (int cycle = 0; cycle < 12; cycle++) {
      Duration base = Duration.ofMinutes(5L * cycle);
      for (int s = 0; s < 240; s += 10) {
        assertThat(at(base.plusSeconds(s), IdleVerdict.IDLE).action()).isNotEqualTo(Action.LEND);
      }
      assertThat(at(base.plusSeconds(240), BUSY).to()).isEqualTo(Active.INSTANCE);
    }
    assertThat(state).isEqualTo(Active.INSTANCE);
  }

  @Test
  void restartAtMinuteFiveStillLendsAtMinuteTen() {
    InMemoryIdleTimerStore store = new InMemoryIdleTimerStore();
    at(Duration.ZERO, IdleVerdict.IDLE);
    at(Duration.ofMinutes(5), IdleVerdict.IDLE);
    store.save("c1", "n1", state);

    // A new detector process: a fresh machine, state read back from the durable store.
    IdleStateMachine restarted = new IdleStateMachine(TEN_MIN, COOLDOWN);
    IdleState restored = store.load("c1").get("n1");
    assertThat(restored).isEqualTo(new IdleObserved(t0));
    clock.set(t0.plus(Duration.ofMinutes(9).plusSeconds(59)));
    Transition early =
        restarted.step(restored, IdleVerdict.IDLE, Optional.empty(), clock.instant());
    assertThat(early.action()).isEqualTo(Action.NONE);
    clock.set(t0.plus(TEN_MIN));
    Transition lend =
        restarted.step(early.to(), IdleVerdict.IDLE, Optional.empty(), clock.instant());
    assertThat(lend.action()).isEqualTo(Action.LEND);
    assertThat(lend.to()).isEqualTo(new Lent(t0, t0.plus(TEN_MIN)));
  }

  @Test
  void onlineLoadBackReturnsTheNodeAndCoolDownIsHonoured() {
    at(Duration.ZERO, IdleVerdict.IDLE);
    at(TEN_MIN, IdleVerdict.IDLE);
    assertThat(state).isInstanceOf(Lent.class);

    Transition back = at(Duration.ofMinutes(15), IdleVerdict.busy(Breach.MEMORY_REQUESTS));
    assertThat(back.action()).isEqualTo(Action.RETURN);
    Instant returnedAt = t0.plus(Duration.ofMinutes(15));
    assertThat(state).isEqualTo(new Reclaimed(returnedAt, returnedAt.plus(COOLDOWN)));

    // Idle again right away, for longer than idleAfter, but inside the cool-down: stays unlendable.
    for (int m = 16; m < 45; m++) {
      Transition t = at(Duration.ofMinutes(m), IdleVerdict.IDLE);
      assertThat(t.action()).isEqualTo(Action.NONE);
      assertThat(state).isInstanceOf(Reclaimed.class);
    }
    // The cool-down ends at 45:00; only then does the idle timer start.
    assertThat(at(Duration.ofMinutes(45), IdleVerdict.IDLE).to())
        .isEqualTo(new IdleObserved(t0.plus(Duration.ofMinutes(45))));
    assertThat(at(Duration.ofMinutes(54).plusSeconds(59), IdleVerdict.IDLE).action())
        .isEqualTo(Action.NONE);
    assertThat(at(Duration.ofMinutes(55), IdleVerdict.IDLE).action()).isEqualTo(Action.LEND);
  }

  @Test
  void busyAfterCoolDownGoesActive() {
    state = new Reclaimed(t0, t0.plus(COOLDOWN));
    assertThat(at(COOLDOWN, BUSY).to()).isEqualTo(Active.INSTANCE);
  }

  @Test
  void nodeLeavingReadyWhileLentIsReturned() {
    at(Duration.ZERO, IdleVerdict.IDLE);
    at(TEN_MIN, IdleVerdict.IDLE);
    Transition t = at(Duration.ofMinutes(11), IdleVerdict.busy(Breach.NOT_READY));
    assertThat(t.action()).isEqualTo(Action.RETURN);
    assertThat(t.reason()).isEqualTo("not_ready");
    assertThat(state).isInstanceOf(Reclaimed.class);
  }

  @Test
  void cordonOrExcludeWhileLentIsReturned() {
    for (Breach b : new Breach[] {Breach.UNSCHEDULABLE, Breach.EXCLUDED, Breach.CPU_USAGE}) {
      state = new Lent(t0, t0.plus(TEN_MIN));
      assertThat(at(Duration.ofMinutes(11), IdleVerdict.busy(b)).action())
          .as(b.name())
          .isEqualTo(Action.RETURN);
    }
  }

  @Test
  void descheduledReclaimWithItsOwnCoolDownIsHonoured() {
    at(Duration.ZERO, IdleVerdict.IDLE);
    at(TEN_MIN, IdleVerdict.IDLE);
    Instant reclaimedAt = t0.plus(Duration.ofMinutes(12));
    Instant until = reclaimedAt.plus(Duration.ofMinutes(5));
    clock.set(t0.plus(Duration.ofMinutes(12)).plusSeconds(1));
    Transition t =
        machine.step(
            state,
            IdleVerdict.IDLE,
            Optional.of(new ReclaimSignal(reclaimedAt, Optional.of(until))),
            clock.instant());
    assertThat(t.action()).isEqualTo(Action.RETURN);
    assertThat(t.to()).isEqualTo(new Reclaimed(reclaimedAt, until));
    state = t.to();
    assertThat(at(Duration.ofMinutes(16), IdleVerdict.IDLE).to()).isInstanceOf(Reclaimed.class);
    assertThat(at(Duration.ofMinutes(17), IdleVerdict.IDLE).to())
        .isEqualTo(new IdleObserved(until));
  }

  @Test
  void reclaimWithoutCoolDownUsesThePolicyCoolDown() {
    Lent lent = new Lent(t0, t0.plus(TEN_MIN));
    Instant at = t0.plus(Duration.ofMinutes(11));
    Transition t =
        machine.step(
            lent, IdleVerdict.IDLE, Optional.of(new ReclaimSignal(at, Optional.empty())), at);
    assertThat(t.to()).isEqualTo(new Reclaimed(at, at.plus(COOLDOWN)));
  }

  @Test
  void staleReclaimFromAnEarlierLoanIsIgnored() {
    Lent lent = new Lent(t0, t0.plus(TEN_MIN));
    ReclaimSignal old = new ReclaimSignal(t0.minusSeconds(60), Optional.of(t0.minusSeconds(1)));
    Transition t =
        machine.step(lent, IdleVerdict.IDLE, Optional.of(old), t0.plus(Duration.ofMinutes(11)));
    assertThat(t.action()).isEqualTo(Action.NONE);
    assertThat(t.to()).isEqualTo(lent);
  }

  @Test
  void coolDownFoundOnANodeThatIsNotLentIsHonoured() {
    ReclaimSignal s = new ReclaimSignal(t0, Optional.of(t0.plus(Duration.ofMinutes(3))));
    Transition t =
        machine.step(
            new IdleObserved(t0.minusSeconds(500)),
            IdleVerdict.IDLE,
            Optional.of(s),
            t0.plusSeconds(10));
    assertThat(t.to()).isEqualTo(new Reclaimed(t0, t0.plus(Duration.ofMinutes(3))));
    assertThat(t.action()).isEqualTo(Action.NONE);
    Transition extended =
        machine.step(
            new Reclaimed(t0, t0.plusSeconds(60)),
            IdleVerdict.IDLE,
            Optional.of(s),
            t0.plusSeconds(10));
    assertThat(extended.to()).isEqualTo(new Reclaimed(t0, t0.plus(Duration.ofMinutes(3))));
    // An expired cool-down annotation does not block.
    Transition expired =
        machine.step(
            Active.INSTANCE, IdleVerdict.IDLE, Optional.of(s), t0.plus(Duration.ofMinutes(4)));
    assertThat(expired.to()).isEqualTo(new IdleObserved(t0.plus(Duration.ofMinutes(4))));
  }

  @Test
  void zeroIdleAfterLendsOnTheFirstIdleObservation() {
    IdleStateMachine eager = new IdleStateMachine(Duration.ZERO, COOLDOWN);
    Transition t = eager.step(Active.INSTANCE, IdleVerdict.IDLE, Optional.empty(), t0);
    assertThat(t.action()).isEqualTo(Action.LEND);
    assertThat(t.to()).isEqualTo(new Lent(t0, t0));
  }

  @Test
  void clockThatJumpsBackwardsNeverLendsEarly() {
    IdleState observed = new IdleObserved(t0);
    Transition t =
        machine.step(observed, IdleVerdict.IDLE, Optional.empty(), t0.minus(Duration.ofHours(1)));
    assertThat(t.action()).isEqualTo(Action.NONE);
    assertThat(t.to()).isEqualTo(observed);
  }

  @Test
  void unchangedStepsReportNoChange() {
    Transition t = machine.step(Active.INSTANCE, BUSY, Optional.empty(), t0);
    assertThat(t.changed()).isFalse();
    assertThat(machine.step(Active.INSTANCE, IdleVerdict.IDLE, Optional.empty(), t0).changed())
        .isTrue();
  }

  @Test
  void negativeDurationsAreRejectedByName() {
    assertThatThrownBy(() -> new IdleStateMachine(Duration.ofSeconds(-1), COOLDOWN))
        .hasMessageContaining("idleAfter");
    assertThatThrownBy(() -> new IdleStateMachine(TEN_MIN, Duration.ofSeconds(-1)))
        .hasMessageContaining("cooldown");
  }
}
