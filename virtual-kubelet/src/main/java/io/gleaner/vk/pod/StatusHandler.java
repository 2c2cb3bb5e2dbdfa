package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.vk.translate.MemberPodState;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.StatusMirror;
import java.time.Clock;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status queue's handler: mirrors the member pod into the metadata pod's status, and acts on
 * what the member did to it. A member pod evicted, preempted or deleted in the member is a reclaim
 * (the metadata pod fails with the story); one the member cannot schedule is placed elsewhere; a
 * finished one gives its reservation back.
 */
final class StatusHandler {
  private static final Logger log = LoggerFactory.getLogger(StatusHandler.class);

  private final PodInformers informers;
  private final PodQueues queues;
  private final PodLocks locks;
  private final Map<String, TrackedPod> tracked;
  private final MemberClusters members;
  private final BrokerApiClient broker;
  private final MemberPodTranslator translator;
  private final ObjectSync objectSync;
  private final MetaPodWriter writer;
  private final PlacementStep placement;
  private final VkMetrics metrics;
  private final Clock clock;

  StatusHandler(
      PodInformers informers,
      PodQueues queues,
      PodLocks locks,
      Map<String, TrackedPod> tracked,
      MemberClusters members,
      BrokerApiClient broker,
      MemberPodTranslator translator,
      ObjectSync objectSync,
      MetaPodWriter writer,
      PlacementStep placement,
      VkMetrics metrics,
      Clock clock) {
    this.informers = informers;
    this.queues = queues;
    this.locks = locks;
    this.tracked = tracked;
    this.members = members;
    this.broker = broker;
    this.translator = translator;
    this.objectSync = objectSync;
    this.writer = writer;
    this.placement = placement;
    this.metrics = metrics;
    this.clock = clock;
  }

  WorkQueue.Result handleStatus(String uid) {
    TrackedPod t = tracked.get(uid);
    if (t == null) {
      if (informers.hasMetaPod(uid) && informers.hasMemberPod(uid)) {
        queues.resync.add(uid); // restart: adopt
      }
      return WorkQueue.Result.DONE;
    }
    Pod pod = informers.metaPod(uid);
    if (pod == null) {
      queues.delete.add(uid);
      return WorkQueue.Result.DONE;
    }
    return locks.withPod(uid, pod, t.cluster, () -> status(uid, pod, t));
  }

  private WorkQueue.Result status(String uid, Pod pod, TrackedPod t) {
    if (t.state != TrackedPod.State.CREATED) {
      return WorkQueue.Result.DONE;
    }
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      queues.delete.add(uid);
      return WorkQueue.Result.DONE;
    }
    Pod member = informers.memberPod(t.cluster, uid);
    if (member == null) {
      if (!t.seenInMember || t.deleteRequested) {
        return WorkQueue.Result.DONE;
      }
      // deleting the namespace's pod owner deletes its pods: the next pod must find a new owner
      objectSync.forgetOwner(
          t.cluster,
          translator.config().namespaces().memberNamespace(pod.getMetadata().getNamespace()));
      return reclaim(
          uid, pod, t, "member pod was deleted in the member cluster (evicted or preempted)");
    }
    t.seenInMember = true;
    MemberPodState state = StatusMirror.assess(member);
    if (state instanceof MemberPodState.Evicted e) {
      if (t.deleteRequested) {
        return WorkQueue.Result.DONE;
      }
      return reclaim(uid, pod, t, e.cause());
    }
    if (state instanceof MemberPodState.Unschedulable u) {
      KubernetesClient client = members.client(t.cluster).orElse(null);
      if (client != null) {
        try {
          client
              .pods()
              .inNamespace(member.getMetadata().getNamespace())
              .withName(member.getMetadata().getName())
              .withGracePeriod(0)
              .delete();
        } catch (KubernetesClientException ex) {
          metrics.error(t.cluster, "delete_pod");
          return WorkQueue.Result.retry("deleting unschedulable member pod: " + ex.getMessage());
        }
      }
      return placement.replaceElsewhere(
          uid,
          t,
          "member " + t.cluster + " could not run the pod on " + t.node + ": " + u.message(),
          true);
    }
    if (StatusMirror.worthMirroring(member, pod.getStatus())) {
      writer.writeStatus(
          pod,
          StatusMirror.mirror(
              member, pod.getStatus(), pod.getSpec().getReadinessGates(), clock.instant()));
    }
    if (state instanceof MemberPodState.Finished && !t.released) {
      if (broker.releaseOutcome(uid, "pod finished") == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        return WorkQueue.Result.retry("broker unavailable for release");
      }
      t.released = true;
    }
    return WorkQueue.Result.DONE;
  }

  private WorkQueue.Result reclaim(String uid, Pod pod, TrackedPod t, String cause) {
    if (!t.released) {
      if (broker.releaseOutcome(uid, "reclaimed") == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        metrics.error("broker", "release");
        return WorkQueue.Result.retry("broker unavailable for release");
      }
      t.released = true;
    }
    writer.writeStatus(
        pod, StatusMirror.reclaimed(pod.getStatus(), t.cluster, t.node, cause, clock.instant()));
    t.state = TrackedPod.State.ABANDONED;
    log.info("reclaimed by {} on {}: {}", t.cluster, t.node, cause);
    Pod member = informers.memberPod(t.cluster, uid);
    if (member != null && member.getMetadata().getDeletionTimestamp() == null) {
      // a kubelet-evicted pod stays as a Failed object; the metadata pod carries the story now
      members
          .client(t.cluster)
          .ifPresent(
              c ->
                  c.pods()
                      .inNamespace(member.getMetadata().getNamespace())
                      .withName(member.getMetadata().getName())
                      .delete());
      t.deleteRequested = true;
    }
    return WorkQueue.Result.DONE;
  }
}
