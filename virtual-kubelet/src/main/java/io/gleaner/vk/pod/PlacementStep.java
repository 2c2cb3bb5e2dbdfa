package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.NoFit;
import io.gleaner.api.v1.NodeRef;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.time.Durations;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.PodShapes;
import io.gleaner.vk.translate.PodValidator;
import io.gleaner.vk.translate.StatusMirror;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The placement step of a sync: asks the broker for a member node (or keeps the one already
 * reserved), and decides what a pod without room becomes: failed at once when no member node could
 * ever hold it, Pending until the pending timeout otherwise. Also gives a reservation back to place
 * the pod elsewhere.
 */
final class PlacementStep {
  private static final Logger log = LoggerFactory.getLogger(PlacementStep.class);

  /** What placing a pod came to. */
  sealed interface Outcome {
    /** Reserved on a member node: go on and create the member pod. */
    record Placed(Placement placement) implements Outcome {}

    /**
     * Not placed (now): the sync stops with this result.
     *
     * @param brokerDown the broker did not answer (the pod was not judged)
     */
    record Stop(WorkQueue.Result result, boolean brokerDown) implements Outcome {
      Stop(WorkQueue.Result result) {
        this(result, false);
      }
    }
  }

  private final BrokerApiClient broker;
  private final MemberPodTranslator translator;
  private final MetaPodWriter writer;
  private final PodQueues queues;
  private final VkMetrics metrics;
  private final Clock clock;
  private final UnaryOperator<Duration> toReal;
  private final PodControllerConfig config;
  private final FairGate gate;

  PlacementStep(
      BrokerApiClient broker,
      MemberPodTranslator translator,
      MetaPodWriter writer,
      PodQueues queues,
      VkMetrics metrics,
      Clock clock,
      UnaryOperator<Duration> toReal,
      PodControllerConfig config,
      FairGate gate) {
    this.broker = broker;
    this.translator = translator;
    this.writer = writer;
    this.queues = queues;
    this.metrics = metrics;
    this.clock = clock;
    this.toReal = toReal;
    this.config = config;
    this.gate = gate;
  }

  /**
   * Places an admitted pod of class {@code cls}; on success {@code t} is PLACED. While pods wait
   * for room, the pod waits its turn in the {@link FairGate} instead.
   */
  Outcome place(String uid, Pod pod, TrackedPod t, WorkloadClass cls) {
    if (t.state != TrackedPod.State.PLACED && gate.contended()) {
      Optional<Duration> left = turnLeft(pod, t);
      if (left.isPresent()) {
        if (gate.waitFor(pod, cls == WorkloadClass.NEAR_LINE)) {
          gate.requestRound();
        }
        metrics.sync("fair_wait");
        Duration next =
            left.get().compareTo(config.noFitRetry()) < 0 ? left.get() : config.noFitRetry();
        return new Outcome.Stop(WorkQueue.Result.after(toReal.apply(next)));
      }
    }
    return placeNow(uid, pod, t, cls);
  }

  /**
   * Asks the broker now (or keeps the node already reserved); a pod without room starts waiting in
   * the {@link FairGate}.
   */
  Outcome placeNow(String uid, Pod pod, TrackedPod t, WorkloadClass cls) {
    if (t.state == TrackedPod.State.PLACED) {
      // a create failed after placing: keep the same target, a timed-out create may have succeeded
      // there
      return new Outcome.Placed(
          Placement.newBuilder()
              .setPodUid(uid)
              .setWorkloadClass(cls)
              .setNode(NodeRef.newBuilder().setCluster(t.cluster).setNode(t.node))
              .setSource(sourceOf(t.sourceOrdinal))
              .build());
    }
    PlaceRequest.Builder req =
        PlaceRequest.newBuilder()
            .setPodUid(uid)
            .setNamespace(pod.getMetadata().getNamespace())
            .setName(pod.getMetadata().getName())
            .setWorkloadClass(cls)
            .setShape(PodShapes.of(pod, translator.config().node()));
    if (t.excluded != null) {
      req.addAllExclude(t.excluded);
    }
    BrokerApiClient.PlaceOutcome outcome = broker.placeOutcome(req.build());
    if (outcome instanceof BrokerApiClient.PlaceOutcome.Unavailable u) {
      metrics.error("broker", "place");
      log.debug("broker unavailable for place: {}", u.message());
      return new Outcome.Stop(WorkQueue.Result.retry(u.message()), true);
    }
    if (outcome instanceof BrokerApiClient.PlaceOutcome.Rejected r) {
      writer.writeStatus(
          pod,
          s ->
              StatusMirror.pending(
                  s,
                  "PlacementRejected",
                  "the broker refused the pod: " + r.message(),
                  clock.instant()));
      metrics.sync("rejected");
      return new Outcome.Stop(WorkQueue.Result.after(toReal.apply(config.retryMax())));
    }
    if (outcome instanceof BrokerApiClient.PlaceOutcome.NoRoom n) {
      gate.waitFor(pod, cls == WorkloadClass.NEAR_LINE);
      WorkQueue.Result result = noRoom(pod, t, n.noFit());
      if (t.state == TrackedPod.State.ABANDONED) {
        gate.done(uid);
      }
      return new Outcome.Stop(result);
    }
    gate.done(uid);
    t.waitingSinceMs = 0;
    t.refusal = null;
    Placement placement = ((BrokerApiClient.PlaceOutcome.Placed) outcome).placement();
    t.placeOn(placement.getNode().getCluster(), placement.getNode().getNode());
    t.sourceOrdinal = placement.getSourceValue();
    t.state = TrackedPod.State.PLACED;
    log.debug("placed on {}/{}", t.cluster, t.node);
    return new Outcome.Placed(placement);
  }

