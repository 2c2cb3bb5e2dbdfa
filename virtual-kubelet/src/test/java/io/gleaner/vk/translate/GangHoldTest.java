package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class GangHoldTest {
  private static final Duration SETTLE = Duration.ofSeconds(60);

  private static GangHold.Member created(long atMs) {
    return new GangHold.Member(true, true, atMs);
  }

  private static GangHold.Member reservedOnly() {
    return new GangHold.Member(true, false, 0);
  }

  @Test
  void aGangPartlyCreatedInItsMemberIsHeldNotReplaced() {
    // Volcano says "pod group is not ready" of the pods created first until the last one is there
    GangHold.Decision d =
        GangHold.onUnschedulable(
            List.of(created(1_000), created(2_000), reservedOnly()), SETTLE, 500_000);
    assertThat(d).isInstanceOf(GangHold.Decision.Hold.class);
    assertThat(((GangHold.Decision.Hold) d).why()).contains("1 of the gang's pods");
  }

  @Test
  void aWholeGangIsHeldUntilTheMemberHadItsChanceSinceTheLastPodWasCreated() {
    List<GangHold.Member> gang = List.of(created(100_000), created(130_000), created(150_000));
    GangHold.Decision early = GangHold.onUnschedulable(gang, SETTLE, 170_000);
    assertThat(early).isInstanceOf(GangHold.Decision.Hold.class);
    assertThat(((GangHold.Decision.Hold) early).recheck()).isEqualTo(Duration.ofSeconds(40));
    assertThat(GangHold.onUnschedulable(gang, SETTLE, 210_000))
        .isInstanceOf(GangHold.Decision.ReplaceWhole.class);
  }

  @Test
  void podsThatHoldNoRoomDoNotHoldTheGang() {
    // a pod bound late and still waiting, or one already given back, is no part being created
    List<GangHold.Member> gang =
        List.of(created(100_000), created(100_000), new GangHold.Member(false, false, 0));
    assertThat(GangHold.onUnschedulable(gang, SETTLE, 200_000))
        .isInstanceOf(GangHold.Decision.ReplaceWhole.class);
  }

  @Test
  void aPodOfAPlacedGangFailsAloneOnlyWhenTheGangKeepsItsMinimumWithoutIt() {
    assertThat(GangHold.failsAlone(2, 3)).as("the gang would run in part").isFalse();
    assertThat(GangHold.failsAlone(0, 3)).isFalse();
    assertThat(GangHold.failsAlone(3, 3)).as("a pod beyond the minimum").isTrue();
    assertThat(GangHold.failsAlone(5, 0)).as("minimum unknown: never alone").isFalse();
  }

  @Test
  void theBackoffDoublesPerReplacementUpToItsCap() {
    Duration base = Duration.ofSeconds(10);
    Duration cap = Duration.ofMinutes(5);
    assertThat(GangHold.backoff(0, base, cap)).isZero();
    assertThat(GangHold.backoff(1, base, cap)).isEqualTo(Duration.ofSeconds(10));
    assertThat(GangHold.backoff(2, base, cap)).isEqualTo(Duration.ofSeconds(20));
    assertThat(GangHold.backoff(4, base, cap)).isEqualTo(Duration.ofSeconds(80));
    assertThat(GangHold.backoff(6, base, cap)).isEqualTo(cap);
    assertThat(GangHold.backoff(60, base, cap)).isEqualTo(cap);
  }
}
