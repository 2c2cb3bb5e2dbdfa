package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.vk.translate.MemberPodTranslator;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delete queue's handler: propagates a metadata pod's graceful deletion to its member pod (with
 * the pod's grace period), waits until the member pod is gone, gives the reservation back, then
 * removes the metadata pod.
 */
final class DeleteHandler {
  private static final Logger log = LoggerFactory.getLogger(DeleteHandler.class);

  private final KubernetesClient meta;
  private final PodInformers informers;
  private final PodLocks locks;
  private final Map<String, TrackedPod> tracked;
  private final MemberClusters members;
  private final BrokerApiClient broker;
  private final MemberPodTranslator translator;
  private final VkMetrics metrics;
  private final UnaryOperator<Duration> toReal;
  private final PodControllerConfig config;

  DeleteHandler(
      KubernetesClient meta,
      PodInformers informers,
      PodLocks locks,
      Map<String, TrackedPod> tracked,
      MemberClusters members,
      BrokerApiClient broker,
      MemberPodTranslator translator,
      VkMetrics metrics,
      UnaryOperator<Duration> toReal,
      PodControllerConfig config) {
    this.meta = meta;
    this.informers = informers;
    this.locks = locks;
    this.tracked = tracked;
    this.members = members;
    this.broker = broker;
    this.translator = translator;
    this.metrics = metrics;
    this.toReal = toReal;
    this.config = config;
  }

  WorkQueue.Result handleDelete(String uid) {
    Pod pod = informers.metaPod(uid);
    TrackedPod t = tracked.get(uid);
    return locks.withPod(uid, pod, t == null ? null : t.cluster, () -> delete(uid, pod));
  }

  private WorkQueue.Result delete(String uid, Pod pod) {
    if (pod != null && pod.getMetadata().getDeletionTimestamp() == null) {
      return WorkQueue.Result.DONE;
    }
    TrackedPod t = tracked.get(uid);
    Optional<PodInformers.Located> member = informers.memberPodAnywhere(uid);
    if (member.isEmpty()
        && t != null
        && t.cluster != null
        && t.state == TrackedPod.State.CREATED
        && !t.seenInMember) {
      // created but not yet seen by the informer: ask the API
      Optional<KubernetesClient> c = members.client(t.cluster);
      if (c.isPresent() && pod != null) {
        try {
          Pod live = MemberPodReads.get(c.get(), translator, pod, uid);
          if (live != null) {
            member = Optional.of(new PodInformers.Located(t.cluster, live));
          }
        } catch (KubernetesClientException e) {
          metrics.error(t.cluster, "get_pod");
          return WorkQueue.Result.retry(e.getMessage());
        }
      }
    }
    if (member.isPresent()) {
      return deleteMember(pod, t, member.get());
    }
    if (t == null || !t.released) {
      BrokerApiClient.CallOutcome r = broker.releaseOutcome(uid, "pod deleted");
      if (r == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        metrics.error("broker", "release");
        return WorkQueue.Result.retry("broker unavailable for release");
      }
    }
    if (pod != null) {
      try {
        meta.pods()
            .inNamespace(pod.getMetadata().getNamespace())
            .withName(pod.getMetadata().getName())
            .withGracePeriod(0)
            .delete();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
          metrics.error("metadata", "delete_pod");
          return WorkQueue.Result.retry("removing metadata pod: " + e.getMessage());
        }
      }
    }
    tracked.remove(uid);
    return WorkQueue.Result.DONE;
  }

  /**
   * Deletes the member pod with the metadata pod's grace period (unless it is already going), then
   * looks again.
   */
  private WorkQueue.Result deleteMember(Pod pod, TrackedPod t, PodInformers.Located m) {
    if (m.pod().getMetadata().getDeletionTimestamp() == null) {
      long grace =
          pod == null || pod.getMetadata().getDeletionGracePeriodSeconds() == null
              ? config.memberGracePeriod().toSeconds()
              : pod.getMetadata().getDeletionGracePeriodSeconds();
      Optional<KubernetesClient> c = members.client(m.cluster());
      if (c.isEmpty()) {
        return WorkQueue.Result.retry("member cluster " + m.cluster() + " is gone");
      }
      try {
        c.get()
            .pods()
            .inNamespace(m.pod().getMetadata().getNamespace())
            .withName(m.pod().getMetadata().getName())
            .withGracePeriod(grace)
            .delete();
      } catch (KubernetesClientException e) {
        metrics.error(m.cluster(), "delete_pod");
        return WorkQueue.Result.retry(
            "deleting member pod in " + m.cluster() + ": " + e.getMessage());
      }
      if (t != null) {
        t.deleteRequested = true;
      }
      log.info(
          "deleting member pod {}/{} in {} with grace {}s",
          m.pod().getMetadata().getNamespace(),
          m.pod().getMetadata().getName(),
          m.cluster(),
          grace);
    }
    // the member informer's delete event brings us back; poll as a safety net
    return WorkQueue.Result.after(
        toReal.apply(Duration.ofSeconds(Math.max(1, config.memberGracePeriod().toSeconds()))));
  }
}