  /**
   * No member node has room. A pod none could ever hold fails at once, as a kubelet rejects a pod
   * with {@code OutOf<resource>}; any other waits, Pending, until the pending timeout, then fails.
   * Either way it stops counting against the virtual node's allocatable, so it never blocks later
   * pods for long.
   */
  private WorkQueue.Result noRoom(Pod pod, TrackedPod t, NoFit noFit) {
    String why =
        noFit.getMessage().isBlank() ? "no member node has room for this pod" : noFit.getMessage();
    if (t.refusal != null) {
      why = why + "; " + t.refusal;
      t.forgetExcludedMembers(); // the next try may find room in their quota again
    }
    if (noFit.hasNeverFits()) {
      String reason = PodValidator.reasonOutOf(noFit.getNeverFits().getResource());
      fail(pod, t, reason, why);
      metrics.sync("never_fits");
      log.info("failed: {}: {}", reason, why);
      return WorkQueue.Result.DONE;
    }
    long now = clock.millis();
    if (t.waitingSinceMs == 0) {
      t.waitingSinceMs = waitingSince(pod).orElse(now);
    }
    Duration left = config.pendingTimeout().minusMillis(now - t.waitingSinceMs);
    if (left.isNegative() || left.isZero()) {
      String message =
          "no member node had room for the pod within the pending timeout ("
              + Durations.format(config.pendingTimeout())
              + "): "
              + why;
      fail(pod, t, PodValidator.REASON_NO_FIT, message);
      metrics.sync("pending_timeout");
      log.info("failed: {}: {}", PodValidator.REASON_NO_FIT, message);
      return WorkQueue.Result.DONE;
    }
    String waitsBecause = why;
    writer.writeStatus(
        pod,
        s -> StatusMirror.pending(s, PodValidator.REASON_NO_FIT, waitsBecause, clock.instant()));
    metrics.sync("no_fit");
    Duration next = left.compareTo(config.noFitRetry()) < 0 ? left : config.noFitRetry();
    return WorkQueue.Result.after(toReal.apply(next));
  }

  /**
   * How long a pod waiting its turn in the {@link FairGate} may still wait: the round places it;
   * its sync only comes back by its deadline, when it asks the broker once more itself (and fails
   * with the broker's reason if there is still no room).
   */
  private Optional<Duration> turnLeft(Pod pod, TrackedPod t) {
    long now = clock.millis();
    if (t.waitingSinceMs == 0) {
      t.waitingSinceMs = waitingSince(pod).orElse(now);
    }
    Duration left = config.pendingTimeout().minusMillis(now - t.waitingSinceMs);
    return left.isNegative() || left.isZero() ? Optional.empty() : Optional.of(left);
  }

  /** Fails a pod Gleaner never placed; it is done with it (no later sync places it after all). */
  private void fail(Pod pod, TrackedPod t, String reason, String message) {
    writer.writeStatus(pod, s -> StatusMirror.failed(s, reason, message, clock.instant()));
    t.state = TrackedPod.State.ABANDONED;
    t.released = true; // nothing reserved
  }

  /** Gives the reservation back and tries another node; the current one is excluded. */
  WorkQueue.Result replaceElsewhere(String uid, TrackedPod t, String why, boolean memberPodExists) {
    return replaceElsewhere(uid, t, why, memberPodExists, false);
  }

  /**
   * As {@link #replaceElsewhere(String, TrackedPod, String, boolean)}; with {@code wholeMember}
   * every node of the member is excluded (its ResourceQuota refused the pod, so any of its nodes
   * would) and {@code why} is kept for the pod's status should no other member have room.
   */
  WorkQueue.Result replaceElsewhere(
      String uid, TrackedPod t, String why, boolean memberPodExists, boolean wholeMember) {
    if (broker.releaseOutcome(uid, why) == BrokerApiClient.CallOutcome.UNAVAILABLE) {
      metrics.error("broker", "release");
      return WorkQueue.Result.retry("broker unavailable for release");
    }
    if (t.cluster != null && t.node != null) {
      if (wholeMember) {
        t.excludeMember(t.cluster);
        t.refusal = why;
      } else {
        t.exclude(t.cluster, t.node);
      }
      metrics.replacement(t.cluster);
    }
    t.confirmed = false;
    t.seenInMember = false;
    t.state = memberPodExists ? TrackedPod.State.REPLACING : TrackedPod.State.NEW;
    log.info("re-placing pod: {}", why);
    queues.sync.add(uid);
    return WorkQueue.Result.DONE;
  }

  /**
   * Since when the pod has been waiting for room, as its status says (PodScheduled=False with
   * reason NoMemberFit): a waiting pod keeps its deadline across restarts and takeovers.
   */
  static Optional<Long> waitingSince(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType())
          && "False".equals(c.getStatus())
          && PodValidator.REASON_NO_FIT.equals(c.getReason())
          && c.getLastTransitionTime() != null) {
        try {
          return Optional.of(Instant.parse(c.getLastTransitionTime()).toEpochMilli());
        } catch (RuntimeException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /** The SourceKind of a number; unknown numbers are SOURCE_KIND_UNSPECIFIED. */
  static SourceKind sourceOf(int ordinal) {
    SourceKind s = SourceKind.forNumber(ordinal);
    return s == null ? SourceKind.SOURCE_KIND_UNSPECIFIED : s;
  }

  /** The SourceKind number of a member pod's source label (any case); 0 when absent or unknown. */
  static int sourceOrdinal(String label) {
    if (label == null) {
      return 0;
    }
    try {
      return SourceKind.valueOf(label.toUpperCase(Locale.ROOT)).getNumber();
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }
}
