package io.gleaner.meta.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.gleaner.meta.crd.Conditions;
import io.gleaner.meta.crd.FieldError;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MemberConditionsTest {
  static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  static final Instant T1 = T0.plusSeconds(10);

  static MemberObservation connected(CircuitBreaker.State state, Instant success, Instant failure) {
    return new MemberObservation.Connected(
        new MemberHealth(
            "east",
            state,
            Optional.ofNullable(success),
            Optional.ofNullable(failure),
            Optional.ofNullable(failure == null ? null : "probe: ConnectException: refused"),
            false));
  }

  static Stream<Arguments> table() {
    return Stream.of(
        Arguments.of(
            "disabled",
            new MemberObservation.Disabled(),
            "Unknown",
            "Disabled",
            "False",
            "Disabled"),
        Arguments.of(
            "invalid",
            new MemberObservation.Invalid(List.of(new FieldError("spec.roles", "must list"))),
            "Unknown",
            "InvalidSpec",
            "False",
            "InvalidSpec"),
        Arguments.of(
            "secret missing",
            new MemberObservation.ConnectFailed("SecretNotFound", "Secret g/x not found"),
            "False",
            "SecretNotFound",
            "False",
            "SecretNotFound"),
        Arguments.of(
            "no call yet",
            connected(CircuitBreaker.State.CLOSED, null, null),
            "Unknown",
            "Connecting",
            "False",
            "Connecting"),
        Arguments.of(
            "answered",
            connected(CircuitBreaker.State.CLOSED, T1, T0),
            "True",
            "Connected",
            "True",
            "Ready"),
        Arguments.of(
            "last call failed",
            connected(CircuitBreaker.State.CLOSED, T0, T1),
            "False",
            "Unreachable",
            "False",
            "Unreachable"),
        Arguments.of(
            "breaker open",
            connected(CircuitBreaker.State.OPEN, T0, T1),
            "False",
            "CircuitOpen",
            "False",
            "Unreachable"),
        Arguments.of(
            "half open and answering",
            connected(CircuitBreaker.State.HALF_OPEN, T1, T0),
            "True",
            "Connected",
            "False",
            "Recovering"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void derivesReachableAndReady(
      String name,
      MemberObservation observation,
      String reachable,
      String reachableReason,
      String ready,
      String readyReason) {
    List<Condition> conditions = MemberConditions.derive(observation, null, 4L, T1);

    assertThat(conditions).extracting(Condition::getType).containsExactly("Reachable", "Ready");
    assertThat(Conditions.find(conditions, "Reachable"))
        .get()
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo(reachable);
              assertThat(c.getReason()).isEqualTo(reachableReason);
              assertThat(c.getObservedGeneration()).isEqualTo(4L);
              assertThat(c.getMessage()).isNotBlank();
            });
    assertThat(Conditions.find(conditions, "Ready"))
        .get()
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo(ready);
              assertThat(c.getReason()).isEqualTo(readyReason);
            });
  }

  @Test
  void messagesNameTheSecretTheFieldAndTheBreaker() {
    assertThat(
            MemberConditions.derive(
                new MemberObservation.ConnectFailed(
                    "SecretNotFound", "Secret gleaner/east not found"),
                null,
                1L,
                T0))
        .allSatisfy(c -> assertThat(c.getMessage()).isEqualTo("Secret gleaner/east not found"));
    assertThat(
            MemberConditions.derive(
                new MemberObservation.Invalid(
                    List.of(
                        new FieldError("spec.roles", "must list at least one"),
                        new FieldError("metadata.name", "bad"))),
                null,
                1L,
                T0))
        .allSatisfy(
            c ->
                assertThat(c.getMessage())
                    .isEqualTo("spec.roles: must list at least one; metadata.name: bad"));
    assertThat(
            MemberConditions.derive(connected(CircuitBreaker.State.OPEN, T0, T1), null, 1L, T1)
                .get(0)
                .getMessage())
        .isEqualTo(
            "circuit breaker member-east is open; last error: probe: ConnectException: refused");
  }

  @Test
  void transitionTimeMovesOnlyWhenStatusFlips() {
    List<Condition> first =
        MemberConditions.derive(connected(CircuitBreaker.State.CLOSED, T0, null), null, 1L, T0);
    List<Condition> same =
        MemberConditions.derive(connected(CircuitBreaker.State.CLOSED, T1, null), first, 1L, T1);
    List<Condition> flipped =
        MemberConditions.derive(connected(CircuitBreaker.State.OPEN, T0, T1), same, 1L, T1);

    assertThat(same)
        .allSatisfy(c -> assertThat(c.getLastTransitionTime()).isEqualTo("2030-01-01T00:00:00Z"));
    assertThat(Conditions.sameState(first, same)).isTrue();
    assertThat(flipped)
        .allSatisfy(c -> assertThat(c.getLastTransitionTime()).isEqualTo("2030-01-01T00:00:10Z"));
    assertThat(Conditions.sameState(same, flipped)).isFalse();
  }
}
