package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.registry.MemberFinalizers;
import io.gleaner.vk.translate.StatusMirror;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Takes Gleaner's pods out of a member that leaves the federation, as a platform team expects of
 * {@code kubectl delete membercluster}: the virtual-kubelet puts {@link
 * GleanerKeys#MEMBER_PODS_FINALIZER} on every member, so a deleted MemberCluster stays, marked for
 * deletion, while its pods are drained: each member pod of this installation is deleted (with its
 * own grace period), its metadata pod failed with reason {@code MemberRemoved} and {@code
 * DisruptionTarget} (a Job replaces it elsewhere) and its reservation given back. A leaving member
 * gets no new pods ({@link PlacementStep} excludes it). Once no pod of this installation is left in
 * the member the finalizer comes off and the object goes. A member that does not answer while it
 * leaves cannot be drained: after the policy's member unreachable timeout its pods are failed as
 * unreachable ({@link UnreachableSweep}) and the finalizer comes off anyway, so that a deletion
 * never hangs on a cluster that is gone.
 */
final class MemberDrain {
  private static final Logger log = LoggerFactory.getLogger(MemberDrain.class);

  private final KubernetesClient meta;
  private final PodInformers informers;
  private final PodLocks locks;
  private final Map<String, TrackedPod> tracked;
  private final MemberClusters members;
  private final BrokerApiClient broker;
  private final MetaPodWriter writer;
  private final VkMetrics metrics;
  private final Clock clock;
  private final Map<String, Long> leavingSince = new ConcurrentHashMap<>();
  private final Set<String> finalized = ConcurrentHashMap.newKeySet();
  private volatile Supplier<Duration> unreachableTimeout;

  MemberDrain(
      KubernetesClient meta,
      PodInformers informers,
      PodLocks locks,
      Map<String, TrackedPod> tracked,
      MemberClusters members,
      BrokerApiClient broker,
      MetaPodWriter writer,
      VkMetrics metrics,
      Clock clock,
      Supplier<Duration> unreachableTimeout) {
    this.meta = meta;
    this.informers = informers;
    this.locks = locks;
    this.tracked = tracked;
    this.members = members;
    this.broker = broker;
    this.writer = writer;
    this.metrics = metrics;
    this.clock = clock;
    this.unreachableTimeout = unreachableTimeout;
  }

  void unreachableTimeout(Supplier<Duration> timeout) {
    this.unreachableTimeout = timeout;
  }

  /** One pass: finalizers on members that lack them, a drain step for every leaving member. */
  void sweep() {
    Set<String> names = new java.util.TreeSet<>(members.names());
    finalized.retainAll(names);
    names.addAll(members.leaving()); // connected or not
    leavingSince.keySet().retainAll(names);
    for (String cluster : names) {
      MDC.put("cluster", cluster);
      try {
        if (members.isLeaving(cluster)) {
          drain(cluster);
        } else {
          ensureFinalizer(cluster);
        }
      } catch (KubernetesClientException e) {
        metrics.error(cluster, "drain");
        log.warn("member {}: {}", cluster, e.getMessage());
      } finally {
        MDC.remove("cluster");
      }
    }
  }

  private void ensureFinalizer(String cluster) {
    if (finalized.contains(cluster)) {
      return;
    }
    List<String> current = members.finalizers(cluster).orElse(null);
    if (current == null) {
      return; // not a MemberCluster-backed set
    }
    if (current.contains(GleanerKeys.MEMBER_PODS_FINALIZER)
        || MemberFinalizers.ensure(meta, cluster, GleanerKeys.MEMBER_PODS_FINALIZER)) {
      finalized.add(cluster);
    }
  }

  private void drain(String cluster) {
    long now = clock.millis();
    long since = leavingSince.computeIfAbsent(cluster, c -> now);
    if (!members
        .finalizers(cluster)
        .orElse(List.of())
        .contains(GleanerKeys.MEMBER_PODS_FINALIZER)) {
      return; // another replica or an operator took it off: nothing holds the member for us
    }
    if (since == now) {
      log.info("member {} is leaving the federation: taking Gleaner's pods out", cluster);
    }
    SharedIndexInformer<Pod> inf = informers.memberInformer(cluster);
    KubernetesClient client = members.client(cluster).orElse(null);
    boolean reachable =
        client != null && inf != null && members.isHealthy(cluster) && inf.isWatching();
    if (!reachable) {
      Duration timeout = unreachableTimeout.get();
      if (now - since >= timeout.toMillis()) {
        log.warn(
            "member {} left without answering for {}: its pods were failed as unreachable; any"
                + " still running there are no longer Gleaner's to stop",
            cluster,
            timeout);
        release(cluster);
      }
      return;
    }
    failTrackedPods(cluster);
    Set<String> left = new HashSet<>();
    for (Pod p : inf.getStore().list()) {
      left.add(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName());
      if (p.getMetadata().getDeletionTimestamp() == null) {
        client
            .pods()
            .inNamespace(p.getMetadata().getNamespace())
            .withName(p.getMetadata().getName())
            .delete();
      }
    }
    if (left.isEmpty()) {
      release(cluster);
    } else {
      log.debug("member {}: {} pods of this installation still there", cluster, left.size());
    }
  }

  /** Fails every metadata pod placed in {@code cluster} for recreation and gives its room back. */
  private void failTrackedPods(String cluster) {
    tracked.forEach(
        (uid, t) -> {
          if (!cluster.equals(t.cluster)
              || t.state == TrackedPod.State.ABANDONED
              || t.state == TrackedPod.State.NEW) {
            return;
          }
          Pod pod = informers.metaPod(uid);
          locks.withPod(
              uid,
              pod,
              cluster,
              () -> {
                if (!cluster.equals(t.cluster) || t.state == TrackedPod.State.ABANDONED) {
                  return WorkQueue.Result.DONE;
                }
                if (pod != null
                    && (pod.getStatus() == null
                        || !SyncHandler.isTerminal(pod.getStatus().getPhase()))) {
                  writer.writeStatus(
                      pod, s -> StatusMirror.memberRemoved(s, cluster, clock.instant()));
                }
                if (!t.released) {
                  broker.releaseOutcome(uid, "member " + cluster + " left the federation");
                  t.released = true;
                }
                t.state = TrackedPod.State.ABANDONED;
                metrics.drained(cluster);
                return WorkQueue.Result.DONE;
              });
        });
  }

  private void release(String cluster) {
    if (MemberFinalizers.remove(meta, cluster, GleanerKeys.MEMBER_PODS_FINALIZER)) {
      log.info(
          "member {} drained: finalizer {} removed", cluster, GleanerKeys.MEMBER_PODS_FINALIZER);
    }
  }
}
