package io.gleaner.vk.pod;

import java.time.Clock;
import java.util.Map;

/**
 * The periodic look for member pods that are gone unnoticed: a pod whose member pod was created
 * (CREATED, not being deleted by Gleaner, not finished) has its status looked at again when the
 * member's listed cache does not hold its member pod, as a kubelet notices that a pod it runs is
 * gone whatever became of the events. Informer events normally get there first; this covers the
 * ones no status sync acted on (a member pod created and deleted before its first status sync, a
 * member informer that listed anew after the pod was gone). A pod never seen in the cache is looked
 * at once {@link StatusHandler#MEMBER_SETTLE} has passed since its create; the status sync then
 * asks the member's API. Reads the caches only (no decoding, no calls).
 */
final class GoneMemberSweep {
  private final PodInformers informers;
  private final PodQueues queues;
  private final Map<String, TrackedPod> tracked;
  private final MemberClusters members;
  private final Clock clock;

  GoneMemberSweep(
      PodInformers informers,
      PodQueues queues,
      Map<String, TrackedPod> tracked,
      MemberClusters members,
      Clock clock) {
    this.informers = informers;
    this.queues = queues;
    this.tracked = tracked;
    this.members = members;
    this.clock = clock;
  }

  /** Queues the status sync of each such pod; returns how many. */
  int sweep() {
    long settled = clock.millis() - StatusHandler.MEMBER_SETTLE.toMillis();
    int n = 0;
    for (Map.Entry<String, TrackedPod> e : tracked.entrySet()) {
      TrackedPod t = e.getValue();
      String cluster = t.cluster;
      if (t.state != TrackedPod.State.CREATED
          || t.deleteRequested
          || t.released
          || cluster == null
          || !t.seenInMember && t.createdMs > settled
          || !informers.memberListed(cluster)
          || !members.isHealthy(cluster)
          || informers.hasMemberPod(cluster, e.getKey())) {
        continue;
      }
      queues.status.add(e.getKey());
      n++;
    }
    return n;
  }
}
