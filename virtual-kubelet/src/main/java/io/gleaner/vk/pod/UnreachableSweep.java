package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.vk.translate.StatusMirror;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic sweep of unreachable members: the pods of a member that does not answer (or is gone)
 * are marked unreachable at once, and failed for recreation, their reservations given back, once
 * the member has not answered for the GleanerPolicy's memberUnreachableTimeout. A member that
 * answers again has its pods' status looked at anew.
 */
final class UnreachableSweep {
  private static final Logger log = LoggerFactory.getLogger(UnreachableSweep.class);

  private final PodInformers informers;
  private final PodQueues queues;
  private final PodLocks locks;
  private final Map<String, TrackedPod> tracked;
  private final MemberClusters members;
  private final BrokerApiClient broker;
  private final MetaPodWriter writer;
  private final Clock clock;
  private final Map<String, Long> unreachableSince = new ConcurrentHashMap<>();

  /** The GleanerPolicy's memberUnreachableTimeout, read at every sweep. */
  private volatile Supplier<Duration> timeout =
      () -> EffectivePolicy.DEFAULTS.memberUnreachableTimeout();

  UnreachableSweep(
      PodInformers informers,
      PodQueues queues,
      PodLocks locks,
      Map<String, TrackedPod> tracked,
      MemberClusters members,
      BrokerApiClient broker,
      MetaPodWriter writer,
      Clock clock) {
    this.informers = informers;
    this.queues = queues;
    this.locks = locks;
    this.tracked = tracked;
    this.members = members;
    this.broker = broker;
    this.writer = writer;
    this.clock = clock;
  }

  /** Where the timeout comes from; read at every sweep. */
  void timeout(Supplier<Duration> timeout) {
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  void sweep() {
    long now = clock.millis();
    Duration timeout = this.timeout.get();
    // members that are gone (deleted, disabled) count as unreachable for the pods they still hold
    Set<String> clusters = new HashSet<>(informers.memberInformers().keySet());
    tracked
        .values()
        .forEach(
            t -> {
              if (t.cluster != null && t.state == TrackedPod.State.CREATED) {
                clusters.add(t.cluster);
              }
            });
    unreachableSince.keySet().retainAll(clusters);
    for (String cluster : clusters) {
      SharedIndexInformer<Pod> inf = informers.memberInformer(cluster);
      boolean healthy = inf != null && members.isHealthy(cluster) && inf.isWatching();
      if (healthy) {
        if (unreachableSince.remove(cluster) != null) {
          log.info("member cluster {} answers again", cluster);
          tracked.forEach(
              (uid, t) -> {
                if (cluster.equals(t.cluster)) {
                  t.unreachableSinceMs = 0;
                  queues.status.add(uid);
                }
              });
        }
        continue;
      }
      long since = unreachableSince.computeIfAbsent(cluster, c -> now);
      tracked.forEach(
          (uid, t) -> {
            if (!cluster.equals(t.cluster) || t.state != TrackedPod.State.CREATED) {
              return;
            }
            Pod pod = informers.metaPod(uid);
            if (pod == null) {
              return;
            }
            locks.withPod(
                uid,
                pod,
                cluster,
                () -> {
                  if (now - since >= timeout.toMillis()) {
                    writer.writeStatus(
                        pod,
                        s ->
                            StatusMirror.failed(
                                s,
                                StatusMirror.REASON_MEMBER_UNREACHABLE,
                                "member cluster "
                                    + cluster
                                    + " has not answered since "
                                    + Instant.ofEpochMilli(since)
                                    + "; failed for recreation after "
                                    + timeout,
                                clock.instant()));
                    broker.releaseOutcome(uid, "member unreachable");
                    t.released = true;
                    t.state = TrackedPod.State.ABANDONED;
                  } else if (t.unreachableSinceMs == 0) {
                    writer.writeStatus(
                        pod, s -> StatusMirror.unreachable(s, cluster, clock.instant()));
                    t.unreachableSinceMs = since;
                  }
                  return WorkQueue.Result.DONE;
                });
          });
    }
  }
}
