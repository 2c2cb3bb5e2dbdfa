package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.vk.translate.Gangs;
import io.gleaner.vk.translate.MemberPodState;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.SpecUpdates;
import io.gleaner.vk.translate.StatusMirror;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status queue's handler: mirrors the member pod into the metadata pod's status, and acts on
 * what the member did to it. A member pod evicted, preempted or deleted in the member is a reclaim
 * (the metadata pod fails with the story); one the member cannot schedule is placed elsewhere; a
 * finished one gives its reservation back.
 *
 * <p>A gang runs whole or not at all: when a reclaim leaves a gang fewer than its minMember pods
 * (running, placed or succeeded), its other pods are reclaimed too, whatever took the first (the
 * member's own preemption or a kubelet's eviction, which know no gangs, or the descheduler, which
 * takes the gang whole anyway). Each is reclaimed in its own status sync ({@link #gangLost}).
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
  private final GangRecovery gangs;
  private final VkMetrics metrics;
  private final Clock clock;

  /**
   * Pods whose gang fell below its minMember by another pod's reclaim, by UID: why, for their own
   * reclaim at their next status sync.
   */
  private final Map<String, String> gangLost = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * How long after its create a member pod absent from the cache is taken as not listed yet,
   * without asking the member's API (clock time); after that, or once the informer saw it deleted,
   * the API is asked. A member pod the cache once held is gone once the cache drops it.
   */
  static final java.time.Duration MEMBER_SETTLE = java.time.Duration.ofSeconds(10);

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
      GangRecovery gangs,
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
    this.gangs = gangs;
    this.metrics = metrics;
    this.clock = clock;
  }

  WorkQueue.Result handleStatus(String uid) {
    TrackedPod t = tracked.get(uid);
    if (t == null) {
      informers.forgetGone(uid);
      if (informers.hasMetaPod(uid) && informers.hasMemberPod(uid)) {
        queues.resync.add(uid); // restart: adopt (its gang's loss, if any, is acted on then)
      } else {
        gangLost.remove(uid);
      }
      return WorkQueue.Result.DONE;
    }
    Pod pod = informers.metaPod(uid);
    if (pod == null) {
      gangLost.remove(uid);
      queues.delete.add(uid);
      return WorkQueue.Result.DONE;
    }
    return locks.withPod(uid, pod, t.cluster, () -> status(uid, pod, t));
  }

  private WorkQueue.Result status(String uid, Pod pod, TrackedPod t) {
    if (t.state != TrackedPod.State.CREATED) {
      gangLost.remove(uid);
      informers.forgetGone(uid);
      return WorkQueue.Result.DONE;
    }
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      queues.delete.add(uid);
      return WorkQueue.Result.DONE;
    }
    Optional<WorkQueue.Result> forGang = gangs.onCreated(uid, pod, t);
    if (forGang.isPresent()) {
      return forGang.get(); // its gang is re-placed or fails whole
    }
    boolean deleteSeen = informers.takeMemberDeleted(uid, t.cluster);
    Pod member = informers.memberPod(t.cluster, uid);
    if (member == null) {
      if (t.deleteRequested || informers.memberListing(t.cluster)) {
        return WorkQueue.Result.DONE; // a member informer listing anew comes back with its pods
      }
      if (!t.seenInMember) {
        // created, and not in the cache: not seen yet, or gone before this sync saw it
        if (!deleteSeen && clock.millis() - t.createdMs < MEMBER_SETTLE.toMillis()) {
          return WorkQueue.Result.DONE; // its add event, or the sweep, comes back
        }
        Optional<WorkQueue.Result> present = lookUpMemberPod(uid, pod, t);
        if (present.isPresent()) {
          return present.get();
        }
      } else if (!deleteSeen) {
        // The informer drops a pod from its cache before it hands its delete notice (with the
        // pod's final state: why it was taken) to its listener; that notice queues this sync
        // again. Decide then, so the cause is not lost, unless it never comes.
        long now = clock.millis();
        if (t.goneUnnoticedSinceMs == 0) {
          t.goneUnnoticedSinceMs = now;
        }
        if (now - t.goneUnnoticedSinceMs < MEMBER_SETTLE.toMillis()) {
          return WorkQueue.Result.DONE;
        }
      }
      // deleting the namespace's pod owner deletes its pods: the next pod must find a new owner
      objectSync.forgetOwner(
          t.cluster,
          translator.config().namespaces().memberNamespace(pod.getMetadata().getNamespace()));
      return reclaim(
          uid,
          pod,
          t,
          informers
              .takeDeletedCause(uid)
              .orElse("member pod was deleted in the member cluster (evicted or preempted)"),
          true);
    }
    t.seenInMember = true;
    MemberPodState state = StatusMirror.assess(member);
    if (state instanceof MemberPodState.Evicted e) {
      if (t.deleteRequested) {
        return WorkQueue.Result.DONE;
      }
      return reclaim(uid, pod, t, e.cause(), true);
    }
    if (state instanceof MemberPodState.Unschedulable u) {
      Optional<Gangs.Membership> gang = Gangs.of(pod);
      if (gang.isPresent()) {
        // a gang's pod is never re-placed alone: the gang is held, or re-placed whole
        return gangs.unschedulable(
            uid,
            member,
            t,
            gang.get(),
            "member " + t.cluster + " could not run the pod on " + t.node + ": " + u.message());
      }
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
    String lost = gangLost.get(uid);
    if (lost != null) {
      if (!(state instanceof MemberPodState.Finished)) {
        return reclaim(uid, pod, t, lost, false);
      }
      gangLost.remove(uid); // it finished meanwhile
    }
    if (!(state instanceof MemberPodState.Finished)) {
      Optional<WorkQueue.Result> lowered = lowerDeadline(pod, member, t);
      if (lowered.isPresent()) {
        return lowered.get();
      }
    }
    if (StatusMirror.worthMirroring(member, pod.getStatus())) {
      writer.writeStatus(
          pod,
          s -> StatusMirror.mirror(member, s, pod.getSpec().getReadinessGates(), clock.instant()));
    }
    if (state instanceof MemberPodState.Finished && !t.released) {
      if (broker.releaseOutcome(uid, "pod finished") == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        return WorkQueue.Result.retry("broker unavailable for release");
      }
      t.released = true;
    }
    return WorkQueue.Result.DONE;
  }

  /**
   * Gives the member pod the metadata pod's deadline when it was set or lowered after the member
   * pod was created ({@link SpecUpdates#deadline}), so that the member's kubelet stops the pod when
   * a kubelet on the virtual node would. Empty when nothing was to do or it was done; a refusal
   * other than the pod being gone is retried.
   */
  private Optional<WorkQueue.Result> lowerDeadline(Pod pod, Pod member, TrackedPod t) {
    OptionalLong deadline = SpecUpdates.deadline(pod.getSpec(), member.getSpec());
    if (deadline.isEmpty()) {
      return Optional
          .empty(); // every status sync asks: the member pod's deadline nearly always holds
    }
    Optional<KubernetesClient> client = members.client(t.cluster);
    if (client.isEmpty()) {
      return Optional.empty();
    }
    try {
      client
          .get()
          .pods()
          .inNamespace(member.getMetadata().getNamespace())
          .resource(member)
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              "{\"spec\":{\"activeDeadlineSeconds\":" + deadline.getAsLong() + "}}");
      metrics.sync("deadline_lowered");
      log.info("member pod's activeDeadlineSeconds lowered to {}", deadline.getAsLong());
      return Optional.empty();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return Optional.empty(); // its delete notice comes
      }
      metrics.error(t.cluster, "patch_pod");
      return Optional.of(
          WorkQueue.Result.retry("lowering the member pod's deadline: " + e.getMessage()));
    }
  }

  /**
   * Asks the member's API for the member pod of {@code uid}, CREATED but never seen in the cache:
   * empty when it is gone (the create succeeded, so it was there), otherwise what the sync returns
   * (the pod is there and the informer has not shown it yet: its add event comes back; or the
   * member did not answer).
   */
  private Optional<WorkQueue.Result> lookUpMemberPod(String uid, Pod pod, TrackedPod t) {
    Optional<KubernetesClient> client = members.client(t.cluster);
    if (client.isEmpty()) {
      return Optional.of(WorkQueue.Result.DONE); // the member is gone: its drain takes the pod
    }
    Pod live;
    try {
      live = MemberPodReads.get(client.get(), translator, pod, uid);
    } catch (KubernetesClientException e) {
      metrics.error(t.cluster, "get_pod");
      return Optional.of(WorkQueue.Result.retry("looking up member pod: " + e.getMessage()));
    }
    return live == null ? Optional.empty() : Optional.of(WorkQueue.Result.DONE);
  }

  /**
   * Fails the metadata pod as reclaimed and deletes its member pod; {@code byMember}: the member
   * took it (not its gang), so its gang's other pods may have to follow.
   */
  private WorkQueue.Result reclaim(
      String uid, Pod pod, TrackedPod t, String cause, boolean byMember) {
    if (!t.released) {
      if (broker.releaseOutcome(uid, "reclaimed") == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        metrics.error("broker", "release");
        return WorkQueue.Result.retry("broker unavailable for release");
      }
      t.released = true;
    }
    gangLost.remove(uid);
    writer.writeStatus(
        pod, s -> StatusMirror.reclaimed(s, t.cluster, t.node, cause, clock.instant()));
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
    if (byMember) {
      Gangs.of(pod).ifPresent(g -> breakGang(uid, pod, g, t.cluster, cause));
    }
    return WorkQueue.Result.DONE;
  }

  /**
   * After {@code uid}'s reclaim: when fewer than the gang's minMember of its other pods are left
   * (succeeded, or with a member pod not being deleted), each of those with a member pod is
   * reclaimed too, at its next status sync (after a takeover, once adopted). The minimum is the one
   * the member pods carry ({@link GleanerKeys#GANG_MIN_MEMBER}, as placed).
   */
  private void breakGang(String uid, Pod pod, Gangs.Membership gang, String cluster, String cause) {
    List<String> others = new ArrayList<>();
    int left = 0;
    int minMember = 0;
    for (Pod p : informers.metaPods()) {
      String other = p.getMetadata().getUid();
      if (other.equals(uid) || !Gangs.of(p).filter(gang::equals).isPresent()) {
        continue;
      }
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      if ("Failed".equals(phase) || p.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      if ("Succeeded".equals(phase)) {
        left++;
        continue;
      }
      TrackedPod ot = tracked.get(other);
      Pod member =
          ot != null && ot.cluster != null
              ? informers.memberPod(ot.cluster, other)
              // not taken up yet: after a takeover, its member pod is being adopted
              : informers.memberPodAnywhere(other).map(PodInformers.Located::pod).orElse(null);
      if (member == null || member.getMetadata().getDeletionTimestamp() != null) {
        continue; // not placed, or already going
      }
      minMember = Math.max(minMember, minMemberOf(member));
      left++;
      others.add(other);
    }
    if (others.isEmpty() || left >= minMember) {
      return;
    }
    String why =
        "its gang "
            + gang.id()
            + " runs whole or not at all: "
            + pod.getMetadata().getName()
            + " was reclaimed on member cluster "
            + cluster
            + " ("
            + cause
            + "), leaving "
            + left
            + " of its minMember "
            + minMember
            + " pods";
    log.info(
        "gang {} broken by the reclaim of {}: reclaiming its {} other pods",
        gang.id(),
        pod.getMetadata().getName(),
        others.size());
    metrics.sync("gang_reclaimed_whole");
    for (String other : others) {
      gangLost.put(other, why);
      queues.status.add(other);
    }
  }

  private static int minMemberOf(Pod member) {
    Map<String, String> a = member.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(GleanerKeys.GANG_MIN_MEMBER);
    try {
      return v == null ? 0 : Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
