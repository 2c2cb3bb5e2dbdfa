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

  @Test
  void podsAlreadyFailedWhenTheWatchingStartedAreAnEarlierRunsNotThisOnes() {
    Pod before = metaPod("failed-in-an-earlier-phase", "OutOfcpu");
    fates.before(before);
    fates.before(metaPod("reclaimed-earlier", "Reclaimed"));
    fates.meta(before, false);
    fates.meta(metaPod("reclaimed-earlier", "Reclaimed"), false);
    fates.meta(metaPod("failed-now", "OutOfcpu"), false);

    assertThat(fates.lost()).containsExactly("t/failed-now (OutOfcpu)");
    assertThat(fates.failedByReason()).containsExactly(java.util.Map.entry("OutOfcpu", 1L));
  }

  @Test
  void aRunWhoseWindowEndedIsChargedOnlyWithWhatItSawBefore() {
    now.set(10);
    fates.meta(metaPod("failed-in-the-window", "OutOfcpu"), false);
    fates.meta(runningMetaPod("gone-in-the-window"), false);
    fates.member("m1", memberPod("gone-in-the-window"));
    fates.meta(runningMetaPod("gone-in-the-window"), true);
    now.set(50);
    fates.meta(metaPod("failed-after", "OutOfcpu"), false);
    fates.meta(runningMetaPod("gone-after"), false);
    fates.member("m1", memberPod("gone-after"));
    fates.meta(runningMetaPod("gone-after"), true);

    now.set(100);
    assertThat(fates.lost(40)).containsExactly("t/failed-in-the-window (OutOfcpu)");
    assertThat(fates.failedByReason(40)).containsExactly(java.util.Map.entry("OutOfcpu", 1L));
    assertThat(fates.orphansOlderThan(30, 40))
        .containsExactly("m1/gleaner-team-a/gone-in-the-window-member");
    assertThat(fates.orphansOlderThan(30)).hasSize(2);
  }

  @Test
  void aMemberPodOutlivingItsMetadataPodPastTheGraceIsOrphaned() {
    now.set(0);
    fates.meta(runningMetaPod("deleted"), false);
    fates.meta(runningMetaPod("deleted-then-collected"), false);
    fates.meta(runningMetaPod("live"), false);
    fates.member("m1", memberPod("deleted"));
    fates.member("m1", memberPod("deleted-then-collected"));
    fates.member("m1", memberPod("live"));
    fates.member("m2", memberPod("never-seen-on-the-virtual-node"));
    now.set(10);
    fates.meta(runningMetaPod("deleted"), true);
    fates.meta(runningMetaPod("deleted-then-collected"), true);
    now.set(12);
    fates.memberGone(memberPod("deleted-then-collected"));

    now.set(30);
    assertThat(fates.orphansOlderThan(25))
        .containsExactly("m2/gleaner-team-a/never-seen-on-the-virtual-node-member");
    now.set(36);
    assertThat(fates.orphansOlderThan(25))
        .containsExactly(
            "m1/gleaner-team-a/deleted-member",
            "m2/gleaner-team-a/never-seen-on-the-virtual-node-member");

    Pod terminating = memberPod("deleted");
    terminating.getMetadata().setDeletionTimestamp("2026-12-06T16:00:00Z");
    fates.member("m1", terminating);
    assertThat(fates.orphansOlderThan(25))
        .as("being deleted: no longer an orphan")
        .containsExactly("m2/gleaner-team-a/never-seen-on-the-virtual-node-member");
  }

  private static Pod runningMetaPod(String name) {
    Pod p = metaPod(name, null);
    p.getStatus().setPhase("Running");
    return p;
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
        .withUid(metaUid + "-member")
        .addToLabels(GleanerKeys.META_UID, metaUid)
        .endMetadata()
        .build();
  }
}
