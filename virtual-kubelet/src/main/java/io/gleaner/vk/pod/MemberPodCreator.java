package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.vk.translate.Gangs;
import io.gleaner.vk.translate.MemberGang;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.NamespaceMapping;
import io.gleaner.vk.translate.PodReferences;
import io.gleaner.vk.translate.StatusMirror;
import io.gleaner.vk.translate.WorkloadClasses;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The member side of a sync, once the pod is placed: ensures the priority class, copies the
 * ConfigMaps and Secrets the pod references, translates the pod and creates it in the member
 * cluster. A create that finds the pod already there (same metadata pod UID) adopts it; a pod that
 * can never be created there fails and gives its reservation back; one the member's ResourceQuota
 * refuses gives it back and is placed in another member.
 */
final class MemberPodCreator {
  private static final Logger log = LoggerFactory.getLogger(MemberPodCreator.class);

  private final MemberClusters members;
  private final BrokerApiClient broker;
  private final MemberPodTranslator translator;
  private final ObjectSync objectSync;
  private final MemberPodGroups podGroups;
  private final MetaPodWriter writer;
  private final PlacementStep placement;
  private final GangRecovery gangs;
  private final PodQueues queues;
  private final Map<String, TrackedPod> tracked;
  private final VkMetrics metrics;
  private final Clock clock;

  MemberPodCreator(
      MemberClusters members,
      BrokerApiClient broker,
      MemberPodTranslator translator,
      ObjectSync objectSync,
      MemberPodGroups podGroups,
      MetaPodWriter writer,
      PlacementStep placement,
      GangRecovery gangs,
      PodQueues queues,
      Map<String, TrackedPod> tracked,
      VkMetrics metrics,
      Clock clock) {
    this.members = members;
    this.broker = broker;
    this.translator = translator;
    this.objectSync = objectSync;
    this.podGroups = podGroups;
    this.writer = writer;
    this.placement = placement;
    this.gangs = gangs;
    this.queues = queues;
    this.tracked = tracked;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** A gang member's gang, as the broker placed it. */
  record GangPlaced(Gangs.Membership gang, int minMember, int members) {}

  /**
   * Creates the member pod of a placed pod; on success {@code t} is CREATED (and the status queue
   * told), otherwise the result says when to look again.
   */
  WorkQueue.Result create(
      String uid, Pod pod, TrackedPod t, WorkloadClass cls, Placement placed, GangPlaced gang) {
    String cluster = t.cluster;
    MDC.put("cluster", cluster);
    Optional<KubernetesClient> client = members.client(cluster);
    if (client.isEmpty() || !members.isHealthy(cluster)) {
      return replace(uid, t, gang, "member cluster " + cluster + " is not available", false);
    }
    if (members.isLeaving(cluster)) {
      return replace(
          uid, t, gang, "member cluster " + cluster + " is leaving the federation", true);
    }
    String metaNs = pod.getMetadata().getNamespace();
    NamespaceMapping mapping = translator.config().namespaces();
    String memberNs;
    try {
      memberNs = mapping.memberNamespace(metaNs);
    } catch (IllegalArgumentException e) {
      return failUnplaced(uid, pod, "InvalidPod", e.getMessage());
    }
    String priorityClass = WorkloadClasses.priorityClassName(cls);
    try {
      objectSync.ensurePriorityClass(cluster, client.get(), priorityClass);
    } catch (KubernetesClientException e) {
      metrics.error(cluster, "priority_class");
      if (e.getCode() != HttpURLConnection.HTTP_FORBIDDEN) {
        return WorkQueue.Result.retry(
            "reading PriorityClass " + priorityClass + " in " + cluster + ": " + e.getMessage());
      }
      // The member chart installs the classes (priorityClasses.create) and grants only get: a
      // member without them cannot run Gleaner's pods until an operator creates them.
      log.warn(
          "member {} has no PriorityClass {} and Gleaner may not create it: placing elsewhere",
          cluster,
          priorityClass);
      return replace(
          uid,
          t,
          gang,
          "member cluster "
              + cluster
              + " has no PriorityClass "
              + priorityClass
              + " and Gleaner may not create it (install the gleaner-member chart with"
              + " priorityClasses.create=true, or create the class)",
          true); // no node of that member can run it
    }
    ObjectSync.Outcome synced;
    OwnerReference owner = null;
    try {
      synced =
          objectSync.sync(
              cluster,
              client.get(),
              metaNs,
              memberNs,
              PodReferences.of(pod.getSpec()),
              name -> mapping.memberObjectName(metaNs, name));
      if (synced instanceof ObjectSync.Outcome.Synced) {
        owner = objectSync.owner(cluster, client.get(), memberNs);
      }
    } catch (KubernetesClientException e) {
      metrics.error(cluster, "sync_objects");
      return WorkQueue.Result.retry(
          "copying ConfigMaps/Secrets to " + cluster + ": " + e.getMessage());
    } catch (IllegalStateException e) {
      synced = new ObjectSync.Outcome.Refused(ObjectSync.REASON_CONFLICT, e.getMessage());
    }
    if (synced instanceof ObjectSync.Outcome.Refused r) {
      metrics.sync("refused");
      log.info("refused: {}: {}", r.reason(), r.message());
      return failUnplaced(uid, pod, r.reason(), r.message());
    }
    MemberGang memberGang = null;
    if (gang != null) {
      String podGroup = mapping.memberObjectName(metaNs, gang.gang().group());
      try {
        MemberPodGroups.Mirror m =
            podGroups.mirror(
                cluster,
                client.get(),
                memberNs,
                podGroup,
                gang.gang().id(),
                gang.minMember(),
                owner);
        if (m == MemberPodGroups.Mirror.FORBIDDEN) {
          metrics.error(cluster, "podgroup_forbidden");
          log.warn(
              "member {} does not let Gleaner create PodGroups (gleaner-member chart with"
                  + " rbac.volcano=true grants it): the gang {} runs without one",
              cluster,
              gang.gang().id());
        }
        if (m == MemberPodGroups.Mirror.TAKEN) {
          metrics.sync("podgroup_taken");
          log.warn(
              "PodGroup {}/{} in {} is not this installation's: the gang {} runs without one",
              memberNs,
              podGroup,
              cluster,
              gang.gang().id());
        }
        if (m != MemberPodGroups.Mirror.MIRRORED) {
          podGroup = null;
        }
      } catch (KubernetesClientException e) {
        metrics.error(cluster, "podgroup");
        return WorkQueue.Result.retry(
            "mirroring PodGroup " + gang.gang().id() + " in " + cluster + ": " + e.getMessage());
      }
      memberGang = new MemberGang(gang.gang().id(), gang.minMember(), gang.members(), podGroup);
    }
    Pod desired;
    try {
      desired =
          translator.translate(
              pod, placed, ((ObjectSync.Outcome.Synced) synced).absent(), owner, memberGang);
    } catch (IllegalArgumentException e) {
      return failUnplaced(uid, pod, "InvalidPod", e.getMessage());
    }
    try {
      client.get().pods().inNamespace(memberNs).resource(desired).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        Pod found =
            client
                .get()
                .pods()
                .inNamespace(memberNs)
                .withName(desired.getMetadata().getName())
                .get();
        if (found == null) {
          // it went between the create and the read: create it again, not adopt nothing
          return WorkQueue.Result.retry(
              "member pod " + desired.getMetadata().getName() + " went while being adopted");
        }
        if (!uid.equals(PodInformers.metaUidOf(found))) {
          metrics.error(cluster, "name_conflict");
          return WorkQueue.Result.retry(
              "member pod name "
                  + desired.getMetadata().getName()
                  + " is taken by another pod in "
                  + cluster);
        }
        if (found.getMetadata().getDeletionTimestamp() != null) {
          return WorkQueue.Result.after(
              Duration.ofMillis(200)); // an earlier incarnation is still terminating
        }
        log.info(
            "member pod {}/{} already exists in {}: adopted",
            memberNs,
            desired.getMetadata().getName(),
            cluster);
      } else if (quotaRefusal(e)) {
        metrics.error(cluster, "quota");
        log.info("member {} refused the pod: {}", cluster, e.getStatus().getMessage());
        return replace(
            uid, t, gang, "member " + cluster + " refused it: " + e.getStatus().getMessage(), true);
      } else {
        metrics.error(cluster, "create_pod");
        return WorkQueue.Result.retry("creating member pod in " + cluster + ": " + e.getMessage());
      }
    }
    t.state = TrackedPod.State.CREATED;
    t.createdMs = clock.millis();
    log.debug("member pod {}/{} created in {}", memberNs, desired.getMetadata().getName(), cluster);
    metrics.created(Duration.ofMillis(t.createdMs - t.firstSeenMs));
    metrics.sync("created");
    queues.status.add(uid);
    return WorkQueue.Result.DONE;
  }

