package io.gleaner.descheduler;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.descheduler.execute.EvictionResult;
import io.gleaner.descheduler.execute.NodeResult;
import io.gleaner.descheduler.execute.Reclaimer;
import io.gleaner.descheduler.plan.NodePod;
import io.gleaner.descheduler.plan.Outcome;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.PlanInput;
import io.gleaner.descheduler.plan.Planner;
import io.gleaner.descheduler.plan.PodOutcome;
import io.gleaner.descheduler.plan.ReclaimFairness;
import io.gleaner.descheduler.plan.Victim;
import io.gleaner.descheduler.trigger.BurstWindow;
import io.gleaner.descheduler.trigger.ColocationPressure;
import io.gleaner.descheduler.trigger.FailedSchedulingHint;
import io.gleaner.descheduler.trigger.MemberWatch;
import io.gleaner.descheduler.trigger.Observation;
import io.gleaner.descheduler.trigger.PodGroupView;
import io.gleaner.descheduler.trigger.PodViews;
import io.gleaner.descheduler.trigger.Snapshot;
import io.gleaner.meta.kube.SkippedPods;
import io.gleaner.meta.resources.Resources;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The reclaim loop of one member cluster: watcher callbacks record observations and signal the
 * burst window; when it closes, one plan covers everything pending in the cluster and the {@link
 * Reclaimer} carries it out.
 *
 * <p>Restart safety: nothing is persisted. A plan is always derived from the cluster as it is (see
 * {@link Snapshot}): pods already terminating count as leaving, nodes returned but still hosting
 * victims stay candidates, so a restart in the middle of a reclaim re-plans and finishes it, and
 * repeating an eviction of a gone pod is a no-op.
 */
final class ClusterLoop implements MemberWatch.Listener {
  private static final Logger log = LoggerFactory.getLogger(ClusterLoop.class);

  private final String cluster;
  private final DeschedulerSettings settings;
  private final Clock clock;
  private final UnaryOperator<Duration> toReal;
  private final Planner planner;
  private final Reclaimer reclaimer;
  private final DeschedulerMetrics metrics;
  private final BooleanSupplier leading;
  private final Consumer<Plan> planListener;
  private final java.util.function.Supplier<ReclaimFairness> fairness;
  private final BurstWindow window;
  private final Map<String, Observation> observations = new ConcurrentHashMap<>();
  private final Map<String, Instant> evicted = new ConcurrentHashMap<>();
  private final Map<String, Instant> blocked = new ConcurrentHashMap<>();
  private final Object deciding = new Object();
  private static final Duration RESERVATION_SLACK = Duration.ofSeconds(15);
  private static final Duration RESERVATION_RECHECK = Duration.ofSeconds(3);

  /**
   * Room being freed for an online pod (by key) on a node, held until the pod binds or {@code
   * until} passes.
   */
  private final Map<String, Reservation> reservations = new ConcurrentHashMap<>();

  private record Reservation(String node, Resources requests, Instant until) {}

  private final io.gleaner.descheduler.trigger.RequestsCache requests =
      new io.gleaner.descheduler.trigger.RequestsCache();

  /** Where pods whose requests cannot be counted are counted and logged. */
  private final SkippedPods skipped;

  private volatile MemberWatch watch;

  ClusterLoop(
      String cluster,
      DeschedulerSettings settings,
      Clock clock,
      UnaryOperator<Duration> toReal,
      Planner planner,
      Reclaimer reclaimer,
      DeschedulerMetrics metrics,
      BooleanSupplier leading,
      ScheduledExecutorService timers,
      Consumer<Plan> planListener,
      java.util.function.Supplier<ReclaimFairness> fairness) {
    this.fairness = fairness;
    this.cluster = cluster;
    this.settings = settings;
    this.clock = clock;
    this.toReal = toReal;
    this.planner = planner;
    this.reclaimer = reclaimer;
    this.metrics = metrics;
    this.leading = leading;
    this.planListener = planListener;
    this.skipped = new SkippedPods(metrics.registry(), DeschedulerMetrics.SKIPPED_PODS);
    Duration quiet =
        settings.decisionQuiet().compareTo(settings.decisionWindow()) < 0
            ? settings.decisionQuiet()
            : settings.decisionWindow();
    this.window =
        new BurstWindow(
            toReal.apply(settings.decisionWindow()), toReal.apply(quiet), timers, this::decide);
  }

  void attach(MemberWatch w) {
    this.watch = w;
  }

  String cluster() {
    return cluster;
  }

  private boolean eventDriven() {
    return settings.periodicInterval() == null;
  }

