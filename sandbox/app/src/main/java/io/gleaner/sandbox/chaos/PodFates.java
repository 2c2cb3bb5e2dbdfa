package io.gleaner.sandbox.chaos;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * What happens to pods during a chaos run, from informers on the metadata cluster (pods bound to
 * the virtual node) and on every member (Gleaner's member pods): which metadata pods exist, when a
 * member pod first appears for each, which metadata pods fail and why, which stay Terminating, and
 * which member pods outlive their metadata pod (orphans). A metadata pod already {@code Failed}
 * when the watching starts failed before this run (an earlier fault's, on the same sandbox) and is
 * not counted. Times are {@code nanoTime} readings of the caller's clock (real time).
 */
public final class PodFates implements AutoCloseable {
  /** The reason Gleaner fails a metadata pod whose member pod was reclaimed: designed, not lost. */
  public static final String RECLAIMED = "Reclaimed";

  /**
   * The reason Gleaner fails a pod that waited for room longer than {@code
   * placement.pendingTimeout}: designed (a bounded wait), not lost; its Job replaces it.
   */
  public static final String NO_MEMBER_FIT = "NoMemberFit";

  /**
   * The reason Gleaner fails a pod whose member left the federation (its MemberCluster deleted by
   * an operator): designed, not lost; its Job replaces it.
   */
  public static final String MEMBER_REMOVED = "MemberRemoved";

  /**
   * The reason Gleaner fails every pod of a gang not placed within {@code
   * placement.pendingTimeout}: the gang's form of {@link #NO_MEMBER_FIT}, designed, not lost.
   */
  public static final String GANG_NOT_SCHEDULABLE = io.gleaner.vk.translate.GangDeadline.REASON;

  private final String virtualNode;
  private final LongSupplier nanos;
  private final List<SharedIndexInformer<Pod>> informers = new ArrayList<>();
  private final Set<String> metaUids = new HashSet<>();
  private final Map<String, Long> firstMemberPodAt = new HashMap<>();
  private final Map<String, String> memberPodCluster = new HashMap<>();
  private final Map<String, String> failed = new HashMap<>();
  private final Map<String, Long> failedAt = new HashMap<>();
  private final Map<String, Long> terminatingSince = new HashMap<>();
  private final Map<String, String> keys = new HashMap<>();
  private final Set<String> failedBefore = new HashSet<>();
  private final Map<String, Long> metaDeletedAt = new HashMap<>();
  private final Map<String, MemberPod> memberPods = new HashMap<>();

  /** A Gleaner member pod seen and not deleted yet, keyed by its own UID. */
  private record MemberPod(String key, String metaUid, long firstSeen, boolean terminating) {}

  public PodFates(String virtualNode, LongSupplier nanos) {
    this.virtualNode = virtualNode;
    this.nanos = nanos;
  }

  /** Starts the informers; returns once each has listed. */
  public PodFates start(KubernetesClient meta, Map<String, KubernetesClient> members) {
    informers.add(
        meta.pods()
            .inAnyNamespace()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod p) {
                    meta(p, false);
                  }

                  @Override
                  public void onUpdate(Pod old, Pod p) {
                    meta(p, false);
                  }

                  @Override
                  public void onDelete(Pod p, boolean unknownFinalState) {
                    meta(p, true);
                  }
                }));
    members.forEach(
        (cluster, client) ->
            informers.add(
                client
                    .pods()
                    .inAnyNamespace()
                    .withLabel(GleanerKeys.META_UID)
                    .inform(
                        new ResourceEventHandler<>() {
                          @Override
                          public void onAdd(Pod p) {
                            member(cluster, p);
                          }

                          @Override
                          public void onUpdate(Pod old, Pod p) {
                            member(cluster, p);
                          }

                          @Override
                          public void onDelete(Pod p, boolean unknownFinalState) {
                            memberGone(p);
                          }
                        })));
    for (Pod p : meta.pods().inAnyNamespace().list().getItems()) {
      before(p);
    }
    return this;
  }

  /** A metadata pod as it was when the watching started: already failed, it is not this run's. */
  synchronized void before(Pod p) {
    if (p.getSpec() != null
        && virtualNode.equals(p.getSpec().getNodeName())
        && p.getStatus() != null
        && "Failed".equals(p.getStatus().getPhase())) {
      failedBefore.add(p.getMetadata().getUid());
    }
  }

  synchronized void meta(Pod p, boolean deleted) {
    if (p.getSpec() == null || !virtualNode.equals(p.getSpec().getNodeName())) {
      return;
    }
    String uid = p.getMetadata().getUid();
    keys.put(uid, p.getMetadata().getNamespace() + "/" + p.getMetadata().getName());
    if (deleted) {
      terminatingSince.remove(uid);
      metaDeletedAt.putIfAbsent(uid, nanos.getAsLong());
      return;
    }
    metaUids.add(uid);
    if (p.getStatus() != null
        && "Failed".equals(p.getStatus().getPhase())
        && failed.putIfAbsent(uid, String.valueOf(p.getStatus().getReason())) == null) {
      failedAt.put(uid, nanos.getAsLong());
    }
    if (p.getMetadata().getDeletionTimestamp() != null) {
      terminatingSince.putIfAbsent(uid, nanos.getAsLong());
    }
  }

  synchronized void member(String cluster, Pod p) {
    String uid = p.getMetadata().getLabels().get(GleanerKeys.META_UID);
    if (uid == null) {
      return;
    }
    long now = nanos.getAsLong();
    if (firstMemberPodAt.putIfAbsent(uid, now) == null) {
      memberPodCluster.put(uid, cluster);
    }
    MemberPod seen = memberPods.get(p.getMetadata().getUid());
    memberPods.put(
        p.getMetadata().getUid(),
        new MemberPod(
            cluster + "/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(),
            uid,
            seen == null ? now : seen.firstSeen(),
            p.getMetadata().getDeletionTimestamp() != null));
  }

  synchronized void memberGone(Pod p) {
    memberPods.remove(p.getMetadata().getUid());
  }

  /** The metadata pods on the virtual node seen so far (UIDs). */
  public synchronized Set<String> metaPods() {
    return Set.copyOf(metaUids);
  }

  /** Member pods seen so far (each metadata pod counted once). */
  public synchronized int placements() {
    return firstMemberPodAt.size();
  }

  /**
   * The first time, at or after {@code sinceNanos}, that a metadata pod got its first member pod:
   * the first placement decided after a moment, -1 when none yet. A pod's age does not matter: with
   * fair admission, work submitted after a fault queues behind its team's older pods, so "a pod
   * created after the fault" would time the team's queue, not the federation's recovery.
   */
  public synchronized long firstPlacementSince(long sinceNanos) {
    return firstPlacementSince(null, sinceNanos);
  }

  /** As {@link #firstPlacementSince(long)} but only for member pods in {@code cluster}. */
  public synchronized long firstPlacementSince(String cluster, long sinceNanos) {
    long first = -1;
    for (Map.Entry<String, Long> e : firstMemberPodAt.entrySet()) {
      if ((cluster == null || cluster.equals(memberPodCluster.get(e.getKey())))
          && e.getValue() >= sinceNanos
          && (first < 0 || e.getValue() < first)) {
        first = e.getValue();
      }
    }
    return first;
  }

  /** Gleaner member pods seen in each member so far. */
  public synchronized Map<String, Long> placementsByCluster() {
    Map<String, Long> out = new TreeMap<>();
    memberPodCluster.values().forEach(c -> out.merge(c, 1L, Long::sum));
    return out;
  }

  /** Metadata pods that failed, by reason ({@link #RECLAIMED} included). */
  public synchronized Map<String, Long> failedByReason() {
    return failedByReason(Long.MAX_VALUE);
  }

  /** As {@link #failedByReason()}, for the failures seen before {@code untilNanos}. */
  public synchronized Map<String, Long> failedByReason(long untilNanos) {
    Map<String, Long> out = new TreeMap<>();
    failed.forEach(
        (uid, r) -> {
          if (counts(uid, untilNanos)) {
            out.merge(r, 1L, Long::sum);
          }
        });
    return out;
  }

  /** Whether a failure is this run's: not already failed at the start, seen before the end. */
  private boolean counts(String uid, long untilNanos) {
    return !failedBefore.contains(uid) && failedAt.getOrDefault(uid, 0L) < untilNanos;
  }

  /**
   * Metadata pods that failed for a reason other than the designed ones ({@link #RECLAIMED}, {@link
   * #NO_MEMBER_FIT}, {@link #GANG_NOT_SCHEDULABLE}, {@link #MEMBER_REMOVED}): work Gleaner lost.
   */
  public synchronized List<String> lost() {
    return lost(Long.MAX_VALUE);
  }

  /** As {@link #lost()}, for the failures seen before {@code untilNanos}. */
  public synchronized List<String> lost(long untilNanos) {
    List<String> out = new ArrayList<>();
    failed.forEach(
        (uid, reason) -> {
          if (counts(uid, untilNanos)
              && !RECLAIMED.equals(reason)
              && !NO_MEMBER_FIT.equals(reason)
              && !GANG_NOT_SCHEDULABLE.equals(reason)
              && !MEMBER_REMOVED.equals(reason)) {
            out.add(keys.get(uid) + " (" + reason + ")");
          }
        });
    return out;
  }

  /** Metadata pods Terminating (still present) for longer than {@code nanos}. */
  public synchronized List<String> terminatingLongerThan(long limitNanos) {
    return terminatingLongerThan(limitNanos, Long.MAX_VALUE);
  }

  /** As {@link #terminatingLongerThan(long)}, for those Terminating since before {@code until}. */
  public synchronized List<String> terminatingLongerThan(long limitNanos, long untilNanos) {
    long now = nanos.getAsLong();
    List<String> out = new ArrayList<>();
    terminatingSince.forEach(
        (uid, since) -> {
          if (since < untilNanos && now - since > limitNanos) {
            out.add(keys.get(uid));
          }
        });
    return out;
  }

  /**
   * Member pods, not Terminating, whose metadata pod has been gone for longer than {@code
   * limitNanos}: deleted that long ago, or never seen on the virtual node while the member pod has
   * been seen that long. Each as {@code cluster/namespace/name}.
   */
  public synchronized List<String> orphansOlderThan(long limitNanos) {
    return orphansOlderThan(limitNanos, Long.MAX_VALUE);
  }

  /**
   * As {@link #orphansOlderThan(long)}, for the orphans whose metadata pod went (or, never seen,
   * whose member pod was first seen) before {@code untilNanos}.
   */
  public synchronized List<String> orphansOlderThan(long limitNanos, long untilNanos) {
    long now = nanos.getAsLong();
    List<String> out = new ArrayList<>();
    memberPods.values().stream()
        .filter(m -> !m.terminating())
        .filter(
            m -> {
              Long gone = metaDeletedAt.get(m.metaUid());
              return gone != null
                  ? gone < untilNanos && now - gone > limitNanos
                  : !metaUids.contains(m.metaUid())
                      && m.firstSeen() < untilNanos
                      && now - m.firstSeen() > limitNanos;
            })
        .map(MemberPod::key)
        .sorted()
        .forEach(out::add);
    return out;
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
