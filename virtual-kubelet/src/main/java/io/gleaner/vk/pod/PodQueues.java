package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.vk.translate.SpecUpdates;
import java.util.Map;
import java.util.function.Function;

/**
 * The pod controller's four work queues, each keyed by metadata pod UID with its own workers and
 * backoff, and which informer event goes to which:
 *
 * <ul>
 *   <li>sync: a new or not yet running metadata pod (place and create, {@link SyncHandler});
 *   <li>resync: a metadata pod whose member pod exists but that is not tracked (adoption after a
 *       restart, off the path of new pods);
 *   <li>status: any member pod change ({@link StatusHandler});
 *   <li>delete: a metadata pod being deleted or gone, a member pod deleted ({@link DeleteHandler}).
 * </ul>
 *
 * Events are dropped until {@link #act()}: a warm standby watches without acting.
 */
final class PodQueues implements PodInformers.Events, AutoCloseable {
  final WorkQueue<String> sync;
  final WorkQueue<String> resync;
  final WorkQueue<String> status;
  final WorkQueue<String> delete;

  private final Map<String, TrackedPod> tracked;
  private final PodInformers informers;

  /** False while only watching (a warm standby): informer events are not acted on. */
  private volatile boolean acting;

  PodQueues(PodControllerConfig config, Map<String, TrackedPod> tracked, PodInformers informers) {
    this.tracked = tracked;
    this.informers = informers;
    this.sync =
        new WorkQueue<>("vk-sync", config.syncWorkers(), config.retryBase(), config.retryMax());
    this.resync =
        new WorkQueue<>("vk-resync", config.resyncWorkers(), config.retryBase(), config.retryMax());
    this.status =
        new WorkQueue<>("vk-status", config.statusWorkers(), config.retryBase(), config.retryMax());
    this.delete =
        new WorkQueue<>("vk-delete", config.deleteWorkers(), config.retryBase(), config.retryMax());
  }

  /**
   * From now on events are routed; what the informers saw before is routed as their first events
   * would have been, by UID alone (the handlers look at the objects themselves, so a takeover
   * decodes none of the cache here).
   */
  void act() {
    acting = true;
    informers.metaUids().forEach(uid -> (informers.hasMemberPod(uid) ? resync : sync).add(uid));
    informers.memberUids().forEach(status::add);
  }

  boolean acting() {
    return acting;
  }

  /** Work is done only while {@code mayAct} holds (see {@link WorkQueue#pauseUnless}). */
  void pauseUnless(java.util.function.BooleanSupplier mayAct) {
    sync.pauseUnless(mayAct);
    resync.pauseUnless(mayAct);
    status.pauseUnless(mayAct);
    delete.pauseUnless(mayAct);
  }

  /** Starts the workers of each queue. */
  void start(
      Function<String, WorkQueue.Result> syncHandler,
      Function<String, WorkQueue.Result> resyncHandler,
      Function<String, WorkQueue.Result> statusHandler,
      Function<String, WorkQueue.Result> deleteHandler) {
    sync.start(syncHandler);
    resync.start(resyncHandler);
    status.start(statusHandler);
    delete.start(deleteHandler);
  }

  @Override
  public void metaChanged(Pod old, Pod pod) {
    if (!acting) {
      return;
    }
    String uid = pod.getMetadata().getUid();
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      delete.add(uid);
      return;
    }
    TrackedPod t = tracked.get(uid);
    if (t == null && informers.hasMemberPod(uid)) {
      resync.add(uid); // after a restart: adopt off the path of new pods
    } else if (t == null || t.state == TrackedPod.State.NEW || t.state == TrackedPod.State.PLACED) {
      sync.add(uid);
    } else if (t.state == TrackedPod.State.CREATED
        && pod.getSpec() != null
        && pod.getSpec().getReadinessGates() != null
        && !pod.getSpec().getReadinessGates().isEmpty()) {
      status.add(uid); // a gate's condition may have changed: Ready is worked out again
    } else if (t.state == TrackedPod.State.CREATED
        && old != null
        && SpecUpdates.deadlineChanged(old.getSpec(), pod.getSpec())) {
      status.add(uid); // the member pod is given the lowered deadline
    }
  }

  @Override
  public void metaDeleted(Pod pod) {
    if (acting) {
      delete.add(pod.getMetadata().getUid());
    }
  }

  @Override
  public void memberChanged(Pod member) {
    if (!acting) {
      return;
    }
    String uid = PodInformers.metaUidOf(member);
    if (uid != null) {
      status.add(uid);
      if (member.getMetadata().getDeletionTimestamp() != null) {
        delete.add(uid);
      }
    }
  }

  @Override
  public void memberDeleted(Pod member) {
    String uid = PodInformers.metaUidOf(member);
    if (uid != null && acting) {
      status.add(uid);
      delete.add(uid);
    }
  }

  /**
   * Capacity changed: pods waiting for room get another chance now. A pod for which {@code
   * triedByRound} holds is skipped: it waits in the {@link FairGate}, whose round (asked for by the
   * same change) tries it in its turn, while its own sync would only find it waiting again; at
   * hundreds of waiting pods and a capacity snapshot every 200 ms those syncs, each decoding the
   * pod from the cache, were most of the virtual-kubelet's work.
   */
  void capacityChanged(java.util.function.Predicate<String> triedByRound) {
    tracked.forEach(
        (uid, t) -> {
          if (t.state == TrackedPod.State.NEW && !triedByRound.test(uid)) {
            sync.add(uid);
          }
        });
  }

  @Override
  public void close() {
    sync.close();
    resync.close();
    status.close();
    delete.close();
  }
}