  private void signal(String key) {
    if (eventDriven() && watch != null) {
      window.signal(key);
    }
  }

  @Override
  public void podChanged(Pod pod) {
    String key = PodViews.key(pod);
    if (PodViews.isOnlineUnschedulable(pod, settings.priorityThreshold())) {
      Instant now = clock.instant();
      String nominated = pod.getStatus() == null ? null : pod.getStatus().getNominatedNodeName();
      observations.compute(
          key,
          (k, o) ->
              o == null
                  ? new Observation(
                      now,
                      nominated == null || nominated.isEmpty() ? null : nominated,
                      nominated == null || nominated.isEmpty() ? null : now,
                      Set.of())
                  : o.withNomination(nominated, now));
      signal(key);
    } else {
      observations.remove(key);
      reservations.remove(key);
      if (PodViews.isGleaner(pod) && pod.getSpec() != null && pod.getSpec().getNodeName() != null) {
        checkPressure(pod.getSpec().getNodeName());
      }
    }
  }

  @Override
  public void podDeleted(Pod pod) {
    observations.remove(PodViews.key(pod));
    reservations.remove(PodViews.key(pod));
    requests.forget(pod);
    skipped.forget(cluster, pod);
  }

  @Override
  public void nodeChanged(Node node) {
    checkPressure(node.getMetadata().getName());
  }

  private void checkPressure(String nodeName) {
    MemberWatch w = watch;
    if (w == null) {
      return;
    }
    Node node = w.node(nodeName);
    if (node == null) {
      return;
    }
    Resources excess =
        ColocationPressure.excess(node, w.podsOn(nodeName), this::countable, settings.instance());
    String key = "node/" + nodeName;
    if (excess.isZero()) {
      observations.remove(key);
    } else {
      observations.putIfAbsent(key, new Observation(clock.instant(), null, null, Set.of()));
      signal(key);
    }
  }

  @Override
  public void failedScheduling(Event event) {
    if (event.getInvolvedObject() == null || !"Pod".equals(event.getInvolvedObject().getKind())) {
      return;
    }
    String key =
        event.getInvolvedObject().getNamespace() + "/" + event.getInvolvedObject().getName();
    Set<String> hint = FailedSchedulingHint.insufficient(event.getMessage());
    observations.computeIfPresent(key, (k, o) -> o.withHint(hint));
    if (FailedSchedulingHint.mentionsShortage(event.getMessage())) {
      // A hint only: the plan reads the pod from the cache, and a pod not (yet) Unschedulable there
      // is ignored.
      signal(key);
    }
  }

  @Override
  public void podGroupChanged(GenericKubernetesResource podGroup, boolean deleted) {
    String key =
        "podgroup/"
            + podGroup.getMetadata().getNamespace()
            + "/"
            + podGroup.getMetadata().getName();
    if (deleted) {
      observations.remove(key);
      return;
    }
    try {
      if (PodGroupView.of(podGroup).pendingUnschedulable()) {
        observations.putIfAbsent(key, new Observation(clock.instant(), null, null, Set.of()));
        signal(key);
      } else {
        observations.remove(key);
      }
    } catch (IllegalArgumentException e) {
      log.warn("cluster {}: ignoring PodGroup: {}", cluster, e.getMessage());
    }
  }

  /**
   * Plans and executes one burst. Serialised per cluster; a no-op while this replica does not lead.
   */
  void decide(Set<String> keys) {
    MemberWatch w = watch;
    if (w == null || !leading.getAsBoolean()) {
      return;
    }
    synchronized (deciding) {
      try (MDC.MDCCloseable c = MDC.putCloseable("cluster", cluster)) {
        decideLocked(w, keys);
      } catch (RuntimeException e) {
        log.error("cluster {}: reclaim pass failed", cluster, e);
      }
    }
  }

