package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class SpecUpdatesTest {
  private static PodSpec deadline(Long seconds) {
    return new PodSpecBuilder().withActiveDeadlineSeconds(seconds).build();
  }

  @Test
  void theMemberPodIsGivenADeadlineSetOrLoweredOnTheMetadataPod() {
    assertThat(SpecUpdates.deadline(deadline(600L), deadline(null))).hasValue(600);
    assertThat(SpecUpdates.deadline(deadline(600L), deadline(3600L))).hasValue(600);
  }

  @Test
  void nothingIsDoneWhenTheMemberPodsDeadlineAlreadyHolds() {
    assertThat(SpecUpdates.deadline(deadline(null), deadline(null))).isEmpty();
    assertThat(SpecUpdates.deadline(deadline(600L), deadline(600L))).isEmpty();
    // never raised: the API refuses it, and the member pod's earlier deadline is what the pod had
    assertThat(SpecUpdates.deadline(deadline(3600L), deadline(600L))).isEmpty();
    assertThat(SpecUpdates.deadline(null, deadline(600L))).isEmpty();
    assertThat(SpecUpdates.deadline(deadline(600L), null)).isEqualTo(OptionalLong.of(600));
  }

  @Test
  void aChangeIsSeenBetweenTwoVersionsOfTheMetadataPod() {
    assertThat(SpecUpdates.deadlineChanged(deadline(null), deadline(600L))).isTrue();
    assertThat(SpecUpdates.deadlineChanged(deadline(3600L), deadline(600L))).isTrue();
    assertThat(SpecUpdates.deadlineChanged(deadline(600L), deadline(600L))).isFalse();
    assertThat(SpecUpdates.deadlineChanged(deadline(null), deadline(null))).isFalse();
    assertThat(SpecUpdates.deadlineChanged(null, deadline(null))).isFalse();
  }
}
