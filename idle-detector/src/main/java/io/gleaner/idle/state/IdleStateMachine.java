package io.gleaner.idle.state;

import io.gleaner.idle.state.IdleState.Active;
import io.gleaner.idle.state.IdleState.IdleObserved;
import io.gleaner.idle.state.IdleState.Lent;
import io.gleaner.idle.state.IdleState.Reclaimed;
import io.gleaner.idle.state.Transition.Action;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The pure idle state machine of one online node. It never reads a clock: the caller passes {@code
 * now} and must call {@link #step} again at {@link #deadline(IdleState)} (the instant at which time
 * alone can change the state) as well as on every change of the node's verdict.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>A node is lent when it has been idle without a single breach for at least {@code
 *       idleAfter}: at exactly {@code since + idleAfter}, never a moment earlier by {@link #step}
 *       (only {@link #lendEarly}, on the forecast's word, lends an idle node sooner). Any breach
 *       returns it to ACTIVE, so flapping load restarts the timer.
 *   <li>A lent node that breaches (online load back, NotReady, cordoned, excluded) is returned, and
 *       so is one the descheduler reclaimed ({@link ReclaimSignal} at or after its lent-at).
 *   <li>A returned node stays RECLAIMED until its cool-down ends; only then can its idle timer
 *       start. An external cool-down (annotation) found on a node that is not lent is honoured as
 *       well.
 * </ul>
 */
public final class IdleStateMachine {
  private final Duration idleAfter;
  private final Duration cooldown;

  /**
   * @param idleAfter how long a node must stay idle before it is lent (not negative)
   * @param cooldown how long a returned node stays unlendable (not negative)
   */
  public IdleStateMachine(Duration idleAfter, Duration cooldown) {
    this.idleAfter = nonNegative("idleAfter", idleAfter);
    this.cooldown = nonNegative("cooldown", cooldown);
  }

  private static Duration nonNegative(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, got " + d);
    }
    return d;
  }

  public Duration idleAfter() {
    return idleAfter;
  }

  public Duration cooldown() {
    return cooldown;
  }

  /**
   * One step.
   *
   * @param current the node's state
   * @param verdict the node's idle verdict now
   * @param reclaim a reclaim by someone else, if the node shows one
   * @param now the detector's clock
   */
  public Transition step(
      IdleState current, IdleVerdict verdict, Optional<ReclaimSignal> reclaim, Instant now) {
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(reclaim, "reclaim");
    Objects.requireNonNull(now, "now");

    if (reclaim.isPresent()) {
      ReclaimSignal r = reclaim.get();
      Instant until = r.cooldownUntil().orElse(r.reclaimedAt().plus(cooldown));
      if (current instanceof Lent lent && !r.reclaimedAt().isBefore(lent.lentAt())) {
        return new Transition(
            current, new Reclaimed(r.reclaimedAt(), until), Action.RETURN, "reclaimed");
      }
      if ((current instanceof Active || current instanceof IdleObserved) && now.isBefore(until)) {
        return new Transition(
            current, new Reclaimed(r.reclaimedAt(), until), Action.NONE, "cool-down found on node");
      }
      if (current instanceof Reclaimed rc && until.isAfter(rc.cooldownUntil())) {
        return new Transition(
            current, new Reclaimed(rc.reclaimedAt(), until), Action.NONE, "cool-down extended");
      }
    }

    IdleState state = current;
    if (state instanceof Reclaimed rc) {
      if (now.isBefore(rc.cooldownUntil())) {
        return new Transition(current, current, Action.NONE, "cooling down");
      }
      state = Active.INSTANCE;
    }
    if (state instanceof Lent lent) {
      if (verdict.idle()) {
        return new Transition(current, current, Action.NONE, "lent");
      }
      return new Transition(
          current, new Reclaimed(now, now.plus(cooldown)), Action.RETURN, reason(verdict));
    }
    if (!verdict.idle()) {
      return new Transition(current, Active.INSTANCE, Action.NONE, reason(verdict));
    }
    Instant since = state instanceof IdleObserved o ? o.since() : now;
    if (!now.isBefore(since.plus(idleAfter))) {
      return new Transition(
          current, new Lent(since, now), Action.LEND, "idle for " + Duration.between(since, now));
    }
    return new Transition(current, new IdleObserved(since), Action.NONE, "idle");
  }

  /**
   * Lends a node before the end of its idle wait, because the forecast says online work will not
   * need it for long enough (the caller's decision): an idle node (IDLE_OBSERVED) becomes LENT now,
   * its idle-since kept; any other state is left as it is. Call it after {@link #step} in the same
   * pass, so the node's verdict now is idle.
   *
   * @param reason why, for the log
   */
  public Transition lendEarly(IdleState current, Instant now, String reason) {
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(reason, "reason");
    if (current instanceof IdleObserved o) {
      return new Transition(current, new Lent(o.since(), now), Action.LEND, reason);
    }
    return new Transition(current, current, Action.NONE, "not idle-observed");
  }

  /**
   * Lends a returned node before its cool-down ends, because the forecast says the member's demand
   * is calm (the caller's decision): a RECLAIMED node whose verdict now is idle becomes LENT now,
   * idle since now; any other state, or a node that is not idle, is left as it is. Its reclaim lies
   * before its new lent-at, so a later sight of that reclaim does not return it again.
   *
   * @param reason why, for the log
   */
  public Transition lendInCoolDown(
      IdleState current, IdleVerdict verdict, Instant now, String reason) {
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(reason, "reason");
    if (current instanceof Reclaimed && verdict.idle()) {
      return new Transition(current, new Lent(now, now), Action.LEND, reason);
    }
    return new Transition(current, current, Action.NONE, "not cooling down and idle");
  }

  /** When time alone will next change {@code state}: the end of its idle wait or its cool-down. */
  public Optional<Instant> deadline(IdleState state) {
    if (state instanceof IdleObserved o) {
      return Optional.of(o.since().plus(idleAfter));
    }
    if (state instanceof Reclaimed r) {
      return Optional.of(r.cooldownUntil());
    }
    return Optional.empty();
  }

  private static String reason(IdleVerdict v) {
    StringBuilder b = new StringBuilder();
    for (Breach br : Breach.values()) {
      if (v.breaches().contains(br)) {
        b.append(b.length() == 0 ? "" : ",").append(br.tag());
      }
    }
    return b.toString();
  }
}