  private void decideLocked(MemberWatch w, Set<String> keys) {
    Instant now = clock.instant();
    evicted.values().removeIf(until -> until.isBefore(now));
    blocked.values().removeIf(until -> until.isBefore(now));
    reservations.values().removeIf(r -> r.until().isBefore(now));
    PlanInput input =
        withReservations(
            w,
            Snapshot.build(
                new Snapshot.Inputs(
                    cluster,
                    settings.memberPreemption(cluster),
                    settings.priorityThreshold(),
                    w.nodes(),
                    w.pods(),
                    w.podGroups(),
                    Map.copyOf(observations),
                    Set.copyOf(evicted.keySet()),
                    Set.copyOf(blocked.keySet()),
                    now,
                    requests,
                    settings.instance(),
                    (pod, e) -> skipped.skipped(cluster, pod, e))));
    if (input.demands().isEmpty()) {
      return;
    }
    long t0 = System.nanoTime();
    Plan plan = planner.plan(input, fairness.get());
    metrics.planning(cluster, Duration.ofNanos(System.nanoTime() - t0));
    Instant decidedAt = clock.instant();
    for (PodOutcome o : plan.outcomes()) {
      metrics.decision(cluster, o.outcome().tag());
      if (o.outcome() == Outcome.DEFERRED_TO_PREEMPTION && o.retryAt() != null) {
        window.signalAfter(o.pod(), toReal.apply(Duration.between(now, o.retryAt())));
      }
      if (log.isDebugEnabled()) {
        Observation obs = observations.get(o.pod());
        log.debug(
            "cluster {}: {} {} {} ({}; seen {} ms ago)",
            cluster,
            o.pod(),
            o.outcome().tag(),
            o.node() == null ? "" : "on " + o.node(),
            o.reason(),
            obs == null ? "?" : Duration.between(obs.since(), now).toMillis());
      }
    }
    planListener.accept(plan);
    if (plan.reclaims().isEmpty()) {
      return;
    }
    // Issued but not yet answered: the next plan (which may run before the answers) counts these as
    // leaving and
    // the room as taken by the pods it is freed for. Refusals undo this when the answers come.
    Map<String, Resources> pending = new java.util.HashMap<>();
    for (io.gleaner.descheduler.plan.Demand d : input.demands()) {
      if (d instanceof io.gleaner.descheduler.plan.Demand.Pods p) {
        p.pods().forEach(pp -> pending.put(pp.key(), pp.requests()));
      }
    }
    for (io.gleaner.descheduler.plan.NodeReclaim r : plan.reclaims()) {
      long grace = 0;
      for (Victim v : r.victims()) {
        if (!settings.dryRun()) {
          evicted.put(
              v.pod().uid(),
              now.plusSeconds(v.pod().gracePeriodSeconds()).plus(Duration.ofMinutes(2)));
        }
        grace = Math.max(grace, v.pod().gracePeriodSeconds());
      }
      if (settings.dryRun()) {
        continue;
      }
      for (String pod : r.forPods()) {
        Resources req = pending.get(pod);
        if (req != null) {
          reservations.put(
              pod, new Reservation(r.node(), req, now.plusSeconds(grace).plus(RESERVATION_SLACK)));
        }
      }
      // Look again once the victims should be gone, and when the reservation lapses: if another pod
      // took the
      // room meanwhile, the member scheduler may never mark this pod again (its condition does not
      // change), so
      // no event would bring it back to a plan.
      if (!r.forPods().isEmpty() && eventDriven()) {
        window.signalAfter(
            "reservation", toReal.apply(Duration.ofSeconds(grace).plus(RESERVATION_RECHECK)));
        window.signalAfter(
            "reservation",
            toReal.apply(
                Duration.ofSeconds(grace).plus(RESERVATION_SLACK).plus(RESERVATION_RECHECK)));
      }
    }
    execute(plan, now, decidedAt);
  }

  /**
   * Has the {@link Reclaimer} carry out {@code plan} and records its answers when they come (both
   * paths: a member's reclaim and a guarantee's evictions). {@code now} is when the plan's input
   * was read, {@code decidedAt} when it was decided.
   */
  private void execute(Plan plan, Instant now, Instant decidedAt) {
    reclaimer
        .executeAsync(plan, decidedAt)
        .whenComplete(
            (results, err) -> {
              if (err != null) {
                log.error("cluster {}: reclaim execution failed", cluster, err);
                return;
              }
              try (MDC.MDCCloseable c = MDC.putCloseable("cluster", cluster)) {
                record(results, now, decidedAt);
              } catch (RuntimeException e) {
                log.error("cluster {}: recording reclaim results failed", cluster, e);
              }
            });
  }

  /**
   * The uids of the pods whose eviction this loop issued lately: leaving from the moment it is
   * issued, before the member marks them terminating (as {@link #lentNodes()} counts them).
   */
  Set<String> evictionsIssued() {
    Instant now = clock.instant();
    Set<String> out = new java.util.HashSet<>();
    evicted.forEach(
        (uid, until) -> {
          if (!until.isBefore(now)) {
            out.add(uid);
          }
        });
    return out;
  }

