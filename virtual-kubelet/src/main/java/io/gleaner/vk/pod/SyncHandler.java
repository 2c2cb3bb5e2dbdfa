package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.fair.Wait;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.vk.admission.BoundPod;
import io.gleaner.vk.translate.Gangs;
import io.gleaner.vk.translate.PodAdmission;
import io.gleaner.vk.translate.PodValidator;
import io.gleaner.vk.translate.StatusMirror;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync and resync queues' handler: takes a metadata pod bound to the virtual node to a running
 * member pod. Validate → place ({@link PlacementStep}) → create in the member ({@link
 * MemberPodCreator}) → confirm the reservation; a pod whose member pod already exists is adopted
 * instead (after a restart, on the resync queue so that re-listed pods never delay new ones).
 */
final class SyncHandler {
  private static final Logger log = LoggerFactory.getLogger(SyncHandler.class);

  private final PodInformers informers;
  private final PodQueues queues;
  private final PodLocks locks;
  private final Map<String, TrackedPod> tracked;
  private final BrokerApiClient broker;
  private final BrokerView brokerView;
  private final PodValidator validator;
  private final MetaPodWriter writer;
  private final PlacementStep placement;
  private final GangStep gangStep;
  private final MemberPodCreator creator;
  private final VkMetrics metrics;
  private final Clock clock;

  SyncHandler(
      PodInformers informers,
      PodQueues queues,
      PodLocks locks,
      Map<String, TrackedPod> tracked,
      BrokerApiClient broker,
      BrokerView brokerView,
      PodValidator validator,
      MetaPodWriter writer,
      PlacementStep placement,
      GangStep gangStep,
      MemberPodCreator creator,
      VkMetrics metrics,
      Clock clock) {
    this.informers = informers;
    this.queues = queues;
    this.locks = locks;
    this.tracked = tracked;
    this.broker = broker;
    this.brokerView = brokerView;
    this.validator = validator;
    this.writer = writer;
    this.placement = placement;
    this.gangStep = gangStep;
    this.creator = creator;
    this.metrics = metrics;
    this.clock = clock;
  }

  WorkQueue.Result handleSync(String uid) {
    Pod pod = informers.metaPod(uid);
    if (pod == null) {
      queues.delete.add(uid);
      return WorkQueue.Result.DONE;
    }
    return locks.withPod(uid, pod, null, () -> sync(uid, pod));
  }

