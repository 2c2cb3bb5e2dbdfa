package io.gleaner.descheduler.execute;

import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimVictim;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.descheduler.plan.NodeReclaim;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.PodClass;
import io.gleaner.descheduler.plan.Pool;
import io.gleaner.descheduler.plan.Victim;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out a plan in one member cluster. Per reclaimed node: withdraws its offer at the broker
 * (so nothing new lands there while its victims go) and evicts the victims (all at once,
 * rate-limited per cluster: they wait for their permits in the cluster's {@link EvictionQueue}, not
 * on the caller's thread), then returns the node; then records Events on the online pods and the
 * node, tells the broker what happened and publishes the ReclaimEvent. A reclaim whose reason keeps
 * the node ({@link io.gleaner.descheduler.plan.Reason#returnsNode()}: room for a team's guarantee)
 * only evicts and publishes the event. Only the evictions are on the latency path; everything else
 * runs on {@code background} and never delays a reclaim.
 *
 * <p>Safe to repeat: evicting a pod that is gone, or returning a node already returned, is a no-op.
 */
public final class Reclaimer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Reclaimer.class);

  /** Settings of the executor. */
  public record Settings(boolean dryRun, Duration cooldown) {
    public Settings {
      Objects.requireNonNull(cooldown, "cooldown");
      if (cooldown.isNegative()) {
        throw new IllegalArgumentException("cooldown must be >= 0, got " + cooldown);
      }
    }
  }

  private final String cluster;
  private final MemberActions actions;
  private final BrokerNotifier broker;
  private final EvictionLimiter limiter;
  private final EvictionQueue queue;
  private final Clock clock;
  private volatile Settings settings;
  private final Executor io;
  private final Executor background;
  private final Consumer<ReclaimEvent> publish;
  private final BooleanSupplier mayAct;

  /**
   * @param io runs the evictions (the latency path)
   * @param background runs everything else: node return, Withdraw, Events, publishing
   * @param permits runs the cluster's eviction worker ({@link EvictionQueue}) in short runs: a
   *     small fixed pool shared by every cluster, as waiting for a permit holds no thread
   * @param mayAct whether this replica may act now ({@code election::isLeader}), checked right
   *     before each eviction is sent
   */
  public Reclaimer(
      String cluster,
      MemberActions actions,
      BrokerNotifier broker,
      EvictionLimiter limiter,
      Clock clock,
      Settings settings,
      Executor io,
      Executor background,
      ScheduledExecutorService permits,
      BooleanSupplier mayAct,
      Consumer<ReclaimEvent> publish) {
    this.background = Objects.requireNonNull(background, "background");
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.actions = Objects.requireNonNull(actions, "actions");
    this.broker = Objects.requireNonNull(broker, "broker");
    this.limiter = Objects.requireNonNull(limiter, "limiter");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.io = Objects.requireNonNull(io, "io");
    this.publish = Objects.requireNonNull(publish, "publish");
    this.mayAct = Objects.requireNonNull(mayAct, "mayAct");
    this.queue = new EvictionQueue(cluster, limiter, EvictionQueue.CAPACITY, permits, mayAct);
  }

  /** Sends no more evictions: those still waiting for a permit count as rate-limited. */
  @Override
  public void close() {
    queue.close();
  }

  /** The cool-down (a GleanerPolicy change) for nodes reclaimed from now on. */
  public void cooldown(Duration cooldown) {
    settings = new Settings(settings.dryRun(), cooldown);
  }

  /** The member cluster this reclaimer acts in. */
  public String cluster() {
    return cluster;
  }

  /** The eviction limits of this cluster. */
  public EvictionLimiter limiter() {
    return limiter;
  }

  /**
   * Executes every node reclaim of {@code plan}; returns once all evictions are answered. A node
   * whose every eviction was refused publishes nothing (the caller re-plans); a node where any
   * eviction was refused, now or in an earlier pass ({@link NodeReclaim#refusedPods()}), stays
   * lent.
   */
  public List<NodeResult> execute(Plan plan, Instant decidedAt) {
    return executeAsync(plan, decidedAt).join();
  }

  /**
   * As {@link #execute}, without waiting: every eviction of every node is queued at once for the
   * cluster's rate limiter and sent on {@code io} as permits come; the future completes when all
   * are answered.
   */
  public CompletableFuture<List<NodeResult>> executeAsync(Plan plan, Instant decidedAt) {
    List<CompletableFuture<NodeResult>> futures = new ArrayList<>();
    for (NodeReclaim r : plan.reclaims()) {
      futures.add(reclaim(r, decidedAt));
    }
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .thenApply(x -> futures.stream().map(CompletableFuture::join).toList());
  }

  private CompletableFuture<NodeResult> reclaim(NodeReclaim r, Instant decidedAt) {
    Settings settings = this.settings;
    Instant reclaimedAt = clock.instant();
    Instant cooldownUntil = reclaimedAt.plus(settings.cooldown());
    if (!settings.dryRun() && r.reason().returnsNode()) {
      // The broker places nothing more on the node from now on, while its victims are evicted:
      // each eviction's room is released in the ledger as soon as the virtual-kubelet sees the pod
      // go, and a node still offered then takes new Gleaner pods into it, which the online pod's
      // room must be reclaimed from again (one more round each, and evictions wait for their
      // permits). Off the latency path: the evictions do not wait for the broker. Like each
      // eviction, sent only while this replica may act.
      background.execute(
          () -> {
            if (mayAct.getAsBoolean()) {
              broker.withdraw(cluster, r.node(), r.reason().wire(), cooldownUntil, null);
            }
          });
    }
    List<CompletableFuture<EvictionResult>> evictions = new ArrayList<>();
    java.util.Optional<ReclaimNote> note =
        settings.dryRun() ? java.util.Optional.empty() : ReclaimNote.of(r);
    for (Victim v : r.victims()) {
      evictions.add(note.isEmpty() ? evictAsync(v) : noted(v, note.get()));
    }
    CompletableFuture<Void> evicted =
        CompletableFuture.allOf(evictions.toArray(CompletableFuture[]::new));
    // The node is handed back once the evictions are answered: they are the latency path, and the
    // member API server answers them first; nothing new lands on the node meanwhile (its offer was
    // withdrawn above). A node where an eviction was refused (a PDB, throttling, an error) is not
    // handed back: Gleaner pods still run there, and the next plan takes it up again. Nor is one
    // where an eviction was refused in an earlier pass while that pod still runs there.
    CompletableFuture<Void> handBack =
        settings.dryRun() || !r.reason().returnsNode()
            ? CompletableFuture.completedFuture(null)
            : evicted.handleAsync(
                (x, err) -> {
                  if (evictions.stream()
                      .anyMatch(e -> e.getNow(null) == EvictionResult.NOT_LEADER)) {
                    // this replica may no longer act: nothing more from it; the leader plans again
                    return null;
                  }
                  List<String> refused = new ArrayList<>();
                  r.refusedPods().forEach(pod -> refused.add(pod + " refused earlier"));
                  for (int i = 0; i < r.victims().size(); i++) {
                    EvictionResult res = evictions.get(i).getNow(EvictionResult.FAILED);
                    if (!res.frees()) {
                      refused.add(r.victims().get(i).pod().key() + " " + res.tag());
                    }
                  }
                  if (refused.isEmpty() && r.handBack()) {
                    actions.returnNode(r.node(), reclaimedAt, cooldownUntil);
                  } else if (refused.isEmpty()) {
                    log.info(
                        "node {} of cluster {} is lent by another installation: not handed back",
                        r.node(),
                        cluster);
                  } else {
                    log.info(
                        "node {} of cluster {} stays lent: evictions refused ({})",
                        r.node(),
                        cluster,
                        String.join(", ", refused));
                  }
                  return null;
                },
                background);
    return evicted.thenApply(
        x -> {
          Map<Victim, EvictionResult> results = new LinkedHashMap<>();
          for (int i = 0; i < r.victims().size(); i++) {
            results.put(r.victims().get(i), evictions.get(i).join());
          }
          Instant evictedAt = clock.instant();
          ReclaimEvent event = event(r, results, decidedAt, evictedAt);
          boolean freedAny =
              results.values().stream()
                  .anyMatch(res -> res.frees() || res == EvictionResult.DRY_RUN);
          boolean deposed = results.containsValue(EvictionResult.NOT_LEADER);
          handBack.whenCompleteAsync(
              (ok, err) -> {
                if (err != null) {
                  log.warn(
                      "returning node {} of cluster {} failed: {}",
                      r.node(),
                      cluster,
                      err.toString());
                }
                if (freedAny) {
                  followUp(r, event, deposed);
                }
              },
              background);
          return new NodeResult(r, results, event);
        });
  }

  /**
   * Marks the pod with {@code note}, then evicts it: the eviction the virtual-kubelet sees already
   * says why. A note that cannot be written does not hold the eviction back.
   */
  private CompletableFuture<EvictionResult> noted(Victim v, ReclaimNote note) {
    CompletableFuture<Void> written;
    try {
      written = actions.noteAsync(v, note.reason(), note.message(), io);
    } catch (RuntimeException e) {
      written = CompletableFuture.failedFuture(e);
    }
    return written
        .handle(
            (x, err) -> {
              if (err != null) {
                log.warn(
                    "could not note on {} in cluster {} why it is evicted: {}",
                    v.pod().key(),
                    cluster,
                    err.toString());
              }
              return null;
            })
        .thenCompose(x -> evictAsync(v));
  }

  private CompletableFuture<EvictionResult> evictAsync(Victim v) {
    if (settings.dryRun()) {
      return CompletableFuture.completedFuture(EvictionResult.DRY_RUN);
    }
    return queue.submit(v, () -> actions.evictAsync(v, io));
  }

  /**
   * Publishes what was evicted; then, unless this replica stopped acting before all of the node's
   * evictions were sent ({@code deposed}), withdraws the node at the broker and records Events.
   */
  private void followUp(NodeReclaim r, ReclaimEvent event, boolean deposed) {
    try {
      publish.accept(event);
    } catch (RuntimeException e) {
      log.warn("publishing reclaim event {} failed: {}", event.getId(), e.toString());
    }
    if (settings.dryRun() || !r.reason().returnsNode() || deposed) {
      // room for other Gleaner pods: the node stays lent and offered; the event went to the hooks
      return;
    }
    try {
      broker.withdraw(
          cluster,
          r.node(),
          r.reason().wire(),
          Instant.ofEpochMilli(event.getEvictedAtMs()).plus(settings.cooldown()),
          event);
      String message = message(event);
      actions.nodeEvent(r.node(), message);
      for (String pod : r.forPods()) {
        if (pod.contains("/") && !pod.startsWith("node/") && !pod.startsWith("podgroup/")) {
          actions.podEvent(pod, message);
        }
      }
    } catch (RuntimeException e) {
      log.warn("follow-up of reclaim {} failed: {}", event.getId(), e.toString());
    }
  }

  /** "Gleaner reclaimed node X for pod Y: evicted ns/a, ns/b" (plus what was refused). */
  static String message(ReclaimEvent e) {
    String evicted =
        e.getVictimsList().stream()
            .map(v -> v.getNamespace() + "/" + v.getName())
            .collect(Collectors.joining(", "));
    String forWhat =
        e.getOnlinePodsCount() == 1
            ? "pod " + e.getOnlinePods(0)
            : "pods " + String.join(", ", e.getOnlinePodsList());
    return "Gleaner reclaimed node "
        + e.getNode()
        + " for "
        + forWhat
        + ": evicted "
        + (evicted.isEmpty() ? "nothing" : evicted)
        + (e.getMessage().isEmpty() ? "" : " (" + e.getMessage() + ")");
  }

  private ReclaimEvent event(
      NodeReclaim r, Map<Victim, EvictionResult> results, Instant decidedAt, Instant evictedAt) {
    ReclaimEvent.Builder b =
        ReclaimEvent.newBuilder()
            .setId(UUID.randomUUID().toString())
            .setCluster(cluster)
            .setNode(r.node())
            .setSource(r.pool().source())
            .setReason(r.reason().wire())
            .addAllOnlinePods(r.forPods())
            .setTriggeredAtMs(
                r.triggeredAt() == null ? decidedAt.toEpochMilli() : r.triggeredAt().toEpochMilli())
            .setDecidedAtMs(decidedAt.toEpochMilli())
            .setEvictedAtMs(evictedAt.toEpochMilli())
            .setDryRun(settings.dryRun());
    List<String> refused = new ArrayList<>();
    results.forEach(
        (v, res) -> {
          if (res.frees() || res == EvictionResult.DRY_RUN) {
            b.addVictims(
                ReclaimVictim.newBuilder()
                    .setNamespace(v.pod().namespace())
                    .setName(v.pod().name())
                    .setUid(v.pod().uid())
                    .setMetaPodUid(v.pod().metaUid())
                    .setWorkloadClass(
                        v.pod().podClass() == PodClass.NEAR_LINE
                            ? WorkloadClass.NEAR_LINE
                            : WorkloadClass.OFFLINE)
                    .setSource(
                        (v.pod().source() == Pool.UNKNOWN ? r.pool() : v.pod().source()).source())
                    .setGracePeriodSeconds(v.pod().gracePeriodSeconds()));
          } else {
            refused.add(v.pod().key() + " " + res.tag());
          }
        });
    if (!refused.isEmpty()) {
      b.setMessage("refused: " + String.join(", ", refused));
    }
    return b.build();
  }
}