  /**
   * The lent nodes of this member with their pods, as a plan sees them: pods evicted moments ago
   * count as leaving, pods whose eviction a PodDisruptionBudget refused lately are no victims.
   * Empty while the member's caches are not filled.
   */
  List<io.gleaner.descheduler.plan.LentNode> lentNodes() {
    MemberWatch w = watch;
    if (w == null) {
      return List.of();
    }
    synchronized (deciding) {
      Instant now = clock.instant();
      evicted.values().removeIf(until -> until.isBefore(now));
      blocked.values().removeIf(until -> until.isBefore(now));
      return Snapshot.build(
              new Snapshot.Inputs(
                  cluster,
                  settings.memberPreemption(cluster),
                  settings.priorityThreshold(),
                  w.nodes(),
                  w.pods(),
                  w.podGroups(),
                  Map.of(),
                  Set.copyOf(evicted.keySet()),
                  Set.copyOf(blocked.keySet()),
                  now,
                  requests,
                  settings.instance(),
                  (pod, e) -> skipped.skipped(cluster, pod, e)))
          .nodes();
    }
  }

  /**
   * Evicts what {@code plan} says without a trigger of this member (room for a team's guarantee,
   * {@code GuaranteePass}), through the same path as a reclaim: counted as leaving at once, then
   * evicted by the {@link Reclaimer}, refusals kept out of the next plans for a while. A no-op
   * while this replica does not lead.
   */
  void evictFor(Plan plan) {
    MemberWatch w = watch;
    if (w == null || !leading.getAsBoolean() || plan.reclaims().isEmpty()) {
      return;
    }
    synchronized (deciding) {
      Instant now = clock.instant();
      if (!settings.dryRun()) {
        for (io.gleaner.descheduler.plan.NodeReclaim r : plan.reclaims()) {
          for (Victim v : r.victims()) {
            evicted.put(
                v.pod().uid(),
                now.plusSeconds(v.pod().gracePeriodSeconds()).plus(Duration.ofMinutes(2)));
          }
        }
      }
      planListener.accept(plan);
      execute(plan, now, now);
    }
  }

  /**
   * Pods with room reserved are not demands again; the room they will take counts as taken on the
   * reserved node, so the victims already terminating for them are not handed to another pod.
   */
  private PlanInput withReservations(MemberWatch w, PlanInput in) {
    if (reservations.isEmpty()) {
      return in;
    }
    Map<String, List<NodePod>> phantoms = new java.util.HashMap<>();
    Map<String, Resources> staying = new java.util.HashMap<>();
    Map<String, Resources> allocatable = new java.util.HashMap<>();
    for (io.gleaner.descheduler.plan.LentNode n : in.nodes()) {
      staying.put(
          n.name(),
          n.pods().stream()
              .filter(x -> !x.terminating())
              .map(NodePod::requests)
              .reduce(Resources.ZERO, Resources::plus));
      allocatable.put(n.name(), n.allocatable());
    }
    List<io.gleaner.descheduler.plan.Demand> demands = new java.util.ArrayList<>();
    for (io.gleaner.descheduler.plan.Demand d : in.demands()) {
      Reservation r =
          d instanceof io.gleaner.descheduler.plan.Demand.Pods p && p.pods().size() == 1
              ? reservations.get(p.id())
              : null;
      if (r == null) {
        demands.add(d);
        continue;
      }
      io.gleaner.descheduler.plan.PendingPod pp =
          ((io.gleaner.descheduler.plan.Demand.Pods) d).pods().get(0);
      Resources used = staying.get(r.node());
      Resources alloc = allocatable.get(r.node());
      if (used == null) {
        // Not in the snapshot: every Gleaner pod on the node is leaving and the node is returned.
        // Read the
        // node itself; dropping the reservation here would evict a second node for a pod already
        // served.
        Node node = w.node(r.node());
        if (node != null) {
          used =
              w.podsOn(r.node()).stream()
                  .filter(
                      x ->
                          !PodViews.isTerminating(x)
                              && !evicted.containsKey(x.getMetadata().getUid()))
                  .map(this::countable)
                  .reduce(Resources.ZERO, Resources::plus);
          alloc =
              node.getStatus() == null
                  ? Resources.ZERO
                  : Resources.fromQuantities(node.getStatus().getAllocatable());
        }
      }
      Resources held =
          phantoms.getOrDefault(r.node(), List.of()).stream()
              .map(NodePod::requests)
              .reduce(Resources.ZERO, Resources::plus);
      if (used == null || !used.plus(held).plus(r.requests()).fitsIn(alloc)) {
        // Another pod took the room freed for this one (or the node is gone): plan it again.
        reservations.remove(p0(d), r);
        demands.add(d);
        continue;
      }
      phantoms
          .computeIfAbsent(r.node(), k -> new java.util.ArrayList<>())
          .add(
              new NodePod(
                  pp.namespace(),
                  pp.name(),
                  "reserved:" + pp.key(),
                  r.requests(),
                  false,
                  null,
                  null,
                  pp.priority(),
                  null,
                  0,
                  java.util.Optional.empty(),
                  false,
                  null));
    }
    if (phantoms.isEmpty()) {
      return in;
    }
    List<io.gleaner.descheduler.plan.LentNode> nodes = new java.util.ArrayList<>();
    for (io.gleaner.descheduler.plan.LentNode n : in.nodes()) {
      List<NodePod> extra = phantoms.get(n.name());
      if (extra == null) {
        nodes.add(n);
      } else {
        List<NodePod> pods = new java.util.ArrayList<>(n.pods());
        pods.addAll(extra);
        nodes.add(n.withPods(pods));
      }
    }
    return new PlanInput(in.cluster(), in.memberPreemption(), nodes, demands, in.now());
  }

