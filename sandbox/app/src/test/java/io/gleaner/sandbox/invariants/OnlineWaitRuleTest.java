package io.gleaner.sandbox.invariants;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OnlineWaitRuleTest {
  static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");

  static FederationSnapshot look(
      Instant now, List<FederationSnapshot.WaitingPod> waiting, Map<String, Instant> scheduled) {
    return new FederationSnapshot(Map.of(), List.of(), Map.of(), Map.of(), waiting, scheduled, now);
  }

  static FederationSnapshot.WaitingPod blocked(String uid, long grace) {
    return new FederationSnapshot.WaitingPod(
        "online-1:" + uid, "shop/" + uid, T0, List.of("node-1"), grace);
  }

  @Test
  void aWaitWithinGracePlusFiveRealSecondsIsKept() {
    // 60x: 30 s of grace plus 5 s real = 300 s simulated
    OnlineWaitRule rule = new OnlineWaitRule(60);
    assertThat(rule.check(look(T0.plusSeconds(100), List.of(blocked("a", 30)), Map.of())))
        .isEmpty();
    assertThat(
            rule.check(
                look(T0.plusSeconds(400), List.of(), Map.of("online-1:a", T0.plusSeconds(330)))))
        .isEmpty();
    assertThat(rule.judged())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.waited()).isEqualTo(Duration.ofSeconds(330));
              assertThat(w.allowed()).isEqualTo(Duration.ofSeconds(330));
              assertThat(w.kept()).isTrue();
            });
  }

  @Test
  void aLongerWaitIsAViolationOnceScheduledOrWhileStillWaiting() {
    OnlineWaitRule rule = new OnlineWaitRule(60);
    rule.check(look(T0.plusSeconds(10), List.of(blocked("a", 30), blocked("b", 30)), Map.of()));
    List<InvariantChecker.Violation> found =
        rule.check(
            look(
                T0.plusSeconds(400),
                List.of(blocked("b", 30)),
                Map.of("online-1:a", T0.plusSeconds(331))));
    assertThat(found)
        .extracting(InvariantChecker.Violation::subject)
        .containsExactlyInAnyOrder("online-1:shop/a", "online-1:shop/b");
    assertThat(found)
        .allSatisfy(v -> assertThat(v.kind()).isEqualTo(Invariant.ONLINE_POD_HELD_BACK));
    assertThat(found)
        .filteredOn(v -> v.subject().endsWith("/a"))
        .singleElement()
        .satisfies(v -> assertThat(v.evidence()).contains("waited 331 s simulated"));
  }

  @Test
  void aPodThatGleanerDoesNotStandInTheWayOfIsNotJudged() {
    OnlineWaitRule rule = new OnlineWaitRule(60);
    FederationSnapshot.WaitingPod full =
        new FederationSnapshot.WaitingPod("online-1:c", "shop/c", T0, List.of(), 0);
    rule.check(look(T0.plusSeconds(10), List.of(full), Map.of()));
    // later Gleaner's pods are in its way, but it was waiting for something else first
    rule.check(look(T0.plusSeconds(1000), List.of(blocked("c", 30)), Map.of()));
    assertThat(
            rule.check(
                look(T0.plusSeconds(2000), List.of(), Map.of("online-1:c", T0.plusSeconds(1900)))))
        .isEmpty();
    assertThat(rule.judged()).isEmpty();
  }
}
