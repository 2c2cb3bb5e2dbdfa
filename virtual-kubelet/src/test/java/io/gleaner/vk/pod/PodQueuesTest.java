package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which informer event goes to which queue (the queues are not started: only their lengths). */
class PodQueuesTest {
  private final Map<String, TrackedPod> tracked = new ConcurrentHashMap<>();
  private final PodQueues queues =
      new PodQueues(
          PodControllerConfig.defaults(),
          tracked,
          new PodInformers(null, MemberClusters.of(Map.of()), "gleaner", "test"));

  @AfterEach
  void close() {
    queues.close();
  }

  private static Pod meta(String uid, boolean deleting) {
    PodBuilder b = new PodBuilder().withNewMetadata().withUid(uid).endMetadata();
    if (deleting) {
      b.editMetadata().withDeletionTimestamp("2026-01-02T03:04:05Z").endMetadata();
    }
    return b.build();
  }

  private static Pod member(String uid, boolean deleting) {
    PodBuilder b =
        new PodBuilder().withNewMetadata().addToLabels(GleanerKeys.META_UID, uid).endMetadata();
    if (deleting) {
      b.editMetadata().withDeletionTimestamp("2026-01-02T03:04:05Z").endMetadata();
    }
    return b.build();
  }

  private int[] lengths() {
    return new int[] {
      queues.sync.length(), queues.resync.length(), queues.status.length(), queues.delete.length()
    };
  }

  @Test
  void nothingIsRoutedBeforeActing() {
    queues.metaChanged(null, meta("a", false));
    queues.metaDeleted(meta("a", false));
    queues.memberChanged(member("a", true));
    queues.memberDeleted(member("a", false));
    assertThat(lengths()).containsExactly(0, 0, 0, 0);
    assertThat(queues.acting()).isFalse();
  }

  @Test
  void aNewMetadataPodIsSyncedAndADeletingOneDeleted() {
    queues.act();
    queues.metaChanged(null, meta("a", false));
    queues.metaChanged(null, meta("b", true));
    assertThat(lengths()).containsExactly(1, 0, 0, 1);
  }

  @Test
  void onlyPodsNotYetCreatedAreSyncedAgain() {
    queues.act();
    for (TrackedPod.State s : TrackedPod.State.values()) {
      TrackedPod t = new TrackedPod(0);
      t.state = s;
      tracked.put(s.name(), t);
      queues.metaChanged(null, meta(s.name(), false));
    }
    assertThat(lengths()).containsExactly(2, 0, 0, 0); // NEW and PLACED
  }

  @Test
  void memberChangesGoToStatusAndDeletionsAlsoToDelete() {
    queues.act();
    queues.memberChanged(member("a", false));
    queues.memberChanged(member("b", true));
    queues.memberDeleted(member("c", false));
    queues.memberChanged(new PodBuilder().withNewMetadata().endMetadata().build()); // not ours
    assertThat(lengths()).containsExactly(0, 0, 3, 2);
  }

  @Test
  void capacityChangeRetriesOnlyPodsWaitingForRoom() {
    TrackedPod waiting = new TrackedPod(0);
    TrackedPod created = new TrackedPod(0);
    created.state = TrackedPod.State.CREATED;
    tracked.put("w", waiting);
    tracked.put("c", created);
    queues.capacityChanged(uid -> false);
    assertThat(lengths()).containsExactly(1, 0, 0, 0);
  }

  @Test
  void capacityChangeLeavesPodsWaitingInTheFairGateToItsRound() {
    tracked.put("g", new TrackedPod(0));
    tracked.put("n1", new TrackedPod(0));
    tracked.put("n2", new TrackedPod(0));
    queues.capacityChanged("g"::equals); // its round tries g; n1 and n2 never asked the broker
    assertThat(lengths()).containsExactly(2, 0, 0, 0);
  }
}
