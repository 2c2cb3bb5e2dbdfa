package io.gleaner.vk.admission;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSchedulingGate;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.fair.Candidate;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.informer.Informers;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.resources.Resources;
import io.gleaner.vk.translate.StatusMirror;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Fair admission in front of the binding: the virtual-kubelet's leader removes the scheduling gate
 * {@value GleanerKeys#FAIR_SHARE_GATE} from metadata pods meant for the virtual node in weighted
 * DRF order ({@link AdmissionRound}) while their requests fit in the room the virtual node has left
 * (its allocatable minus the requests of the pods bound to it and of those admitted but not yet
 * bound), so the metadata cluster's scheduler binds them in that order instead of priority then
 * FIFO. A pod that waits says why in the condition {@value GleanerKeys#CONDITION_FAIR_SHARE}
 * (written when its reason changes, not every round, and only once a pod is held in two rounds in a
 * row); an admitted pod carries {@value GleanerKeys#ADMITTED_AT}. A round's writes go out in
 * parallel ({@value #WRITERS} at a time). Pods without the gate are not touched.
 *
 * <p>Watches the metadata pods bound to no node (one informer); the pods bound to the virtual node
 * come from the pod controller's cache. Rounds run on one thread, asked for by every change of an
 * unbound pod, every capacity change and periodically (coalesced). Runs only while this replica
 * leads: the owner starts it when it starts acting and closes it when it stops; a round is skipped
 * while the lease is not valid, and the metadata client's writes are fenced anyway.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #close()}.
 */
public final class FairAdmission implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FairAdmission.class);

  /** The reason of {@value GleanerKeys#CONDITION_FAIR_SHARE} True. */
  public static final String ADMITTED = "Admitted";

  private final KubernetesClient meta;
  private final Clock clock;
  private final AdmissionMetrics metrics;
  private final Supplier<Collection<BoundPod>> bound;
  private final Supplier<Resources> allocatable;
  private final Supplier<Resources> pool;
  private final Supplier<Teams> teams;
  private final BooleanSupplier mayAct;
  private final Duration resync;
  private final KubeTaint taint;
  private final ScheduledExecutorService rounds =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "vk-fair-admission");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean roundQueued = new AtomicBoolean();

  /**
   * A round's writes go out in parallel on these threads and the round waits for them all: one at a
   * time, a round with a hundred pods to admit would take a hundred round trips.
   */
  private final ExecutorService writers =
      Executors.newFixedThreadPool(
          WRITERS,
          r -> {
            Thread t = new Thread(r, "vk-fair-admission-write");
            t.setDaemon(true);
            return t;
          });

  /** How many writes a round has in flight at most. */
  static final int WRITERS = 8;

  /** The pods held in the last round: a pod says why it waits once it is held twice in a row. */
  private volatile Set<String> heldLastRound = Set.of();

  /** Pods this replica ungated whose cached copy may still show the gate: UID → gone. */
  private final Set<String> justAdmitted = ConcurrentHashMap.newKeySet();

  /** The reason last written on each waiting pod, so that an unchanged one is not rewritten. */
  private final Map<String, String> shown = new ConcurrentHashMap<>();

  private volatile SharedIndexInformer<Pod> unbound;
  private volatile boolean closed;

  /**
   * @param meta the metadata cluster's client (fenced by the leader's lease)
   * @param taint the virtual node's taint: gated pods that tolerate it are ranked
   * @param bound the metadata pods bound to the virtual node that are not finished, summarized (the
   *     pod controller's informer)
   * @param allocatable what the virtual node advertises; null while unknown (nothing is admitted)
   * @param pool the harvested pool shares are of (zero: the allocatable)
   * @param teams the policy's teams, read at every round
   * @param mayAct whether this replica may act now (its lease is valid)
   * @param resync how often a round runs without a change (real time)
   */
  public FairAdmission(
      KubernetesClient meta,
      KubeTaint taint,
      Clock clock,
      AdmissionMetrics metrics,
      Supplier<Collection<BoundPod>> bound,
      Supplier<Resources> allocatable,
      Supplier<Resources> pool,
      Supplier<Teams> teams,
      BooleanSupplier mayAct,
      Duration resync) {
    this.meta = Objects.requireNonNull(meta, "meta");
    this.taint = Objects.requireNonNull(taint, "taint");
    this.clock = clock;
    this.metrics = metrics;
    this.bound = bound;
    this.allocatable = allocatable;
    this.pool = pool;
    this.teams = teams;
    this.mayAct = mayAct;
    this.resync = resync;
  }

  /** Starts watching the unbound metadata pods and running rounds. */
  public void start() {
    SharedIndexInformer<Pod> inf =
        Informers.keepRetrying(
            meta.pods().inAnyNamespace().withField("spec.nodeName", "").runnableInformer(0),
            log,
            "unbound pods");
    inf.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod pod) {
            requestRound();
          }

          @Override
          public void onUpdate(Pod old, Pod pod) {
            if (AdmissionView.hasGate(old) != AdmissionView.hasGate(pod)
                || AdmissionView.hasGate(pod)) {
              requestRound();
            }
          }

          @Override
          public void onDelete(Pod pod, boolean unknownFinalState) {
            justAdmitted.remove(pod.getMetadata().getUid());
            shown.remove(pod.getMetadata().getUid());
            requestRound();
          }
        });
    unbound = inf;
    // a round asked for before the cache is filled does nothing, and the cache's first adds may
    // reach the handlers just before it counts as filled: one more round once it is
    inf.start().thenRun(this::requestRound);
    long ms = Math.max(50, resync.toMillis());
    rounds.scheduleWithFixedDelay(this::requestRound, ms, ms, TimeUnit.MILLISECONDS);
    log.info(
        "fair admission: admitting pods gated by {} in fair order", GleanerKeys.FAIR_SHARE_GATE);
  }

  /** Asks for a round soon (coalesced: at most one queued). */
  public void requestRound() {
    if (!closed && roundQueued.compareAndSet(false, true)) {
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
      log.warn("fair admission round failed: {}", e.toString());
    }
  }

  /** One round: release what is not ours to rank, admit in fair order, say why the rest waits. */
  synchronized void round() {
    SharedIndexInformer<Pod> inf = unbound;
    if (closed || inf == null || !inf.hasSynced() || !mayAct.getAsBoolean()) {
      return;
    }
    metrics.round();
    List<Pod> pods = inf.getStore().list();
    Map<String, Pod> byUid = new HashMap<>();
    for (Pod p : pods) {
      byUid.put(p.getMetadata().getUid(), p);
    }
    // a pod this replica admitted whose cached copy has lost its gate needs no guarding any more
    justAdmitted.removeIf(
        uid -> {
          Pod p = byUid.get(uid);
          return p == null || !AdmissionView.hasGate(p);
        });
    Teams t = teams.get();
    if (!anyGated(pods)) {
      // nothing to rank or release: what the bound pods take is not needed
      Map<String, Integer> none = new HashMap<>();
      t.all().forEach(team -> none.put(team.name(), 0));
      heldLastRound = Set.of();
      metrics.gated(none);
      return;
    }
    AdmissionView view = AdmissionView.of(pods, bound.get(), t, taint, Set.copyOf(justAdmitted));
    List<Callable<Void>> writes = new ArrayList<>();
    view.release().forEach((uid, why) -> writes.add(write(() -> ungate(byUid.get(uid), t, why))));
    Resources alloc = allocatable.get();
    Map<String, Integer> gatedByTeam = new HashMap<>();
    for (io.gleaner.meta.fair.Team team : t.all()) {
      gatedByTeam.put(team.name(), 0);
    }
    if (alloc == null) {
      for (Candidate c : view.gated()) {
        gatedByTeam.merge(t.of(c.namespace()).name(), 1, Integer::sum);
      }
      metrics.gated(gatedByTeam);
      writeAll(writes);
      return;
    }
    Resources room = alloc.minus(view.taken()).clampAtZero();
    Resources sharesOf = pool.get();
    if (sharesOf == null || sharesOf.isZero()) {
      sharesOf = alloc;
    }
    AdmissionRound.Decision d =
        AdmissionRound.decide(room, sharesOf, t, view.usage(), view.gated());
    for (Candidate c : d.admitted()) {
      writes.add(write(() -> ungate(byUid.get(c.id()), t, AdmissionMetrics.TURN)));
    }
    Set<String> before = heldLastRound;
    d.held()
        .forEach(
            (uid, hold) -> {
              Pod p = byUid.get(uid);
              gatedByTeam.merge(t.of(p.getMetadata().getNamespace()).name(), 1, Integer::sum);
              // a pod admitted by the next round never hears that it waited
              if (before.contains(uid)) {
                writes.add(write(() -> show(p, "False", hold.reason(), hold.message())));
              }
            });
    heldLastRound = Set.copyOf(d.held().keySet());
    writeAll(writes);
    metrics.gated(gatedByTeam);
    if (!d.admitted().isEmpty()) {
      log.debug(
          "fair admission: {} admitted, {} wait, room left {}",
          d.admitted().size(),
          d.held().size(),
          d.roomLeft());
    }
  }

  /** Whether any pod still carries the gate and was not just admitted by this replica. */
  private boolean anyGated(List<Pod> pods) {
    for (Pod p : pods) {
      if (AdmissionView.hasGate(p) && !justAdmitted.contains(p.getMetadata().getUid())) {
        return true;
      }
    }
    return false;
  }

  private static Callable<Void> write(Runnable r) {
    return () -> {
      r.run();
      return null;
    };
  }

  /** Runs a round's writes in parallel and waits for them all. */
  private void writeAll(List<Callable<Void>> writes) {
    if (writes.isEmpty()) {
      return;
    }
    try {
      for (Future<Void> f : writers.invokeAll(writes)) {
        try {
          f.get();
        } catch (ExecutionException e) {
          log.warn("fair admission write failed: {}", e.getCause().toString());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Removes the gate (compare-and-set on the cached resourceVersion: a pod changed meanwhile is
   * tried again next round). A pod for the virtual node is marked {@value GleanerKeys#ADMITTED_AT}
   * so the room it takes until bound is counted by every replica; one whose condition says it waits
   * is told first that it is admitted (its status written before its gate goes, so no scheduler
   * write can be overwritten by a stale status).
   */
  private void ungate(Pod pod, Teams t, String why) {
    if (pod == null) {
      return;
    }
    String uid = pod.getMetadata().getUid();
    String team = t.of(pod.getMetadata().getNamespace()).name();
    MDC.put("namespace", pod.getMetadata().getNamespace());
    MDC.put("pod", pod.getMetadata().getName());
    try {
      Pod current = pod;
      if (!AdmissionView.NOT_FOR_VIRTUAL_NODE.equals(why)) {
        PodCondition c = condition(pod);
        if (c != null && "False".equals(c.getStatus())) {
          Pod written =
              show(
                  pod,
                  "True",
                  ADMITTED,
                  AdmissionMetrics.TURN.equals(why)
                      ? "admitted to the virtual node in team " + team + "'s turn"
                      : "admitted to the virtual node without a turn (" + why + ")");
          if (written == null) {
            return; // changed meanwhile: next round
          }
          current = written;
        }
      }
      ObjectNode patch = Serialization.jsonMapper().createObjectNode();
      ObjectNode metadata = patch.putObject("metadata");
      metadata.put("resourceVersion", current.getMetadata().getResourceVersion());
      if (!AdmissionView.NOT_FOR_VIRTUAL_NODE.equals(why)) {
        metadata
            .putObject("annotations")
            .put(GleanerKeys.ADMITTED_AT, StatusMirror.time(clock.instant()));
      }
      List<PodSchedulingGate> rest =
          current.getSpec().getSchedulingGates().stream()
              .filter(g -> !GleanerKeys.FAIR_SHARE_GATE.equals(g.getName()))
              .toList();
      if (rest.isEmpty()) {
        patch.putObject("spec").putNull("schedulingGates");
      } else {
        patch
            .putObject("spec")
            .set("schedulingGates", Serialization.jsonMapper().valueToTree(rest));
      }
      meta.pods()
          .inNamespace(current.getMetadata().getNamespace())
          .withName(current.getMetadata().getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
      justAdmitted.add(uid);
      shown.remove(uid);
      metrics.ungated(team, why);
      if (AdmissionMetrics.TURN.equals(why)) {
        log.debug("admitted in team {}'s turn", team);
      } else {
        log.info("gate {} removed without a turn: {}", GleanerKeys.FAIR_SHARE_GATE, why);
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT
          && e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
        metrics.writeError("ungate");
        log.warn("could not remove the fair-share gate: {}", e.getMessage());
      }
    } finally {
      MDC.remove("namespace");
      MDC.remove("pod");
    }
  }

  /**
   * Writes {@value GleanerKeys#CONDITION_FAIR_SHARE} when its status or reason changes (a strategic
   * merge of the one condition, so no other condition is touched). Returns the pod as written, or
   * null when nothing was written.
   */
  private Pod show(Pod pod, String status, String reason, String message) {
    String uid = pod.getMetadata().getUid();
    PodCondition c = condition(pod);
    String key = status + "/" + reason;
    if ((c != null && status.equals(c.getStatus()) && reason.equals(c.getReason()))
        || key.equals(shown.get(uid))) {
      return null;
    }
    ObjectNode cond = Serialization.jsonMapper().createObjectNode();
    cond.put("type", GleanerKeys.CONDITION_FAIR_SHARE);
    cond.put("status", status);
    cond.put("reason", reason);
    cond.put("message", message);
    cond.put(
        "lastTransitionTime",
        c != null && status.equals(c.getStatus()) && c.getLastTransitionTime() != null
            ? c.getLastTransitionTime()
            : StatusMirror.time(clock.instant()));
    ObjectNode patch = Serialization.jsonMapper().createObjectNode();
    ArrayNode conditions = patch.putObject("status").putArray("conditions");
    conditions.add(cond);
    MDC.put("namespace", pod.getMetadata().getNamespace());
    MDC.put("pod", pod.getMetadata().getName());
    try {
      Pod written =
          meta.pods()
              .inNamespace(pod.getMetadata().getNamespace())
              .withName(pod.getMetadata().getName())
              .subresource("status")
              .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch.toString());
      shown.put(uid, key);
      metrics.conditionWritten();
      return written;
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
        metrics.writeError("status");
        log.warn(
            "could not write the {} condition: {}",
            GleanerKeys.CONDITION_FAIR_SHARE,
            e.getMessage());
      }
      return null;
    } finally {
      MDC.remove("namespace");
      MDC.remove("pod");
    }
  }

  private static PodCondition condition(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return null;
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if (GleanerKeys.CONDITION_FAIR_SHARE.equals(c.getType())) {
        return c;
      }
    }
    return null;
  }

  @Override
  public void close() {
    closed = true;
    rounds.shutdownNow();
    writers.shutdownNow();
    SharedIndexInformer<Pod> inf = unbound;
    if (inf != null) {
      inf.close();
    }
  }
}