  private static String p0(io.gleaner.descheduler.plan.Demand d) {
    return d.id();
  }

  private void record(List<NodeResult> results, Instant now, Instant decidedAt) {
    log.debug(
        "cluster {}: evictions issued after {} ms",
        cluster,
        Duration.between(decidedAt, clock.instant()).toMillis());
    boolean retry = false;
    for (NodeResult r : results) {
      if (r.event().getVictimsCount() > 0) {
        metrics.reclaim(cluster, r.reclaim().reason().wire());
      }
      Instant evictedAt = Instant.ofEpochMilli(r.event().getEvictedAtMs());
      if (r.reclaim().reason().returnsNode()) {
        metrics.latency(
            cluster,
            Duration.between(Instant.ofEpochMilli(r.event().getTriggeredAtMs()), evictedAt));
      }
      boolean refused = false;
      for (Map.Entry<Victim, EvictionResult> e : r.results().entrySet()) {
        Victim v = e.getKey();
        metrics.victim(cluster, v.pod().podClass().label(), e.getValue().tag());
        if (e.getValue() == EvictionResult.EVICTED || e.getValue() == EvictionResult.ALREADY_GONE) {
          evicted.put(
              v.pod().uid(),
              now.plusSeconds(v.pod().gracePeriodSeconds()).plus(Duration.ofMinutes(2)));
        } else if (e.getValue() == EvictionResult.BLOCKED_BY_PDB) {
          metrics.pdbBlock(cluster);
          evicted.remove(v.pod().uid());
          blocked.put(v.pod().uid(), now.plus(settings.pdbBlockedFor()));
          retry = true;
          refused = true;
        } else if (e.getValue() == EvictionResult.NOT_LEADER) {
          // Not sent: this replica stopped leading. Whoever leads plans again (this one too, once
          // it leads again); the pod is no victim to leave out meanwhile.
          evicted.remove(v.pod().uid());
          refused = true;
        } else if (e.getValue() != EvictionResult.DRY_RUN) {
          // Rate-limited or failed: leave it out briefly so the retry does not spin on the same
          // pod.
          evicted.remove(v.pod().uid());
          blocked.put(
              v.pod().uid(), now.plus(min(settings.pdbBlockedFor(), Duration.ofSeconds(10))));
          retry = true;
          refused = true;
        }
      }
      if (refused) {
        // Some room will not come: the pods it was for are planned again.
        r.reclaim()
            .forPods()
            .forEach(
                pod ->
                    reservations.computeIfPresent(
                        pod, (k, res) -> res.node().equals(r.reclaim().node()) ? null : res));
      }
      if (r.event().getVictimsCount() > 0) {
        log.info(
            "cluster {}: {} node {} for {}: {} victim(s) {}",
            cluster,
            r.reclaim().reason().returnsNode() ? "reclaimed" : "evicted on",
            r.reclaim().node(),
            r.reclaim().forPods(),
            r.event().getVictimsCount(),
            r.event().getMessage());
      } else {
        log.info(
            "cluster {}: could not reclaim node {} for {}: {}",
            cluster,
            r.reclaim().node(),
            r.reclaim().forPods(),
            r.event().getMessage());
      }
    }
    if (retry) {
      // Choose other victims for what was refused, at once.
      window.signal("retry");
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** Test and bench access: what is being watched for. */
  Map<String, Observation> observations() {
    return Map.copyOf(observations);
  }

  /**
   * A pod's requests, or zero when they cannot be counted: outside a plan's snapshot (which leaves
   * such pods out and counts them) a bad pod must not stop the check it is part of.
   */
  private Resources countable(Pod pod) {
    try {
      return requests.apply(pod);
    } catch (RuntimeException e) {
      if (SkippedPods.isBadRequests(e)) {
        return Resources.ZERO;
      }
      throw e;
    }
  }
}
