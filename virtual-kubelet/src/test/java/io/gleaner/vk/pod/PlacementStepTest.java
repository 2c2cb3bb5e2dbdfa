package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.vk.translate.PodValidator;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PlacementStepTest {
  private static Pod withScheduled(String status, String reason, String at) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .endMetadata()
        .withNewStatus()
        .withPhase("Pending")
        .addToConditions(
            new PodConditionBuilder()
                .withType("PodScheduled")
                .withStatus(status)
                .withReason(reason)
                .withLastTransitionTime(at)
                .build())
        .endStatus()
        .build();
  }

  @Test
  void waitingSinceIsTheNoFitConditionsTransition() {
    String at = "2026-01-02T03:04:05Z";
    assertThat(PlacementStep.waitingSince(withScheduled("False", PodValidator.REASON_NO_FIT, at)))
        .contains(Instant.parse(at).toEpochMilli());
  }

  @Test
  void noWaitWithoutTheNoFitCondition() {
    String at = "2026-01-02T03:04:05Z";
    assertThat(PlacementStep.waitingSince(new PodBuilder().withNewMetadata().endMetadata().build()))
        .isEmpty();
    assertThat(PlacementStep.waitingSince(withScheduled("True", PodValidator.REASON_NO_FIT, at)))
        .isEmpty();
    assertThat(PlacementStep.waitingSince(withScheduled("False", "PlacementRejected", at)))
        .isEmpty();
    assertThat(PlacementStep.waitingSince(withScheduled("False", PodValidator.REASON_NO_FIT, null)))
        .isEmpty();
  }

  @Test
  void anUnreadableTransitionTimeIsNoWait() {
    assertThat(
            PlacementStep.waitingSince(
                withScheduled("False", PodValidator.REASON_NO_FIT, "yesterday")))
        .isEmpty();
  }

  @Test
  void sourceLabelRoundTripsThroughItsNumber() {
    for (SourceKind k : SourceKind.values()) {
      if (k == SourceKind.UNRECOGNIZED) {
        continue;
      }
      assertThat(PlacementStep.sourceOf(PlacementStep.sourceOrdinal(k.name().toLowerCase())))
          .isEqualTo(k);
    }
  }

  @Test
  void unknownSourcesAreUnspecified() {
    assertThat(PlacementStep.sourceOrdinal(null)).isZero();
    assertThat(PlacementStep.sourceOrdinal("no-such-source")).isZero();
    assertThat(PlacementStep.sourceOf(9999)).isEqualTo(SourceKind.SOURCE_KIND_UNSPECIFIED);
  }
}
