package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.vk.translate.GangDeadline;
import io.gleaner.vk.translate.GangHold;
import io.gleaner.vk.translate.Gangs;
import io.gleaner.vk.translate.StatusMirror;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A placed gang given back whole, or failed whole: never one pod of it alone.
 *
 * <p>When a member cannot run a pod of a placed gang (its scheduler leaves it Unschedulable, its
 * quota refuses it, the member is gone), the gang is re-placed whole, once: after the member had
 * its chance ({@link GangHold#onUnschedulable}: Volcano holds every pod of a PodGroup until all are
 * there, so a pod created first is "not ready" until the last one is), every pod of the gang gives
 * its room back and its member pod is removed, and the gang is placed again as one after a backoff
 * that doubles with each re-placement. A gang that must fail (a pod of it could not be placed again
 * in time) fails with every pod: each member pod is removed and each reservation released.
 *
 * <p>The pod that decides acts on itself under its own lock; every other pod of the gang gets a
 * {@link Verdict} and carries it out in its own sync (not created yet) or status sync (created).
 * Until all have, the gang is not placed again ({@link #givingBack}).
 */
final class GangRecovery {
  private static final Logger log = LoggerFactory.getLogger(GangRecovery.class);

  /** What a pod of a gang must do for its gang. */
  sealed interface Verdict {
    String gangId();

    /** Give its room back and wait to be placed again with its gang. */
    record Replace(String gangId, String why, boolean wholeMember) implements Verdict {}

    /** Give its room back, if any, and fail with reason {@link GangDeadline#REASON}. */
    record Fail(String gangId, String message) implements Verdict {}
  }

  /** How often a gang was re-placed whole, and not before when it is placed again. */
  private record Backoff(int replacements, long notBeforeMs) {}

  private final PodInformers informers;
  private final PodQueues queues;
  private final Map<String, TrackedPod> tracked;
  private final MemberClusters members;
  private final BrokerApiClient broker;
  private final PlacementStep placement;
  private final MetaPodWriter writer;
  private final VkMetrics metrics;
  private final Clock clock;
  private final UnaryOperator<Duration> toReal;
  private final PodControllerConfig config;

  private final Map<String, Verdict> verdicts = new ConcurrentHashMap<>();

  /** Striped by gang id: one gang's re-placement is decided by one pod at a time. */
  private final Object[] stripes = new Object[64];

  {
    for (int i = 0; i < stripes.length; i++) {
      stripes[i] = new Object();
    }
  }

  private final Map<String, Backoff> backoffs = new ConcurrentHashMap<>();

  GangRecovery(
      PodInformers informers,
      PodQueues queues,
      Map<String, TrackedPod> tracked,
      MemberClusters members,
      BrokerApiClient broker,
      PlacementStep placement,
      MetaPodWriter writer,
      VkMetrics metrics,
      Clock clock,
      UnaryOperator<Duration> toReal,
      PodControllerConfig config) {
    this.informers = informers;
    this.queues = queues;
    this.tracked = tracked;
    this.members = members;
    this.broker = broker;
    this.placement = placement;
    this.writer = writer;
    this.metrics = metrics;
    this.clock = clock;
    this.toReal = toReal;
    this.config = config;
  }

  /**
   * The member could not schedule {@code member}, the member pod of {@code uid} (CREATED), a pod of
   * {@code gang}; under the pod's lock. Holds the gang while the member may still run it whole,
   * then re-places it whole.
   */
  WorkQueue.Result unschedulable(
      String uid, Pod member, TrackedPod t, Gangs.Membership gang, String why) {
    List<GangHold.Member> view = new ArrayList<>();
    for (Pod p : liveMetaPods(gang)) {
      TrackedPod o = tracked.get(p.getMetadata().getUid());
      if (o == null) {
        continue;
      }
      boolean holds = o.state == TrackedPod.State.PLACED || o.state == TrackedPod.State.CREATED;
      boolean created = o.state == TrackedPod.State.CREATED;
      view.add(new GangHold.Member(holds, created, created ? o.createdMs : 0));
    }
    GangHold.Decision d = GangHold.onUnschedulable(view, settle(), clock.millis());
    if (d instanceof GangHold.Decision.Hold h) {
      metrics.sync("gang_held");
      log.debug("gang {} held in {}: {} ({})", gang.id(), t.cluster, why, h.why());
      return WorkQueue.Result.after(toReal.apply(h.recheck()));
    }
    if (!deleteMemberPod(t.cluster, member)) {
      return WorkQueue.Result.retry("deleting unschedulable member pod of gang " + gang.id());
    }
    return replaceWhole(uid, t, gang, why, true, false);
  }

  /**
   * Re-places {@code uid} (under its lock; its member pod, if {@code memberPodExists}, is being
   * deleted) and has every other pod of its gang that holds room give it back: the gang is placed
   * again whole, after its backoff.
   */
  WorkQueue.Result replaceWhole(
      String uid,
      TrackedPod t,
      Gangs.Membership gang,
      String why,
      boolean memberPodExists,
      boolean wholeMember) {
    synchronized (stripes[Math.floorMod(gang.id().hashCode(), stripes.length)]) {
      return replaceWholeOnce(uid, t, gang, why, memberPodExists, wholeMember);
    }
  }

  /**
   * {@link #replaceWhole} under the gang's stripe, so that pods of one gang the member refused at
   * the same time give it back once: a pod another one already marked only gives its own room back.
   */
  private WorkQueue.Result replaceWholeOnce(
      String uid,
      TrackedPod t,
      Gangs.Membership gang,
      String why,
      boolean memberPodExists,
      boolean wholeMember) {
    String cluster = t.cluster;
    Verdict mine = verdicts.get(uid);
    WorkQueue.Result r = placement.replaceElsewhere(uid, t, why, memberPodExists, wholeMember);
    if (t.state == TrackedPod.State.PLACED || t.state == TrackedPod.State.CREATED) {
      return r; // the broker did not answer the release: the caller comes back
    }
    verdicts.remove(uid);
    t.replacedAtMs = clock.millis();
    if (mine instanceof Verdict.Replace) {
      return r; // its gang is given back already
    }
    String because = "its gang " + gang.id() + " is placed again whole: " + why;
    int others = 0;
    for (Pod p : liveMetaPods(gang)) {
      String other = p.getMetadata().getUid();
      TrackedPod o = tracked.get(other);
      if (other.equals(uid) || o == null || o.state == TrackedPod.State.ABANDONED) {
        continue;
      }
      if (o.state == TrackedPod.State.PLACED || o.state == TrackedPod.State.CREATED) {
        verdicts.put(other, new Verdict.Replace(gang.id(), because, wholeMember));
        queues.sync.add(other);
        queues.status.add(other);
        others++;
      }
    }
    long now = clock.millis();
    backoffs.values().removeIf(b -> b.notBeforeMs() + 4 * config.pendingTimeout().toMillis() < now);
    Backoff before = backoffs.get(gang.id());
    int n = before == null ? 1 : before.replacements() + 1;
    Duration wait = GangHold.backoff(n, config.noFitRetry(), config.pendingTimeout().dividedBy(2));
    backoffs.put(gang.id(), new Backoff(n, now + wait.toMillis()));
    metrics.sync("gang_replaced_whole");
    log.info(
        "gang {} re-placed whole ({} time{}, {} other pods give their room back, placed again in"
            + " {}): {} in {}",
        gang.id(),
        n,
        n == 1 ? "" : "s",
        others,
        wait,
        why,
        cluster);
    return r;
  }

  /**
   * Fails the gang whole: every live pod of it but {@code uid} (which the caller fails) fails too,
   * each giving back its room and its member pod.
   */
  void failWhole(Gangs.Membership gang, String uid, String message) {
    for (Pod p : liveMetaPods(gang)) {
      String other = p.getMetadata().getUid();
      TrackedPod o = tracked.get(other);
      if (other.equals(uid) || o != null && o.state == TrackedPod.State.ABANDONED) {
        continue;
      }
      verdicts.put(other, new Verdict.Fail(gang.id(), message));
      queues.sync.add(other);
      queues.status.add(other);
    }
    metrics.sync("gang_failed_whole");
    log.info("gang {} fails whole: {}", gang.id(), message);
  }

  /** This pod's verdict, if its gang gave one. */
  Optional<Verdict> verdict(String uid) {
    return Optional.ofNullable(verdicts.get(uid));
  }

  /** The verdict was carried out. */
  void done(String uid) {
    verdicts.remove(uid);
  }

  /**
   * Whether pods of the gang other than {@code uid} still have to carry out a verdict (give their
   * room back): the gang is not placed again before. Pods gone meanwhile are dropped.
   */
  boolean givingBack(Gangs.Membership gang, String uid) {
    boolean any = false;
    for (Map.Entry<String, Verdict> e : verdicts.entrySet()) {
      if (!e.getValue().gangId().equals(gang.id()) || e.getKey().equals(uid)) {
        continue;
      }
      if (gone(e.getKey())) {
        verdicts.remove(e.getKey(), e.getValue());
      } else {
        any = true;
      }
    }
    return any;
  }

  /** How long the gang still waits before it is placed again after a re-placement. */
  Duration backoffLeft(Gangs.Membership gang) {
    Backoff b = backoffs.get(gang.id());
    if (b == null) {
      return Duration.ZERO;
    }
    long left = b.notBeforeMs() - clock.millis();
    return left > 0 ? Duration.ofMillis(left) : Duration.ZERO;
  }

  /**
   * Carries out the verdict of a pod whose member pod exists (CREATED), in its status sync under
   * its lock; empty when it has none.
   */
  Optional<WorkQueue.Result> onCreated(String uid, Pod pod, TrackedPod t) {
    Verdict v = verdicts.get(uid);
    if (v == null) {
      return Optional.empty();
    }
    Pod member = informers.memberPod(t.cluster, uid);
    if (v instanceof Verdict.Replace r) {
      if (member != null && !deleteMemberPod(t.cluster, member)) {
        return Optional.of(WorkQueue.Result.retry("deleting member pod of a gang re-placed whole"));
      }
      WorkQueue.Result res =
          placement.replaceElsewhere(uid, t, r.why(), member != null, r.wholeMember());
      if (t.state != TrackedPod.State.CREATED) {
        verdicts.remove(uid, v);
        t.replacedAtMs = clock.millis();
      }
      return Optional.of(res);
    }
    Verdict.Fail f = (Verdict.Fail) v;
    if (!t.released) {
      if (broker.releaseOutcome(uid, GangDeadline.REASON)
          == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        metrics.error("broker", "release");
        return Optional.of(WorkQueue.Result.retry("broker unavailable for release"));
      }
      t.released = true;
    }
    if (member != null && member.getMetadata().getDeletionTimestamp() == null) {
      if (!deleteMemberPod(t.cluster, member)) {
        return Optional.of(WorkQueue.Result.retry("deleting member pod of a gang failed whole"));
      }
      t.deleteRequested = true;
    }
    writer.writeStatus(
        pod, s -> StatusMirror.failed(s, GangDeadline.REASON, f.message(), clock.instant()));
    t.state = TrackedPod.State.ABANDONED;
    verdicts.remove(uid, v);
    metrics.sync("gang_timeout");
    log.info("failed with its gang: {}: {}", GangDeadline.REASON, f.message());
    return Optional.of(WorkQueue.Result.DONE);
  }

  /**
   * How long a member may leave a gang it holds whole unscheduled before the gang is re-placed: a
   * tenth of the pending timeout, at least the no-fit retry (a minute of the default ten).
   */
  private Duration settle() {
    Duration tenth = config.pendingTimeout().dividedBy(10);
    return tenth.compareTo(config.noFitRetry()) > 0 ? tenth : config.noFitRetry();
  }

  private boolean deleteMemberPod(String cluster, Pod member) {
    Optional<KubernetesClient> client = members.client(cluster);
    if (client.isEmpty()) {
      return true; // the member is gone: nothing to delete there
    }
    try {
      client
          .get()
          .pods()
          .inNamespace(member.getMetadata().getNamespace())
          .withName(member.getMetadata().getName())
          .withGracePeriod(0)
          .delete();
      return true;
    } catch (KubernetesClientException e) {
      metrics.error(cluster, "delete_pod");
      return false;
    }
  }

  /** The gang's metadata pods that are not deleted or finished. */
  private List<Pod> liveMetaPods(Gangs.Membership gang) {
    List<Pod> out = new ArrayList<>();
    for (Pod p : informers.metaPods()) {
      if (Gangs.of(p).filter(gang::equals).isPresent()) {
        out.add(p);
      }
    }
    return Gangs.live(out);
  }

  private boolean gone(String uid) {
    Pod p = informers.metaPod(uid);
    TrackedPod t = tracked.get(uid);
    return p == null
        || p.getStatus() != null && SyncHandler.isTerminal(p.getStatus().getPhase())
        || t != null && t.state == TrackedPod.State.ABANDONED;
  }
}
