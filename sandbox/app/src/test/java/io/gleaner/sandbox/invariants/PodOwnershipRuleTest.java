package io.gleaner.sandbox.invariants;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.sim.apiserver.audit.AuditEvent;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PodOwnershipRuleTest {
  static final String GLEANER = "system:serviceaccount:gleaner-system:gleaner-member";
  static final String TEAM = "system:serviceaccount:shop:deployer";

  static AuditEvent event(String user, String verb, String sub, String name, int code) {
    return new AuditEvent(
        0,
        AuditEvent.RESPONSE_COMPLETE,
        Instant.EPOCH,
        Instant.EPOCH,
        user,
        List.of(),
        "",
        verb,
        List.of(),
        "/api/v1/namespaces/a/pods",
        "",
        "v1",
        "pods",
        sub,
        "a",
        name,
        code,
        "",
        "");
  }

  final PodOwnershipRule rule = new PodOwnershipRule(Set.of(GLEANER)::contains);

  @Test
  void gleanerMayEvictAndDeleteThePodsItCreated() {
    assertThat(
            rule.accept(
                "online-1",
                List.of(
                    event(GLEANER, "create", "", "g-1", 201),
                    event(GLEANER, "create", "", "g-2", 201),
                    event(GLEANER, "create", "eviction", "g-1", 201),
                    event(GLEANER, "delete", "", "g-1", 200),
                    event(GLEANER, "create", "eviction", "g-2", 429),
                    // refused or already gone: nothing happened to any pod
                    event(GLEANER, "delete", "", "someone-elses", 403),
                    event(GLEANER, "delete", "", "someone-elses", 404))))
        .isEmpty();
  }

  @Test
  void evictingOrDeletingAPodSomeoneElseCreatedIsAViolationWithItsEvidence() {
    List<InvariantChecker.Violation> found =
        rule.accept(
            "online-1",
            List.of(
                event(TEAM, "create", "", "web-1", 201),
                event(GLEANER, "create", "", "g-1", 201),
                event(GLEANER, "create", "eviction", "web-1", 201),
                event(GLEANER, "delete", "", "never-seen", 200)));
    assertThat(found)
        .extracting(InvariantChecker.Violation::kind, InvariantChecker.Violation::subject)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(Invariant.FOREIGN_POD_DELETED, "online-1:a/web-1"),
            org.assertj.core.groups.Tuple.tuple(
                Invariant.FOREIGN_POD_DELETED, "online-1:a/never-seen"));
    assertThat(found.get(0).evidence()).contains("evicted by " + GLEANER).contains("create");
  }

  @Test
  void aNameTakenOverBySomeoneElseIsNoLongerGleanersAndClustersAreApart() {
    rule.accept("online-1", List.of(event(GLEANER, "create", "", "p", 201)));
    assertThat(rule.accept("online-2", List.of(event(GLEANER, "delete", "", "p", 200)))).hasSize(1);
    assertThat(
            rule.accept(
                "online-1",
                List.of(
                    event(TEAM, "create", "", "p", 201), event(GLEANER, "delete", "", "p", 200))))
        .hasSize(1);
  }

  @Test
  void othersMayDeleteAnything() {
    assertThat(rule.accept("online-1", List.of(event(TEAM, "delete", "", "x", 200)))).isEmpty();
  }
}
