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
 * member pod first appears for each, which metadata pods fail and why, and which stay Terminating.
 * Times are {@code nanoTime} readings of the caller's clock (real time).
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
  private final Map<String, Long> terminatingSince = new HashMap<>();
  private final Map<String, String> keys = new HashMap<>();

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
                          public void onDelete(Pod p, boolean unknownFinalState) {}
                        })));
    return this;
  }

  synchronized void meta(Pod p, boolean deleted) {
    if (p.getSpec() == null || !virtualNode.equals(p.getSpec().getNodeName())) {
      return;
    }
    String uid = p.getMetadata().getUid();
    keys.put(uid, p.getMetadata().getNamespace() + "/" + p.getMetadata().getName());
    if (deleted) {
      terminatingSince.remove(uid);
      return;
    }
    metaUids.add(uid);
    if (p.getStatus() != null && "Failed".equals(p.getStatus().getPhase())) {
      failed.putIfAbsent(uid, String.valueOf(p.getStatus().getReason()));
    }
    if (p.getMetadata().getDeletionTimestamp() != null) {
      terminatingSince.putIfAbsent(uid, nanos.getAsLong());
    }
  }

  synchronized void member(String cluster, Pod p) {
    String uid = p.getMetadata().getLabels().get(GleanerKeys.META_UID);
    if (uid != null && firstMemberPodAt.putIfAbsent(uid, nanos.getAsLong()) == null) {
      memberPodCluster.put(uid, cluster);
    }
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
    Map<String, Long> out = new TreeMap<>();
    failed.values().forEach(r -> out.merge(r, 1L, Long::sum));
    return out;
  }

  /**
   * Metadata pods that failed for a reason other than the designed ones ({@link #RECLAIMED}, {@link
   * #NO_MEMBER_FIT}, {@link #GANG_NOT_SCHEDULABLE}, {@link #MEMBER_REMOVED}): work Gleaner lost.
   */
  public synchronized List<String> lost() {
    List<String> out = new ArrayList<>();
    failed.forEach(
        (uid, reason) -> {
          if (!RECLAIMED.equals(reason)
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
    long now = nanos.getAsLong();
    List<String> out = new ArrayList<>();
    terminatingSince.forEach(
        (uid, since) -> {
          if (now - since > limitNanos) {
            out.add(keys.get(uid));
          }
        });
    return out;
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
