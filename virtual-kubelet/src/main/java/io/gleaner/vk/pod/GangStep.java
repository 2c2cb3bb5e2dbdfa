package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.PlaceGangRequest;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.fair.Candidate;
import io.gleaner.meta.resources.Resources;
import io.gleaner.vk.translate.GangDeadline;
import io.gleaner.vk.translate.GangHold;
import io.gleaner.vk.translate.Gangs;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.PodAdmission;
import io.gleaner.vk.translate.PodShapes;
import io.gleaner.vk.translate.PodValidator;
import io.gleaner.vk.translate.StatusMirror;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The placement step of a gang member (a pod of a Volcano or coscheduling PodGroup): waits until
 * the gang's minMember pods are bound to the virtual node, then asks the broker to reserve all of
 * them in one member cluster ({@code PlaceGang}), or none. Every member's own sync asks the same
 * (the broker answers a gang already reserved with its reservations), and each creates only its own
 * member pod, so no member pod exists before the whole gang is reserved. A gang that fits no member
 * whole stays Pending, each pod saying why.
 *
 * <p>Fair placement: a whole gang takes its team's turn as one unit. While pods wait for harvested
 * room (or a team has a cap), a gang that holds no room yet waits in the {@link FairGate} as one
 * {@link Candidate} whose request is the sum of its pods' ({@link #gateKey}); a round tries it in
 * its team's turn ({@link #placeInTurn}), holds it back whole while that sum would take its team
 * over its cap, and shows the wait on every member pod. Once the gang is reserved, its pods (and
 * members bound later) are placed without waiting again.
 *
 * <p>A gang waits at most the policy's {@code placement.pendingTimeout} ({@link GangDeadline}):
 * once a gang that holds no room has waited that long (too few pods bound, its PodGroup missing, no
 * member holding it whole), the first of its pods to see it fails every waiting pod of the gang
 * with reason {@link GangDeadline#REASON}: the others are told through {@link #expired} and their
 * syncs, so they fail together even though their own waits began later. Nothing is reserved for a
 * waiting gang, so nothing is held. Once placed, a gang is given back and failed only whole ({@link
 * GangRecovery}): a pod of a placed gang waits from when its member gave it back, and fails alone
 * only if the gang keeps its minMember without it (a pod bound after its gang was placed).
 */
final class GangStep {
  private static final Logger log = LoggerFactory.getLogger(GangStep.class);

  /** The reason of a gang member's PodScheduled=False while its gang waits for members. */
  static final String REASON_WAITING = "GangWaiting";

  /** ... while no member cluster holds the whole gang. */
  static final String REASON_NO_FIT = "GangNoMemberFit";

  /** ... while its PodGroup is missing or malformed. */
  static final String REASON_POD_GROUP = "GangPodGroupInvalid";

  /** ... while the gang, given back whole by its member, waits to be placed again. */
  static final String REASON_REPLACING = "GangReplacing";

  /** ... while the whole gang waits its team's turn in the {@link FairGate}. */
  static final String REASON_TURN = "GangWaitingForTurn";

  /** How a gang's key in the {@link FairGate} begins (pod UIDs never hold a colon). */
  private static final String GATE_PREFIX = "gang:";

  private final KubernetesClient meta;
  private final PodInformers informers;
  private final BrokerApiClient broker;
  private final MemberPodTranslator translator;
  private final MetaPodWriter writer;
  private final PodQueues queues;
  private final PodLocks locks;
  private final Map<String, TrackedPod> tracked;
  private final FairGate gate;
  private final VkMetrics metrics;
  private final Clock clock;
  private final UnaryOperator<Duration> toReal;
  private final PodControllerConfig config;
  private final PodValidator validator;
  private final PlacementStep placement;
  private final GangRecovery recovery;

  /** The gangs waiting in the {@link FairGate}, by their key there. */
  private final Map<String, Gangs.Membership> queued = new ConcurrentHashMap<>();

  /** Why the broker last found no member for a queued gang in its turn, by key. */
  private final Map<String, String> lastNoFit = new ConcurrentHashMap<>();

  /**
   * Gangs whose wait timed out, by gang id: the UIDs of their pods still to fail, and the message.
   * An entry goes when the last of them has failed or is gone.
   */
  private final Map<String, Expiry> expired = new ConcurrentHashMap<>();

  /** A gang that waited too long: its pods still to fail and why. */
  private record Expiry(Set<String> uids, String message) {}

  GangStep(
      KubernetesClient meta,
      PodInformers informers,
      BrokerApiClient broker,
      MemberPodTranslator translator,
      MetaPodWriter writer,
      PodQueues queues,
      PodLocks locks,
      Map<String, TrackedPod> tracked,
      FairGate gate,
      VkMetrics metrics,
      Clock clock,
      UnaryOperator<Duration> toReal,
      PodControllerConfig config,
      PodValidator validator,
      PlacementStep placement,
      GangRecovery recovery) {
    this.meta = meta;
    this.informers = informers;
    this.broker = broker;
    this.translator = translator;
    this.writer = writer;
    this.queues = queues;
    this.locks = locks;
    this.tracked = tracked;
    this.gate = gate;
    this.metrics = metrics;
    this.clock = clock;
    this.toReal = toReal;
    this.config = config;
    this.validator = validator;
    this.placement = placement;
    this.recovery = recovery;
  }

  /** What placing a gang member came to. */
  sealed interface Outcome {
    /** The whole gang is reserved; this pod's reservation, and its gang as placed. */
    record Placed(Placement placement, int minMember, int members) implements Outcome {}

    /** Not placed (now). */
    record Stop(WorkQueue.Result result) implements Outcome {}
  }

  /** What reading a gang came to: whole (enough pods bound), or why not. */
  private sealed interface Read {
    record Whole(int minMember, List<Pod> pods) implements Read {}

    /**
     * {@code live}: the gang's live pods bound to the virtual node; {@code minMember} 0 when its
     * PodGroup could not be read.
     */
    record NotWhole(String reason, String message, List<Pod> live, int minMember) implements Read {}

    record Failed(String message) implements Read {}
  }

  /** The key under which the gang waits in the {@link FairGate}. */
  static String gateKey(Gangs.Membership gang) {
    return GATE_PREFIX + gang.id();
  }

  /** Whether a {@link FairGate} candidate id is a gang's key rather than a pod's UID. */
  static boolean isGateKey(String id) {
    return id.startsWith(GATE_PREFIX);
  }

  Outcome place(String uid, Pod pod, TrackedPod t, Gangs.Membership gang) {
    Optional<GangRecovery.Verdict> verdict = recovery.verdict(uid);
    if (verdict.isPresent()) {
      Optional<Outcome> done = carryOut(uid, pod, t, verdict.get());
      if (done.isPresent()) {
        return done.get();
      }
    }
    Optional<String> timedOut = takeExpiry(gang, uid);
    if (timedOut.isPresent() && t.state == TrackedPod.State.PLACED) {
      // reserved in a turn that raced the timeout: give it back, the gang fails whole
      if (broker.releaseOutcome(uid, GangDeadline.REASON)
          == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        metrics.error("broker", "release");
        expired
            .computeIfAbsent(
                gang.id(), k -> new Expiry(ConcurrentHashMap.newKeySet(), timedOut.get()))
            .uids()
            .add(uid);
        return new Outcome.Stop(WorkQueue.Result.retry("broker unavailable for release"));
      }
      t.state = TrackedPod.State.NEW;
    }
    if (timedOut.isPresent() && t.state == TrackedPod.State.NEW) {
      return fail(pod, t, timedOut.get());
    }
    if (t.state == TrackedPod.State.NEW) {
      if (recovery.givingBack(gang, uid)) {
        // the gang was given back whole: it is placed again once every pod gave its room back
        return new Outcome.Stop(WorkQueue.Result.after(Duration.ofMillis(200)));
      }
      Duration backoff = recovery.backoffLeft(gang);
      if (!backoff.isZero()) {
        metrics.sync("gang_backoff");
        return pending(
            pod,
            REASON_REPLACING,
            "gang "
                + gang.id()
                + " was given back whole by its member cluster; it is placed again whole in "
                + io.gleaner.meta.time.Durations.format(backoff),
            backoff);
      }
    }
    Read read = read(gang);
    if (read instanceof Read.Failed f) {
      return new Outcome.Stop(WorkQueue.Result.retry(f.message()));
    }
    if (read instanceof Read.NotWhole n) {
      Duration left = left(uid, pod, t, gang, n.live(), n.minMember(), n.message());
      if (t.state == TrackedPod.State.ABANDONED) {
        return new Outcome.Stop(WorkQueue.Result.DONE);
      }
      if (REASON_WAITING.equals(n.reason())) {
        metrics.sync("gang_waiting");
      }
      return pending(pod, n.reason(), n.message(), left);
    }
    Read.Whole whole = (Read.Whole) read;
    List<Pod> members = whole.pods();
    int minMember = whole.minMember();
    String key = gateKey(gang);
    if (t.state != TrackedPod.State.PLACED && !holdsRoom(members) && gate.contended()) {
      String noFit = lastNoFit.get(key);
      Duration left =
          left(
              uid,
              pod,
              t,
              gang,
              members,
              minMember,
              noFit != null
                  ? noFitMessage(gang, members.size(), minMember, noFit)
                  : "it waited whole for its team's turn at harvested room");
      if (t.state == TrackedPod.State.ABANDONED) {
        return new Outcome.Stop(WorkQueue.Result.DONE);
      }
      metrics.sync("fair_wait");
      // the status first: the round this may start writes the team's turn on top of it
      Outcome waiting =
          noFit != null
              ? pending(
                  pod, REASON_NO_FIT, noFitMessage(gang, members.size(), minMember, noFit), left)
              : pending(
                  pod,
                  REASON_TURN,
                  "gang "
                      + gang.id()
                      + " ("
                      + members.size()
                      + " pods, minMember "
                      + minMember
                      + ") waits whole for its team's turn at harvested room (condition "
                      + FairGate.CONDITION
                      + " says why)",
                  left);
      queued.put(key, gang);
      if (gate.waitFor(candidate(key, gang, members))) {
        gate.requestRound();
      }
      return waiting;
    }
    BrokerApiClient.GangOutcome outcome = broker.placeGangOutcome(request(gang, members));
    if (outcome instanceof BrokerApiClient.GangOutcome.Unavailable u) {
      metrics.error("broker", "place_gang");
      return new Outcome.Stop(WorkQueue.Result.retry(u.message()));
    }
    if (outcome instanceof BrokerApiClient.GangOutcome.Rejected rej) {
      metrics.sync("rejected");
      writer.writeStatus(
          pod,
          s ->
              StatusMirror.pending(
                  s,
                  "PlacementRejected",
                  "the broker refused the gang " + gang.id() + ": " + rej.message(),
                  clock.instant()));
      return new Outcome.Stop(WorkQueue.Result.after(toReal.apply(config.retryMax())));
    }
    if (outcome instanceof BrokerApiClient.GangOutcome.NoRoom n) {
      String why = noFitMessage(gang, members.size(), minMember, n.noFit().getMessage());
      Duration left = left(uid, pod, t, gang, members, minMember, why);
      if (t.state == TrackedPod.State.ABANDONED) {
        return new Outcome.Stop(WorkQueue.Result.DONE);
      }
      metrics.sync("gang_no_fit");
      if (t.state != TrackedPod.State.PLACED && !holdsRoom(members)) {
        // from now on the gang waits its turn with the other pods that wait for room
        queued.put(key, gang);
        if (gate.waitFor(candidate(key, gang, members))) {
          gate.requestRound();
        }
      }
      return pending(pod, REASON_NO_FIT, why, left);
    }
    forget(key);
    List<Placement> placements = ((BrokerApiClient.GangOutcome.Placed) outcome).placements();
    Placement mine = null;
    for (Placement p : placements) {
      if (p.getPodUid().equals(uid)) {
        mine = p;
      } else {
        queues.sync.add(p.getPodUid()); // the others create their member pods now
      }
    }
    if (mine == null) {
      // this pod is not among the live members (it is finishing): nothing to place
      return new Outcome.Stop(WorkQueue.Result.DONE);
    }
    t.waitingSinceMs = 0;
    t.placeOn(mine.getNode().getCluster(), mine.getNode().getNode());
    t.sourceOrdinal = mine.getSourceValue();
    t.state = TrackedPod.State.PLACED;
    log.debug("gang {} placed in {}", gang.id(), t.cluster);
    return new Outcome.Placed(mine, minMember, placements.size());
  }

  /**
   * Tries a gang waiting in the {@link FairGate} in its team's turn: reserves the whole gang, marks
   * each of its pods placed (under the pod's lock, so the team's usage counts them from now on) and
   * hands them to the sync queue to create their member pods.
   */
  FairGate.Tried placeInTurn(String key) {
    Gangs.Membership gang = queued.get(key);
    if (gang == null) {
      return FairGate.Tried.GONE;
    }
    if (hasExpiry(gang)) {
      forget(key); // its pods are failing for waiting too long
      return FairGate.Tried.GONE;
    }
    if (recovery.givingBack(gang, null) || !recovery.backoffLeft(gang).isZero()) {
      return FairGate.Tried.NO_ROOM; // given back whole by its member: not yet placed again
    }
    Read read = read(gang);
    if (read instanceof Read.Failed) {
      return FairGate.Tried.NO_ROOM; // the PodGroup could not be read: try again next round
    }
    if (read instanceof Read.NotWhole) {
      forget(key); // its pods' syncs queue it again once it is whole
      return FairGate.Tried.GONE;
    }
    List<Pod> members = ((Read.Whole) read).pods();
    if (holdsRoom(members)) {
      forget(key);
      members.forEach(p -> queues.sync.add(p.getMetadata().getUid()));
      return FairGate.Tried.GONE;
    }
    BrokerApiClient.GangOutcome outcome = broker.placeGangOutcome(request(gang, members));
    if (outcome instanceof BrokerApiClient.GangOutcome.Unavailable u) {
      metrics.error("broker", "place_gang");
      log.debug("broker unavailable for gang {}: {}", gang.id(), u.message());
      return FairGate.Tried.UNAVAILABLE;
    }
    if (outcome instanceof BrokerApiClient.GangOutcome.NoRoom n) {
      lastNoFit.put(key, n.noFit().getMessage());
      return FairGate.Tried.NO_ROOM;
    }
    forget(key);
    if (outcome instanceof BrokerApiClient.GangOutcome.Placed placed) {
      for (Placement p : placed.placements()) {
        String uid = p.getPodUid();
        Pod pod = informers.metaPod(uid);
        boolean[] failed = {false};
        locks.withPod(
            uid,
            pod,
            p.getNode().getCluster(),
            () -> {
              TrackedPod t = tracked.computeIfAbsent(uid, k -> new TrackedPod(clock.millis()));
              if (t.state == TrackedPod.State.NEW) {
                t.waitingSinceMs = 0;
                t.placeOn(p.getNode().getCluster(), p.getNode().getNode());
                t.sourceOrdinal = p.getSourceValue();
                t.state = TrackedPod.State.PLACED;
              } else if (t.state == TrackedPod.State.ABANDONED) {
                failed[0] = true;
              }
              return WorkQueue.Result.DONE;
            });
        if (failed[0]) {
          // it failed at the gang's deadline while the broker answered: nothing will run it, so
          // its room goes back (its gang-mates reserved in this turn give theirs back when their
          // syncs find the gang's expiry)
          giveBack(uid);
        } else {
          queues.sync.add(uid);
        }
      }
      log.debug("gang {} placed in its team's turn", gang.id());
      return FairGate.Tried.PLACED;
    }
    // refused by the broker: its pods' syncs ask again and say why
    members.forEach(p -> queues.sync.add(p.getMetadata().getUid()));
    return FairGate.Tried.GONE;
  }

  /** Releases the reservation of a pod that failed while its turn reserved it. */
  private void giveBack(String uid) {
    if (broker.releaseOutcome(uid, GangDeadline.REASON)
        == BrokerApiClient.CallOutcome.UNAVAILABLE) {
      metrics.error("broker", "release");
      log.warn(
          "could not give back the room reserved for pod {}, failed at its gang's deadline: the"
              + " broker does not answer (it lapses unconfirmed)",
          uid);
      return;
    }
    metrics.sync("gang_turn_given_back");
  }

  /** The UIDs of the live pods of a gang waiting in the {@link FairGate} under {@code key}. */
  List<String> memberUids(String key) {
    Gangs.Membership gang = queued.get(key);
    List<String> out = new ArrayList<>();
    if (gang != null) {
      for (Pod p : bound(gang)) {
        out.add(p.getMetadata().getUid());
      }
    }
    return out;
  }

  private void forget(String key) {
    queued.remove(key);
    lastNoFit.remove(key);
    gate.done(key);
  }

  /**
   * What is left of the gang's wait ({@link GangDeadline}); when nothing is, fails this pod and
   * marks the gang's other waiting pods to fail with it ({@code t} is then ABANDONED). In a gang
   * that holds room (placed, and this pod given back by its member or bound late) only this pod's
   * own wait counts, from when its member gave it back; when it runs out the pod fails alone only
   * if the gang keeps its minMember without it ({@link GangHold#failsAlone}), otherwise the whole
   * gang fails ({@link GangRecovery#failWhole}): no part of a gang runs on without its minimum.
   */
  private Duration left(
      String uid,
      Pod pod,
      TrackedPod t,
      Gangs.Membership gang,
      List<Pod> live,
      int minMember,
      String why) {
    if (t.state != TrackedPod.State.NEW) {
      return config.noFitRetry();
    }
    boolean placed = holdsRoom(live);
    List<Pod> waiting = new ArrayList<>();
    waiting.add(pod);
    if (!placed) {
      for (Pod p : live) {
        if (!p.getMetadata().getUid().equals(uid) && isWaiting(p.getMetadata().getUid())) {
          waiting.add(p);
        }
      }
    }
    Duration left =
        GangDeadline.left(waiting, this::restartedAt, config.pendingTimeout(), clock.instant());
    if (!left.isNegative() && !left.isZero()) {
      return left;
    }
    if (placed) {
      int others = 0;
      for (Pod p : live) {
        if (!p.getMetadata().getUid().equals(uid) && holdsRoom(List.of(p))) {
          others++;
        }
      }
      if (minMember > 0 && !GangHold.failsAlone(others, minMember)) {
        String message = GangDeadline.messageWhole(gang.id(), config.pendingTimeout(), why);
        forget(gateKey(gang));
        recovery.failWhole(gang, uid, message);
        fail(pod, t, message);
        return Duration.ZERO;
      }
    }
    if (!placed) {
      // another pod of the gang may have timed out since this sync began (its expiry is put before
      // its failure is written, so a read that no longer counts it finds the expiry): one message
      Optional<String> already = takeExpiry(gang, uid);
      if (already.isPresent()) {
        fail(pod, t, already.get());
        return Duration.ZERO;
      }
    }
    String message = GangDeadline.message(gang.id(), config.pendingTimeout(), why);
    if (!placed) {
      Set<String> others = ConcurrentHashMap.newKeySet();
      for (Pod p : waiting) {
        String other = p.getMetadata().getUid();
        if (!other.equals(uid)) {
          others.add(other);
        }
      }
      forget(gateKey(gang));
      if (!others.isEmpty()) {
        expired.put(gang.id(), new Expiry(others, message));
        others.forEach(queues.sync::add);
      }
    }
    fail(pod, t, message);
    return Duration.ZERO;
  }

  /** When the pod's member gave it back (its gang re-placed), if it did. */
  private Instant restartedAt(Pod p) {
    TrackedPod o = tracked.get(p.getMetadata().getUid());
    return o == null || o.replacedAtMs == 0 ? null : Instant.ofEpochMilli(o.replacedAtMs);
  }

  /**
   * Carries out what the pod's gang decided for it ({@link GangRecovery}) when it has no member pod
   * (a pod with one carries it out in its status sync): gives back its room and waits to be placed
   * again with its gang, or fails with it. Empty: go on placing.
   */
  private Optional<Outcome> carryOut(
      String uid, Pod pod, TrackedPod t, GangRecovery.Verdict verdict) {
    if (t.state == TrackedPod.State.CREATED) {
      return Optional.empty(); // not reached: a created pod's sync stops before its placement
    }
    if (verdict instanceof GangRecovery.Verdict.Replace r) {
      if (t.state == TrackedPod.State.PLACED) {
        WorkQueue.Result res = placement.replaceElsewhere(uid, t, r.why(), false, r.wholeMember());
        if (t.state == TrackedPod.State.PLACED) {
          return Optional.of(new Outcome.Stop(res)); // the broker did not answer the release
        }
        t.replacedAtMs = clock.millis();
        recovery.done(uid);
        return Optional.of(new Outcome.Stop(res));
      }
      recovery.done(uid); // it holds nothing: it waits with its gang
      t.replacedAtMs = clock.millis();
      return Optional.empty();
    }
    GangRecovery.Verdict.Fail f = (GangRecovery.Verdict.Fail) verdict;
    if (t.state == TrackedPod.State.PLACED) {
      if (broker.releaseOutcome(uid, GangDeadline.REASON)
          == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        metrics.error("broker", "release");
        return Optional.of(
            new Outcome.Stop(WorkQueue.Result.retry("broker unavailable for release")));
      }
      t.state = TrackedPod.State.NEW;
    }
    recovery.done(uid);
    return Optional.of(fail(pod, t, f.message()));
  }

  /** Whether the pod with {@code uid} waits (not placed, not failed by Gleaner). */
  private boolean isWaiting(String uid) {
    TrackedPod t = tracked.get(uid);
    return t == null || t.state == TrackedPod.State.NEW;
  }

  /**
   * Takes {@code uid} out of its gang's expiry, if its gang timed out with it: the message to fail
   * it with. Pods of the expiry that are gone or finished are dropped meanwhile.
   */
  private Optional<String> takeExpiry(Gangs.Membership gang, String uid) {
    Expiry e = expired.get(gang.id());
    if (e == null) {
      return Optional.empty();
    }
    boolean mine = e.uids().remove(uid);
    e.uids().removeIf(this::gone);
    if (e.uids().isEmpty()) {
      expired.remove(gang.id(), e);
    }
    return mine ? Optional.of(e.message()) : Optional.empty();
  }

  /** Whether some pods of the gang are still to fail for its timeout. */
  private boolean hasExpiry(Gangs.Membership gang) {
    Expiry e = expired.get(gang.id());
    if (e == null) {
      return false;
    }
    e.uids().removeIf(this::gone);
    if (e.uids().isEmpty()) {
      expired.remove(gang.id(), e);
      return false;
    }
    return true;
  }

  /** Whether the metadata pod is deleted or finished (it will not sync again to fail). */
  private boolean gone(String uid) {
    Pod p = informers.metaPod(uid);
    return p == null || p.getStatus() != null && SyncHandler.isTerminal(p.getStatus().getPhase());
  }

  /** Fails a gang pod Gleaner never placed: nothing is reserved for it, nothing to give back. */
  private Outcome fail(Pod pod, TrackedPod t, String message) {
    writer.writeStatus(
        pod, s -> StatusMirror.failed(s, GangDeadline.REASON, message, clock.instant()));
    t.state = TrackedPod.State.ABANDONED;
    t.released = true;
    metrics.sync("gang_timeout");
    log.info("failed: {}: {}", GangDeadline.REASON, message);
    return new Outcome.Stop(WorkQueue.Result.DONE);
  }

  private Read read(Gangs.Membership gang) {
    int minMember;
    try {
      GenericKubernetesResource pg =
          meta.genericKubernetesResources(gang.flavor().apiVersion(), "PodGroup")
              .inNamespace(gang.namespace())
              .withName(gang.group())
              .get();
      if (pg == null) {
        return new Read.NotWhole(
            REASON_POD_GROUP,
            "PodGroup "
                + gang.id()
                + " ("
                + gang.flavor().apiVersion()
                + ") does not exist; the gang's pods wait for it",
            Gangs.live(bound(gang)),
            0);
      }
      minMember = Gangs.minMember(pg);
    } catch (IllegalArgumentException e) {
      return new Read.NotWhole(REASON_POD_GROUP, e.getMessage(), Gangs.live(bound(gang)), 0);
    } catch (KubernetesClientException e) {
      metrics.error("meta", "get_podgroup");
      return new Read.Failed("reading PodGroup " + gang.id() + ": " + e.getMessage());
    }
    List<Pod> bound = bound(gang);
    Gangs.Readiness r = Gangs.readiness(bound, minMember);
    if (r instanceof Gangs.Readiness.Waiting w) {
      return new Read.NotWhole(
          REASON_WAITING, w.message(gang.id()), Gangs.live(bound), w.minMember());
    }
    return new Read.Whole(minMember, ((Gangs.Readiness.Ready) r).pods());
  }

  /** The gang's pods bound to the virtual node that Gleaner accepts. */
  private List<Pod> bound(Gangs.Membership gang) {
    List<Pod> bound = new ArrayList<>();
    for (Pod p : informers.metaPods()) {
      if (Gangs.of(p).filter(gang::equals).isPresent()
          && validator.validate(p) instanceof PodAdmission.Accepted) {
        bound.add(p);
      }
    }
    return bound;
  }

  private PlaceGangRequest request(Gangs.Membership gang, List<Pod> members) {
    PlaceGangRequest.Builder req = PlaceGangRequest.newBuilder().setGangId(gang.id());
    for (Pod p : members) {
      WorkloadClass cls = ((PodAdmission.Accepted) validator.validate(p)).workloadClass();
      PlaceRequest.Builder one =
          PlaceRequest.newBuilder()
              .setPodUid(p.getMetadata().getUid())
              .setNamespace(p.getMetadata().getNamespace())
              .setName(p.getMetadata().getName())
              .setWorkloadClass(cls)
              .setShape(PodShapes.of(p, translator.config().node()));
      TrackedPod t = tracked.get(p.getMetadata().getUid());
      List<io.gleaner.api.v1.NodeRef> excluded = t == null ? null : t.excluded;
      if (excluded != null) {
        one.addAllExclude(List.copyOf(excluded)); // where its member could not run it before
      }
      req.addPods(one);
    }
    return req.build();
  }

  /** Whether some pod of the gang holds room already (reserved or running): its turn is taken. */
  private boolean holdsRoom(List<Pod> members) {
    for (Pod p : members) {
      TrackedPod t = tracked.get(p.getMetadata().getUid());
      if (t != null
          && (t.state == TrackedPod.State.PLACED || t.state == TrackedPod.State.CREATED)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The gang as one candidate of fair placement: its namespace's team, the sum of its pods'
   * requests, near-line only if every pod is, waiting since its oldest pod was created.
   */
  static Candidate candidate(String key, Gangs.Membership gang, List<Pod> members) {
    Resources sum = Resources.ZERO;
    boolean nearLine = !members.isEmpty();
    Instant since = null;
    for (Pod p : members) {
      Candidate c = FairGate.candidate(p, false);
      sum = sum.plus(c.request());
      nearLine &= c.nearLine();
      since = since == null || c.since().isBefore(since) ? c.since() : since;
    }
    return new Candidate(
        key, gang.namespace(), sum, nearLine, Optional.ofNullable(since).orElse(Instant.EPOCH));
  }

  private static String noFitMessage(Gangs.Membership gang, int pods, int minMember, String why) {
    return "gang "
        + gang.id()
        + " ("
        + pods
        + " pods, minMember "
        + minMember
        + ") is placed whole in one member or not at all: "
        + (why == null || why.isBlank() ? "no member cluster can hold the whole gang" : why);
  }

  /**
   * Pending with the reason; looked at again after {@code noFitRetry}, or {@code left} if sooner.
   */
  private Outcome pending(Pod pod, String reason, String message, Duration left) {
    writer.writeStatus(pod, s -> StatusMirror.pending(s, reason, message, clock.instant()));
    Duration next = left.compareTo(config.noFitRetry()) < 0 ? left : config.noFitRetry();
    return new Outcome.Stop(WorkQueue.Result.after(toReal.apply(next)));
  }
}
