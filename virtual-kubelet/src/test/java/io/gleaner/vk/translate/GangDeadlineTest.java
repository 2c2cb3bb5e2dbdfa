package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class GangDeadlineTest {
  private static final Instant NOW = Instant.parse("2026-12-06T07:00:00Z");
  private static final Duration TIMEOUT = Duration.ofMinutes(10);

  private static Pod waitingSince(String type, String status, String since) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("w")
        .endMetadata()
        .withNewStatus()
        .withPhase("Pending")
        .addNewCondition()
        .withType(type)
        .withStatus(status)
        .withReason("GangWaiting")
        .withLastTransitionTime(since)
        .endCondition()
        .endStatus()
        .build();
  }

  private static Pod fresh() {
    return new PodBuilder().withNewMetadata().withName("new").endMetadata().build();
  }

  @Test
  void theGangWaitsFromItsEarliestWaitingPod() {
    Pod early = waitingSince("PodScheduled", "False", "2026-12-06T06:52:00Z");
    Pod late = waitingSince("PodScheduled", "False", "2026-12-06T06:59:00Z");

    assertThat(GangDeadline.left(List.of(late, early), TIMEOUT, NOW))
        .isEqualTo(Duration.ofMinutes(2));
    assertThat(GangDeadline.left(List.of(late), TIMEOUT, NOW)).isEqualTo(Duration.ofMinutes(9));
  }

  /**
   * Issue 17: a pod whose member gave it back waits from then, not from its first wait (its
   * PodScheduled stayed False while the member held it), so a gang re-placed whole gets its full
   * wait again instead of failing at once.
   */
  @Test
  void aPodGivenBackByItsMemberWaitsFromThen() {
    Pod old = waitingSince("PodScheduled", "False", "2026-12-06T06:40:00Z");
    Instant givenBack = Instant.parse("2026-12-06T06:58:00Z");

    assertThat(GangDeadline.left(List.of(old), p -> givenBack, TIMEOUT, NOW))
        .isEqualTo(Duration.ofMinutes(8));
    assertThat(GangDeadline.left(List.of(old), p -> null, TIMEOUT, NOW))
        .isEqualTo(Duration.ofMinutes(-10));
    // a give-back before the pod's own wait began changes nothing
    Pod late = waitingSince("PodScheduled", "False", "2026-12-06T06:59:00Z");
    assertThat(GangDeadline.left(List.of(late), p -> givenBack, TIMEOUT, NOW))
        .isEqualTo(Duration.ofMinutes(9));
  }

  @Test
  void aGangPastItsTimeoutHasNothingLeft() {
    Pod old = waitingSince("PodScheduled", "False", "2026-12-06T06:40:00Z");

    assertThat(GangDeadline.left(List.of(old, fresh()), TIMEOUT, NOW))
        .isEqualTo(Duration.ofMinutes(-10));
  }

  @Test
  void podsNotJudgedYetBeginWaitingNow() {
    assertThat(GangDeadline.left(List.of(fresh()), TIMEOUT, NOW)).isEqualTo(TIMEOUT);
    assertThat(GangDeadline.left(List.of(), TIMEOUT, NOW)).isEqualTo(TIMEOUT);
    assertThat(GangDeadline.left(List.of(fresh()), Duration.ZERO, NOW)).isZero();
  }

  @Test
  void onlyAnUnscheduledPodScheduledConditionCounts() {
    assertThat(
            GangDeadline.waitingSince(
                waitingSince("PodScheduled", "False", "2026-12-06T06:52:00Z")))
        .contains(Instant.parse("2026-12-06T06:52:00Z"));
    assertThat(
            GangDeadline.waitingSince(waitingSince("PodScheduled", "True", "2026-12-06T06:52:00Z")))
        .isEmpty();
    assertThat(GangDeadline.waitingSince(waitingSince("Ready", "False", "2026-12-06T06:52:00Z")))
        .isEmpty();
    assertThat(GangDeadline.waitingSince(waitingSince("PodScheduled", "False", "garbage")))
        .isEmpty();
    assertThat(GangDeadline.waitingSince(fresh())).isEmpty();
  }

  @Test
  void theMessageNamesTheGangTheTimeoutAndWhy() {
    assertThat(GangDeadline.message("ml/train", TIMEOUT, "2 of its minMember 3 pods are bound"))
        .contains("gang ml/train")
        .contains("pending timeout (10m)")
        .contains("nothing is held")
        .endsWith("2 of its minMember 3 pods are bound");
  }
}
