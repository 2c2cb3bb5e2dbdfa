package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.fair.Candidate;
import io.gleaner.meta.fair.FairQueue;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.fair.Wait;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.PodRequests;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fair placement of pods waiting for harvested room (teams of {@code GleanerPolicy.spec.teams}).
 * Once a pod has found no room, pods are no longer placed as their syncs come: every pod that needs
 * room waits here, and one round at a time ({@link FairQueue}) tries them in weighted Dominant
 * Resource Fairness order, asking the broker for each; a placed pod goes back to the sync queue to
 * get its member pod. After each round, a pod held back by its team's cap or waiting for other
 * teams says so in the condition {@value #CONDITION} of its metadata pod. While no pod waits, a pod
 * is placed directly, as it comes.
 *
 * <p>Rounds run on one thread, asked for when a pod starts waiting, when capacity changes and
 * periodically (coalesced: at most one round queued), never by a waiting pod's own retries, so a
 * round's cost does not grow with the square of the pods waiting.
 */
final class FairGate implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FairGate.class);

  /** The condition a waiting metadata pod carries: False while other teams go first or at cap. */
  static final String CONDITION = "gleaner.io/TeamTurn";

  /** The reason of {@value #CONDITION} True: the pod's team is first in line for room. */
  static final String REASON_FIRST = "TeamGoesFirst";

  /** What trying a pod in its turn came to. */
  enum Tried {
    /** Reserved: the sync queue creates its member pod. */
    PLACED,
    /** No member node has room for it now; it keeps waiting (or failed at its deadline). */
    NO_ROOM,
    /** Gone, placed elsewhere, failed or refused: it waits no more. */
    GONE,
    /** The broker does not answer: the round stops. */
    UNAVAILABLE
  }

  /** The calls a round makes into the controller; each takes the pod's lock. */
  interface Controller {
    /** Asks the broker for a member node for the waiting pod. */
    Tried tryPlace(String uid);

    /** Writes {@value #CONDITION} on the metadata pod (False with the wait, or True first). */
    void showWait(String uid, Optional<Wait> wait);

    /** What each team holds now (placed and running pods), by team name. */
    Map<String, Resources> usage(Teams teams);
  }

  private final Map<String, Candidate> waiting = new ConcurrentHashMap<>();

  private final AtomicBoolean roundQueued = new AtomicBoolean();
  private final Executor rounds;
  private volatile Supplier<Teams> teams = () -> EffectivePolicy.DEFAULTS.teams();
  private volatile Supplier<Resources> pool = () -> Resources.ZERO;
  private volatile Supplier<Resources> largestFree = () -> null;
  private volatile Supplier<Resources> freeRoom = () -> null;
  private final java.util.concurrent.atomic.AtomicLong capacityGeneration =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile Controller controller;

  FairGate() {
    this(Executors.newSingleThreadExecutor(WorkQueue.threads("vk-fair-round")));
  }

  /** Rounds run on {@code rounds}, one at a time (tests run them by hand). */
  FairGate(Executor rounds) {
    this.rounds = rounds;
  }

  void controller(Controller c) {
    this.controller = c;
  }

  /** Where the teams come from (the GleanerPolicy, read at every round). */
  void teams(Supplier<Teams> t) {
    this.teams = t;
  }

  /** The harvested pool: what the broker's members offer in all (read at every round). */
  void pool(Supplier<Resources> p) {
    this.pool = p;
  }

  /**
   * The most CPU one member node has free now (the broker's largest placeable shape; null when not
   * known): a pod asking for more is passed in a round without asking the broker.
   */
  void largestFree(Supplier<Resources> l) {
    this.largestFree = l;
  }

  /**
   * The room free for new pods in all (the broker's members' free capacity; null when not known),
   * which tells a capacity change that adds room from one that only takes it.
   */
  void freeRoom(Supplier<Resources> f) {
    this.freeRoom = f;
  }

  /**
   * Whether a pod waits its turn rather than being placed at once: while pods wait for room, and
   * always when a team has a cap (a round checks it against what the team holds).
   */
  boolean contended() {
    if (!waiting.isEmpty()) {
      return true;
    }
    for (Team t : teams.get().all()) {
      if (!t.cap().isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code uid} waits here. */
  boolean isWaiting(String uid) {
    return waiting.containsKey(uid);
  }

  /** The pod waits for room (again); true when it was not waiting yet. */
  boolean waitFor(Pod pod, boolean nearLine) {
    String uid = pod.getMetadata().getUid();
    if (waiting.containsKey(uid)) {
      return false; // no need to work out its requests again
    }
    return waiting.putIfAbsent(uid, candidate(pod, nearLine)) == null;
  }

  /**
   * A whole gang waits for room as one candidate ({@link GangStep#candidate}); a candidate already
   * waiting under its id is replaced (its gang may have grown). True when it was not waiting yet.
   */
  boolean waitFor(Candidate gang) {
    return waiting.put(gang.id(), gang) == null;
  }

  /** The pod waits no more (placed, failed, gone). */
  void done(String uid) {
    waiting.remove(uid);
  }

  static Candidate candidate(Pod pod, boolean nearLine) {
    Instant since;
    try {
      since = Instant.parse(pod.getMetadata().getCreationTimestamp());
    } catch (RuntimeException e) {
      since = Instant.EPOCH;
    }
    return new Candidate(
        pod.getMetadata().getUid(),
        pod.getMetadata().getNamespace(),
        PodRequests.effective(pod.getSpec()),
        nearLine
            || GleanerKeys.CLASS_NEAR_LINE.equals(
                pod.getMetadata().getLabels() == null
                    ? null
                    : pod.getMetadata().getLabels().get(GleanerKeys.CLASS)),
        since);
  }

  /**
   * Capacity changed: a new round ranks every waiting pod again. A round under way stops before its
   * next pod only when the change added room (the free room grew since the round last looked;
   * without a measure of free room, at every change), since room that appears mid-round would go to
   * whoever comes later in it. A change that only takes room, as every reservation the round makes
   * does, lets it go on: stopping at those would starve every pod ranked after the first few
   * whenever a round takes longer than the capacity stream's interval (200 ms), each round starting
   * over with the same first pods.
   */
  void capacityChanged() {
    capacityGeneration.incrementAndGet();
    requestRound();
  }

  /** Queues a round unless one is queued already. */
  void requestRound() {
    if (roundQueued.compareAndSet(false, true)) {
      try {
        rounds.execute(this::safeRound);
      } catch (RejectedExecutionException e) {
        roundQueued.set(false);
      }
    }
  }

  private void safeRound() {
    roundQueued.set(false);
    try {
      round();
    } catch (RuntimeException e) {
      log.warn("fair placement round failed: {}", e.toString());
    }
  }

  /** One round: every waiting pod tried in fair order; then each says why it still waits. */
  void round() {
    Controller c = controller;
    if (c == null || waiting.isEmpty()) {
      return;
    }
    Teams t = teams.get();
    log.debug("fair round over {} waiting pods", waiting.size());
    FairQueue q = new FairQueue(pool.get(), t, c.usage(t), new HashMap<>(waiting).values());
    Resources largest = largestFree.get();
    long generation = capacityGeneration.get();
    Resources room = freeRoom.get();
    int placed = 0;
    for (Optional<Candidate> next = q.next(); next.isPresent(); next = q.next()) {
      Candidate cand = next.get();
      if (capacityGeneration.get() != generation) {
        generation = capacityGeneration.get();
        Resources now = freeRoom.get();
        if (room == null || now == null || now.cpuMillis() > room.cpuMillis()) {
          log.debug("room added: fair round stops after {} placed", placed);
          return;
        }
        room = now;
      }
      if (!GangStep.isGateKey(cand.id())
          && largest != null
          && cand.request().cpuMillis() > largest.cpuMillis()) {
        q.passed(cand); // no member node has that much CPU free: no need to ask
        continue;
      }
      Tried tried = c.tryPlace(cand.id());
      log.debug("fair round: {} ({}) {}", cand.id(), cand.namespace(), tried);
      switch (tried) {
        case PLACED -> {
          done(cand.id());
          q.placed(cand);
          placed++;
        }
        case NO_ROOM -> q.passed(cand);
        case GONE -> {
          done(cand.id());
          q.passed(cand);
        }
        case UNAVAILABLE -> {
          log.debug("broker unavailable: fair round stops after {} placed", placed);
          return;
        }
      }
    }
    // every round writes every waiting pod's condition (a write that changes nothing is skipped by
    // the controller): a write that failed, or that another write undid, is made good next round
    Map<String, Wait> waits = q.waits();
    for (String uid : waiting.keySet()) {
      try {
        c.showWait(uid, Optional.ofNullable(waits.get(uid)));
      } catch (RuntimeException e) {
        log.warn("could not write why pod {} waits: {}", uid, e.toString());
      }
    }
    if (placed > 0) {
      log.debug("fair round placed {} pods, {} wait", placed, waiting.size());
    }
  }

  @Override
  public void close() {
    if (rounds instanceof ExecutorService e) {
      e.shutdownNow();
    }
  }
}
