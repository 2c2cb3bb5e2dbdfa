package io.gleaner.sandbox.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PodFatesTest {
  private final AtomicLong now = new AtomicLong();
  private final PodFates fates = new PodFates("gleaner", now::get);

  @Test
  void theFirstPlacementSinceAMomentCountsPodsOfAnyAgeButOnlyTheirFirstMemberPod() {
    now.set(10);
    fates.member("m1", memberPod("old-placed"));
    assertThat(fates.firstPlacementSince(20)).as("nothing placed after 20 yet").isEqualTo(-1);

    now.set(30);
    fates.member(
        "m1", memberPod("old-placed")); // its member pod again (an update): not a placement
    assertThat(fates.firstPlacementSince(20)).isEqualTo(-1);

    now.set(40);
    fates.member("m2", memberPod("queued-before-the-fault"));
    now.set(50);
    fates.member("m1", memberPod("created-after-the-fault"));
    assertThat(fates.firstPlacementSince(20)).isEqualTo(40);
    assertThat(fates.firstPlacementSince("m1", 20)).isEqualTo(50);
    assertThat(fates.firstPlacementSince("m3", 20)).isEqualTo(-1);
    assertThat(fates.placements()).isEqualTo(3);
  }

  @Test
  void podsFailedByADesignedBoundAreNotLostAndEveryOtherFailureIs() {
    fates.meta(metaPod("reclaimed", "Reclaimed"), false);
    fates.meta(metaPod("waited", "NoMemberFit"), false);
    fates.meta(metaPod("gang-waited", "GangNotSchedulable"), false);
    fates.meta(metaPod("member-gone", "MemberRemoved"), false);
    fates.meta(metaPod("broken", "OutOfcpu"), false);
    fates.meta(metaPod("vanished", null), false);

    assertThat(fates.lost()).containsExactlyInAnyOrder("t/broken (OutOfcpu)", "t/vanished (null)");
    assertThat(fates.failedByReason()).containsEntry("GangNotSchedulable", 1L);
  }

  private static Pod metaPod(String name, String reason) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("t")
        .withUid(name)
        .endMetadata()
        .withNewSpec()
        .withNodeName("gleaner")
        .endSpec()
        .withNewStatus()
        .withPhase("Failed")
        .withReason(reason)
        .endStatus()
        .build();
  }

  private static Pod memberPod(String metaUid) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(metaUid + "-member")
        .withNamespace("gleaner-team-a")
        .addToLabels(GleanerKeys.META_UID, metaUid)
        .endMetadata()
        .build();
  }
}