  private WorkQueue.Result sync(String uid, Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      queues.delete.add(uid);
      return WorkQueue.Result.DONE;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    TrackedPod t = tracked.computeIfAbsent(uid, k -> new TrackedPod(clock.millis()));
    if (t.state == TrackedPod.State.ABANDONED) {
      return WorkQueue.Result.DONE;
    }
    if (t.state == TrackedPod.State.CREATED) {
      return confirmIfNeeded(uid, t);
    }
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return WorkQueue.Result.DONE;
    }
    if (t.state == TrackedPod.State.REPLACING) {
      if (informers.memberPodAnywhere(uid).isPresent()) {
        return WorkQueue.Result.after(Duration.ofMillis(200));
      }
      t.state = TrackedPod.State.NEW;
    }
    Optional<PodInformers.Located> existing = informers.memberPodAnywhere(uid);
    if (existing.isPresent()) {
      adopt(uid, t, existing.get());
      return confirmIfNeeded(uid, t);
    }
    Optional<Placement> createdBefore = brokerView.createdAtStart(uid);
    if (createdBefore.isPresent()
        && informers.memberInformer(createdBefore.get().getNode().getCluster()) != null) {
      adoptCreated(uid, t, createdBefore.get());
      return WorkQueue.Result.DONE;
    }
    PodAdmission v = validator.validate(pod);
    if (v instanceof PodAdmission.Refused r) {
      writer.writeStatus(
          pod, s -> StatusMirror.failed(s, r.reason(), r.message(), clock.instant()));
      metrics.sync("refused");
      log.info("refused: {}: {}", r.reason(), r.message());
      tracked.remove(uid);
      return WorkQueue.Result.DONE;
    }
    if (v instanceof PodAdmission.Held h) {
      writer.writeStatus(
          pod, s -> StatusMirror.pending(s, h.reason(), h.message(), clock.instant()));
      metrics.sync("held");
      return WorkQueue.Result.DONE;
    }
    WorkloadClass cls = ((PodAdmission.Accepted) v).workloadClass();
    writer.tolerateNodeFailures(pod);
    Optional<Gangs.Membership> gang = Gangs.of(pod);
    WorkQueue.Result created;
    if (gang.isPresent()) {
      GangStep.Outcome g = gangStep.place(uid, pod, t, gang.get());
      if (g instanceof GangStep.Outcome.Stop stop) {
        return stop.result();
      }
      GangStep.Outcome.Placed gp = (GangStep.Outcome.Placed) g;
      created =
          creator.create(
              uid,
              pod,
              t,
              cls,
              gp.placement(),
              new MemberPodCreator.GangPlaced(gang.get(), gp.minMember(), gp.members()));
    } else {
      PlacementStep.Outcome placed = placement.place(uid, pod, t, cls);
      if (placed instanceof PlacementStep.Outcome.Stop stop) {
        return stop.result();
      }
      created =
          creator.create(
              uid, pod, t, cls, ((PlacementStep.Outcome.Placed) placed).placement(), null);
    }
    return t.state == TrackedPod.State.CREATED ? confirmIfNeeded(uid, t) : created;
  }

  /**
   * Tries a pod (or a whole gang) waiting in the {@link FairGate} in its turn: asks the broker for
   * a member node, and when reserved hands the pod back to the sync queue to create its member pod.
   */
  FairGate.Tried tryPlaceInTurn(String uid) {
    if (GangStep.isGateKey(uid)) {
      return gangStep.placeInTurn(uid);
    }
    Pod pod = informers.metaPod(uid);
    if (pod == null) {
      return FairGate.Tried.GONE;
    }
    FairGate.Tried[] out = {FairGate.Tried.GONE};
    locks.withPod(
        uid,
        pod,
        null,
        () -> {
          out[0] = placeInTurn(uid, pod);
          return WorkQueue.Result.DONE;
        });
    return out[0];
  }

  private FairGate.Tried placeInTurn(String uid, Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    TrackedPod t = tracked.get(uid);
    if (pod.getMetadata().getDeletionTimestamp() != null
        || "Succeeded".equals(phase)
        || "Failed".equals(phase)
        || t == null
        || t.state != TrackedPod.State.NEW
        || informers.memberPodAnywhere(uid).isPresent()) {
      return FairGate.Tried.GONE;
    }
    if (!(validator.validate(pod) instanceof PodAdmission.Accepted a)) {
      return FairGate.Tried.GONE;
    }
    PlacementStep.Outcome placed = placement.placeNow(uid, pod, t, a.workloadClass());
    if (placed instanceof PlacementStep.Outcome.Placed) {
      queues.sync.add(uid);
      return FairGate.Tried.PLACED;
    }
    if (((PlacementStep.Outcome.Stop) placed).brokerDown()) {
      return FairGate.Tried.UNAVAILABLE;
    }
    return t.state == TrackedPod.State.ABANDONED ? FairGate.Tried.GONE : FairGate.Tried.NO_ROOM;
  }

  /**
   * Writes why a waiting pod waits ({@link FairGate#CONDITION}), or that its team goes first; for a
   * gang waiting whole, on each of its pods.
   */
  void showWait(String uid, Optional<Wait> wait) {
    if (GangStep.isGateKey(uid)) {
      gangStep.memberUids(uid).forEach(member -> showWait(member, wait));
      return;
    }
    Pod cached = informers.metaPod(uid);
    if (cached == null) {
      return;
    }
    locks.withPod(
        uid,
        cached,
        null,
        () -> {
          TrackedPod t = tracked.get(uid);
          // read again under the lock: a sync may have written the status meanwhile
          Pod pod = informers.metaPod(uid);
          if (pod == null || t == null || t.state != TrackedPod.State.NEW) {
            return WorkQueue.Result.DONE;
          }
          writer.writeStatus(
              pod,
              s ->
                  wait.map(
                          w ->
                              StatusMirror.withPodCondition(
                                  s,
                                  FairGate.CONDITION,
                                  "False",
                                  w.reason(),
                                  w.message(),
                                  clock.instant()))
                      .orElseGet(
                          () ->
                              StatusMirror.withPodCondition(
                                  s,
                                  FairGate.CONDITION,
                                  "True",
                                  FairGate.REASON_FIRST,
                                  "its team goes first when harvested room frees",
                                  clock.instant())));
          return WorkQueue.Result.DONE;
        });
  }

  /**
   * What each team holds: the requests of pods placed or running in a member, by team name. Read
   * from the informer's summaries of the pods ({@link PodInformers#boundPod}), not decoded from the
   * cache: a fair round asks at every capacity change, and there may be thousands of such pods.
   */
  Map<String, Resources> usage(Teams teams) {
    Map<String, Resources> usage = new HashMap<>();
    tracked.forEach(
        (uid, t) -> {
          if (t.state != TrackedPod.State.PLACED && t.state != TrackedPod.State.CREATED) {
            return;
          }
          BoundPod pod = informers.boundPod(uid); // null: gone or finished
          if (pod == null || pod.request() == null) {
            return; // requests that cannot be counted: refused, never placed
          }
          usage.merge(teams.of(pod.namespace()).name(), pod.request(), Resources::plus);
        });
    return usage;
  }

  static boolean isTerminal(String phase) {
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  /**
   * Adoption after a restart, on its own queue so that thousands of existing pods re-listed by the
   * informers never delay a newly bound pod: rebuild the tracked state from the member pod, confirm
   * the reservation (idempotent at the broker) and mirror what changed while no virtual-kubelet was
   * watching.
   */
  WorkQueue.Result handleResync(String uid) {
    Pod pod = informers.metaPod(uid);
    if (pod == null) {
      queues.delete.add(uid);
      return WorkQueue.Result.DONE;
    }
    return locks.withPod(
        uid,
        pod,
        null,
        () -> {
          if (pod.getMetadata().getDeletionTimestamp() != null) {
            queues.delete.add(uid);
            return WorkQueue.Result.DONE;
          }
          TrackedPod t = tracked.get(uid);
          if (t != null && t.state != TrackedPod.State.NEW) {
            return WorkQueue.Result.DONE; // the live path got there first
          }
          Optional<PodInformers.Located> existing = informers.memberPodAnywhere(uid);
          if (existing.isEmpty()) {
            queues.sync.add(uid);
            return WorkQueue.Result.DONE;
          }
          TrackedPod adopted = tracked.computeIfAbsent(uid, k -> new TrackedPod(clock.millis()));
          adopt(uid, adopted, existing.get());
          return confirmIfNeeded(uid, adopted);
        });
  }

  private WorkQueue.Result confirmIfNeeded(String uid, TrackedPod t) {
    if (t.confirmed) {
      return WorkQueue.Result.DONE;
    }
    BrokerApiClient.CallOutcome c = broker.confirmOutcome(uid);
    if (c == BrokerApiClient.CallOutcome.UNAVAILABLE) {
      metrics.error("broker", "confirm");
      return WorkQueue.Result.retry("broker unavailable for confirm");
    }
    t.confirmed = true; // NOT_FOUND: the broker no longer knows the reservation; nothing to confirm
    return WorkQueue.Result.DONE;
  }

  /**
   * Takes up, at a takeover, a pod whose member pod was created (the broker held its reservation
   * confirmed) but that no member cache holds: as created there and not seen yet. Its status sync
   * then asks the member, as for any created pod its cache never showed: a member pod that is there
   * is adopted when the cache shows it; one that went while no virtual-kubelet watched is a member
   * pod gone, reclaimed with its gang as one seen going would be, never placed again alone.
   */
  private void adoptCreated(String uid, TrackedPod t, Placement created) {
    t.placeOn(created.getNode().getCluster(), created.getNode().getNode());
    t.sourceOrdinal = created.getSourceValue();
    t.confirmed = true;
    t.seenInMember = false;
    t.createdMs = 0; // long before: the status sync asks the member at once
    t.state = TrackedPod.State.CREATED;
    log.info(
        "created in {} on {} before the takeover and not in its cache: asking the member",
        t.cluster,
        t.node);
    queues.status.add(uid);
  }

  private void adopt(String uid, TrackedPod t, PodInformers.Located found) {
    t.placeOn(found.cluster(), PodInformers.annotation(found.pod(), GleanerKeys.NODE));
    if (brokerView.confirmed(uid, found.cluster())) {
      t.confirmed = true;
    }
    t.state = TrackedPod.State.CREATED;
    t.seenInMember = true;
    String source = found.pod().getMetadata().getLabels().get(GleanerKeys.SOURCE);
    t.sourceOrdinal = PlacementStep.sourceOrdinal(source);
    queues.status.add(uid);
  }
}
