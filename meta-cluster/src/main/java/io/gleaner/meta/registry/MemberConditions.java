package io.gleaner.meta.registry;

import io.fabric8.kubernetes.api.model.Condition;
import io.gleaner.meta.crd.Conditions;
import io.gleaner.meta.crd.FieldError;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Derives a MemberCluster's {@code Reachable} and {@code Ready} conditions from a {@link
 * MemberObservation}. Pure.
 *
 * <table>
 *   <caption>Reasons</caption>
 *   <tr><th>observation</th><th>Reachable</th><th>Ready</th></tr>
 *   <tr><td>disabled</td><td>Unknown / Disabled</td><td>False / Disabled</td></tr>
 *   <tr><td>invalid spec</td><td>Unknown / InvalidSpec</td><td>False / InvalidSpec</td></tr>
 *   <tr><td>Secret problem</td><td>False / SecretNotFound, SecretKeyMissing, InvalidKubeconfig</td><td>False / same</td></tr>
 *   <tr><td>no call yet</td><td>Unknown / Connecting</td><td>False / Connecting</td></tr>
 *   <tr><td>breaker open</td><td>False / CircuitOpen</td><td>False / Unreachable</td></tr>
 *   <tr><td>last call failed</td><td>False / Unreachable</td><td>False / Unreachable</td></tr>
 *   <tr><td>last call answered, breaker closed</td><td>True / Connected</td><td>True / Ready</td></tr>
 *   <tr><td>last call answered, breaker half-open</td><td>True / Connected</td><td>False / Recovering</td></tr>
 * </table>
 */
public final class MemberConditions {
  private MemberConditions() {}

  /** The two conditions, merged into {@code existing} (transition times kept when unchanged). */
  public static List<Condition> derive(
      MemberObservation observation, List<Condition> existing, Long generation, Instant now) {
    Verdict reachable;
    Verdict ready;
    if (observation instanceof MemberObservation.Disabled) {
      reachable =
          new Verdict(Conditions.UNKNOWN, "Disabled", "member is disabled (spec.enabled=false)");
      ready = new Verdict(Conditions.FALSE, "Disabled", "member is disabled (spec.enabled=false)");
    } else if (observation instanceof MemberObservation.Invalid invalid) {
      String msg =
          invalid.errors().stream().map(FieldError::toString).collect(Collectors.joining("; "));
      reachable = new Verdict(Conditions.UNKNOWN, "InvalidSpec", msg);
      ready = new Verdict(Conditions.FALSE, "InvalidSpec", msg);
    } else if (observation instanceof MemberObservation.ConnectFailed failed) {
      reachable = new Verdict(Conditions.FALSE, failed.reason(), failed.message());
      ready = new Verdict(Conditions.FALSE, failed.reason(), failed.message());
    } else {
      MemberHealth h = ((MemberObservation.Connected) observation).health();
      String error = h.lastError().orElse("no answer");
      if (h.breakerOpen()) {
        String msg =
            "circuit breaker "
                + MemberResilience.name(h.cluster())
                + " is open; last error: "
                + error;
        reachable = new Verdict(Conditions.FALSE, "CircuitOpen", msg);
        ready = new Verdict(Conditions.FALSE, "Unreachable", msg);
      } else if (h.lastSuccess().isEmpty() && h.lastFailure().isEmpty()) {
        reachable =
            new Verdict(
                Conditions.UNKNOWN, "Connecting", "no call to the member has completed yet");
        ready =
            new Verdict(Conditions.FALSE, "Connecting", "no call to the member has completed yet");
      } else if (h.lastCallFailed()) {
        reachable = new Verdict(Conditions.FALSE, "Unreachable", error);
        ready = new Verdict(Conditions.FALSE, "Unreachable", error);
      } else {
        reachable = new Verdict(Conditions.TRUE, "Connected", "the member's API server answers");
        ready =
            h.breaker() == io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED
                ? new Verdict(Conditions.TRUE, "Ready", "member is usable")
                : new Verdict(
                    Conditions.FALSE,
                    "Recovering",
                    "circuit breaker " + MemberResilience.name(h.cluster()) + " is " + h.breaker());
      }
    }
    List<Condition> out =
        Conditions.set(existing, reachable.toCondition(Conditions.REACHABLE, generation, now));
    return Conditions.set(out, ready.toCondition(Conditions.READY, generation, now));
  }

  private record Verdict(String status, String reason, String message) {
    Condition toCondition(String type, Long generation, Instant now) {
      return Conditions.of(type, status, reason, message, generation, now);
    }
  }
}