  /**
   * Gives the reservation back to place the pod elsewhere (no member pod was created); a gang's pod
   * takes its whole gang with it ({@link GangRecovery#replaceWhole}). {@code wholeMember}: no node
   * of the member would do.
   */
  private WorkQueue.Result replace(
      String uid, TrackedPod t, GangPlaced gang, String why, boolean wholeMember) {
    if (gang != null) {
      return gangs.replaceWhole(uid, t, gang.gang(), why, false, wholeMember);
    }
    return placement.replaceElsewhere(uid, t, why, false, wholeMember);
  }

  /**
   * Whether a create was refused by the member namespace's ResourceQuota (403 {@code exceeded
   * quota} or {@code failed quota}): no node of that member takes the pod until the quota has room.
   */
  static boolean quotaRefusal(KubernetesClientException e) {
    if (e.getCode() != HttpURLConnection.HTTP_FORBIDDEN || e.getStatus() == null) {
      return false;
    }
    String message = e.getStatus().getMessage();
    return message != null
        && (message.contains("exceeded quota: ") || message.contains("failed quota: "));
  }

  /** Gives the reservation back and fails a pod that will never get a member pod. */
  private WorkQueue.Result failUnplaced(String uid, Pod pod, String reason, String message) {
    broker.releaseOutcome(uid, reason);
    tracked.remove(uid);
    writer.writeStatus(pod, s -> StatusMirror.failed(s, reason, message, clock.instant()));
    return WorkQueue.Result.DONE;
  }
}
