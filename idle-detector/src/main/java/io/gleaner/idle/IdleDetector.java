package io.gleaner.idle;

import io.gleaner.idle.elastic.ElasticBudget;
import io.gleaner.idle.elastic.ElasticPlan;
import io.gleaner.idle.elastic.Placeholders;
import io.gleaner.idle.forecast.HistoryStore;
import io.gleaner.idle.forecast.HourlyPeaks;
import io.gleaner.idle.forecast.InMemoryHistoryStore;
import io.gleaner.idle.forecast.LoadForecast;
import io.gleaner.idle.forecast.OnlineHistory;
import io.gleaner.idle.forecast.PeakForecast;
import io.gleaner.idle.forecast.RoomForecast;
import io.gleaner.idle.offer.ColocationOffers;
import io.gleaner.idle.offer.IdleOffers;
import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.offer.MemberPodInfo;
import io.gleaner.idle.offer.Offer;
import io.gleaner.idle.offer.OnlineUsage;
import io.gleaner.idle.offer.VolcanoFragments;
import io.gleaner.idle.publish.OfferSink;
import io.gleaner.idle.source.ClusterCache;
import io.gleaner.idle.source.KubeModel;
import io.gleaner.idle.source.NodePatch;
import io.gleaner.idle.source.NodeWriter;
import io.gleaner.idle.source.PlaceholderWriter;
import io.gleaner.idle.state.IdleState;
import io.gleaner.idle.state.IdleState.Active;
import io.gleaner.idle.state.IdleState.IdleObserved;
import io.gleaner.idle.state.IdleState.Lent;
import io.gleaner.idle.state.IdleState.Reclaimed;
import io.gleaner.idle.state.IdleStateMachine;
import io.gleaner.idle.state.IdleTimerStore;
import io.gleaner.idle.state.IdleVerdict;
import io.gleaner.idle.state.NodeLoad;
import io.gleaner.idle.state.ReclaimSignal;
import io.gleaner.idle.state.Transition;
import io.gleaner.idle.state.Transition.Action;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.LendClaim;
import io.gleaner.meta.resources.Resources;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The detector's engine: for every watched member node it keeps the idle state, decides the node's
 * offer (IDLE, VOLCANO or COLOCATION, by the member's roles) and publishes changes to an {@link
 * OfferSink}.
 *
 * <p>Threading: {@link #markNode}, {@link #markCluster}, {@link #addCluster}, {@link
 * #removeCluster} and {@link #setReachable} are thread-safe and cheap; they queue work. All
 * decisions happen in {@link #process()}, which the owner calls from one thread (the service's
 * detector thread, or the test): only the nodes marked since the last call, those whose timer is
 * due and, every {@code resyncInterval}, all nodes are recomputed. {@code wakeup} is called when
 * work is queued, so the owner can schedule a debounced {@code process()}.
 *
 * <p>Per node, in {@code process()}:
 *
 * <ol>
 *   <li>online members: the idle verdict and one step of the {@link IdleStateMachine}; transitions
 *       are stored in the {@link IdleTimerStore}; LEND labels and annotates the node, RETURN
 *       removes the label and records the cool-down;
 *   <li>the offer: IDLE for a lent node; otherwise VOLCANO for training members (one fragment plan
 *       per cluster per call) or COLOCATION for co-location members; nothing for excluded, cordoned
 *       or cooling-down nodes, or when the offer is smaller than {@code minOffer};
 *   <li>the offer is sent if it differs from the last one sent, and withdrawn if it went away.
 * </ol>
 *
 * <p>With the GleanerPolicy's forecast on, every online node's and member's online demand is kept
 * as hourly peaks ({@link OnlineHistory}, saved to a {@link HistoryStore} as each hour completes),
 * and a lent node's IDLE offer keeps room for its forecast online peak of the next hour; a lent
 * node whose room is forecast to run out within the lead time ({@link RoomForecast}) is not offered
 * (draining), so it takes no new pods while the ones it has finish. Offers carry until when their
 * room is forecast to last.
 *
 * <p>Installations sharing a member keep apart ({@link LendClaim}): a node whose room is offered
 * (lent idle, co-location, Volcano or elastic room) is labelled with this installation ({@code
 * gleaner.io/lent-by}), offered only once it shows that claim, its claim renewed at every resync
 * and removed with the room; a node another installation claims is left alone (not offered, lent
 * nor returned) until its claim goes stale, and then released; another installation's pods are load
 * in every criterion. Claims are taken, renewed and released by patches conditional on the node's
 * {@code resourceVersion} the decision was made on, so of two detectors deciding on one version of
 * a node only the first claim lands and the other is refused (409 Conflict) without being offered.
 * A member leaving the installation has this installation's claims removed ({@link
 * #releaseClaims}).
 *
 * <p>Elastic members (role {@code elastic}) are planned together by {@link ElasticPlan}: while
 * near-line pods wait for room in the federation ({@link #setNearLineWaiting}), their existing
 * nodes are offered as ELASTIC and scale-up placeholders ({@link Placeholders}) ask their
 * autoscaler for more, all within the policy's budget ({@link ElasticBudget}; its spending is saved
 * to the {@link HistoryStore} every minute and on stop, and a new leader resumes from it).
 *
 * <p>A member that is not reachable (not yet synced, breaker open, informers failing) has its
 * offers withdrawn and its idle timers reset (nothing was seen while it was away, so nothing may
 * count as idle).
 */
public final class IdleDetector {
  private static final Logger LOG = LoggerFactory.getLogger(IdleDetector.class);

  /** How many clock hours ahead an offer's room is forecast (at least the lead time). */
  static final int ROOM_HORIZON_HOURS = 24;

  private final Clock clock;

  /** Detector thread only (replaced by {@link #reconfigure}). */
  private IdleDetectorSettings config;

  private IdleStateMachine machine;
  private final IdleTimerStore store;
  private final HistoryStore histories;
  private final OfferSink sink;
  private final NodeWriter writer;
  private final IdleMetrics metrics;
  private final Runnable wakeup;

  private final Map<String, ClusterRt> clusters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<NodeRef, Long> dirtyNodes = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> dirtyClusters = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
  private final PriorityQueue<Due> deadlines = new PriorityQueue<>();
  private Instant lastResync;

  /** Written by the detector thread only: the elastic source's demand. */
  private volatile List<Resources> nearLineWaiting = List.of();

  private final ElasticBudget elasticBudget = new ElasticBudget();

  /** Whether the budget resumed from what the histories keep (at its first plan). */
  private boolean elasticResumed;

  /** When the budget's spending was last saved to the histories. */
  private Instant elasticSavedAt = Instant.MIN;

  private ElasticPlan.Plan elasticPlan = ElasticPlan.Plan.none(ElasticPlan.Reason.OFF);
  private PlaceholderWriter placeholders = PlaceholderWriter.NONE;
  private final Map<String, Map<String, Resources>> placeholdersCreating =
      new ConcurrentHashMap<>();
  private final Set<String> placeholdersDeleting = ConcurrentHashMap.newKeySet();
  private long placeholderSeq;

  private record Due(Instant at, NodeRef node) implements Comparable<Due> {
    @Override
    public int compareTo(Due o) {
      return at.compareTo(o.at);
    }
  }

  private static final class ClusterRt {
    final String name;
    final Set<MemberRole> roles;
    final ClusterCache cache;
    final Map<String, NodeRt> nodes = new HashMap<>();
    final IdleMetrics.ClusterMeters meters;
    Map<String, IdleState> stored;
    Map<String, OnlineHistory> storedHistories;
    OnlineHistory history = new OnlineHistory();
    long historySavedHour = Long.MIN_VALUE;
    long onlineRequests;
    long onlineUsage;
    boolean historyDirty;

    /** Forecast verdicts on the lent nodes, as of the start of this member's last pass. */
    Map<String, RoomForecast.Verdict> verdicts = Map.of();

    /**
     * Idle nodes the forecast lends without waiting, as of the start of this member's last pass.
     */
    Set<String> lendEarly = Set.of();

    Set<String> lendInCoolDown = Set.of();

    boolean reachable;

    /** Set once the member leaves the installation ({@link #releaseClaims}). */
    volatile Release release;

    ClusterRt(
        String name, Set<MemberRole> roles, ClusterCache cache, IdleMetrics.ClusterMeters meters) {
      this.name = name;
      this.roles = roles;
      this.cache = cache;
      this.meters = meters;
    }

    boolean online() {
      return roles.contains(MemberRole.ONLINE);
    }

    boolean elastic() {
      return roles.contains(MemberRole.ELASTIC) && !online();
    }
  }

  /** A member leaving the installation: this installation's claims on its nodes, being removed. */
  private static final class Release {
    final CompletableFuture<Integer> done = new CompletableFuture<>();

    /** The nodes whose claim was removed. */
    final Set<String> released = ConcurrentHashMap.newKeySet();
  }

  private static final class NodeRt {
    IdleState state = Active.INSTANCE;
    boolean poolLabelSeen;
    Offer offered;
    Instant scheduled;
    final AtomicInteger writing = new AtomicInteger();
    CompletableFuture<Void> lastWrite = CompletableFuture.completedFuture(null);
    OnlineHistory history;
    long historySavedHour = Long.MIN_VALUE;
    long onlineRequests;
    long onlineUsage;

    /** The node's online usage, with the Gleaner pods that left it still in its samples. */
    final OnlineUsage usage = new OnlineUsage();

    /** The other installation whose live claim this detector last left the node to, if any. */
    String leftTo;

    /**
     * A version of the node known to be behind (see {@link #behind}); set when a write completes.
     */
    volatile String outdated = "";
  }

  /** A detector whose online histories live in memory only. */
  public IdleDetector(
      Clock clock,
      IdleDetectorSettings config,
      IdleTimerStore store,
      OfferSink sink,
      NodeWriter writer,
      IdleMetrics metrics,
      Runnable wakeup) {
    this(clock, config, store, new InMemoryHistoryStore(), sink, writer, metrics, wakeup);
  }

  public IdleDetector(
      Clock clock,
      IdleDetectorSettings config,
      IdleTimerStore store,
      HistoryStore histories,
      OfferSink sink,
      NodeWriter writer,
      IdleMetrics metrics,
      Runnable wakeup) {
    this.histories = Objects.requireNonNull(histories, "histories");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.config = Objects.requireNonNull(config, "config");
    this.machine = new IdleStateMachine(config.idleAfter(), config.cooldown());
    this.store = Objects.requireNonNull(store, "store");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.writer = Objects.requireNonNull(writer, "writer");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.wakeup = wakeup == null ? () -> {} : wakeup;
  }

  // ---- thread-safe entry points
  // ------------------------------------------------------------------

  /**
   * Starts tracking a member. Its durable timers are loaded at the next {@link #process()}; it
   * offers nothing until {@link #setReachable} says it is reachable (its informers synced).
   */
  public void addCluster(String cluster, Set<MemberRole> roles, ClusterCache cache) {
    Set<MemberRole> r = roles.isEmpty() ? Set.of() : EnumSet.copyOf(roles);
    command(
        () -> {
          removeNow(cluster);
          ClusterRt c = new ClusterRt(cluster, r, cache, metrics.cluster(cluster));
          try {
            c.stored = new HashMap<>(store.load(cluster));
          } catch (RuntimeException e) {
            LOG.error(
                "cannot load the idle timers of member {}; its online nodes start as ACTIVE: {}",
                cluster,
                e.getMessage());
            c.stored = new HashMap<>();
          }
          if (r.contains(MemberRole.ONLINE)) {
            try {
              c.storedHistories = new HashMap<>(histories.loadNodes(cluster));
              histories.loadMember(cluster).ifPresent(h -> c.history = h);
            } catch (RuntimeException e) {
              LOG.error(
                  "cannot load the online histories of member {}; its forecast starts blind: {}",
                  cluster,
                  e.getMessage());
              c.storedHistories = new HashMap<>();
            }
          }
          clusters.put(cluster, c);
          LOG.info(
              "tracking member {} with roles {} ({} stored idle timers)",
              cluster,
              r,
              c.stored.size());
        });
  }

  /**
   * Stops tracking a member and withdraws its offers (its stored timers stay for a later return).
   * Its nodes keep their claims (to go stale unless the member comes back): a member leaving the
   * installation has them removed first ({@link #releaseClaims}).
   */
  public void removeCluster(String cluster) {
    command(() -> removeNow(cluster));
  }

  /**
   * The member leaves the installation (its MemberCluster was deleted): its offers are withdrawn at
   * once and this installation's claims are removed from its nodes, whatever their source (idle,
   * co-location, Volcano: the pool label, {@code gleaner.io/lent-by} and {@code
   * gleaner.io/lent-renewed-at}), so another installation sharing the member need not wait for them
   * to go stale. From then on nothing is lent, offered or claimed on the member; its passes only
   * remove claims, each conditional on the version of the node it was decided on, a refused one
   * decided again on the node as it is. Call {@link #removeCluster} afterwards.
   *
   * @return completes, with the number of nodes whose claim this call removed, once no node of the
   *     member shows this installation's claim (as its cache sees them), or at once when the member
   *     does not answer or stops answering, or is removed first (then the claims left are logged:
   *     they go stale)
   */
  public CompletableFuture<Integer> releaseClaims(String cluster) {
    CompletableFuture<Integer> result = new CompletableFuture<>();
    command(
        () -> {
          ClusterRt c = clusters.get(cluster);
          if (c == null) {
            result.complete(0);
            return;
          }
          if (c.release == null) {
            c.release = new Release();
            long nanos = System.nanoTime();
            c.nodes.forEach(
                (name, rt) -> {
                  publish(c, name, rt, null, "member leaves the installation", nanos);
                  rt.scheduled = null;
                });
            LOG.info(
                "member {} leaves the installation: its offers withdrawn; removing this"
                    + " installation's claims from {} of its nodes",
                cluster,
                c.cache.nodes().stream().filter(this::claimedHere).count());
            dirtyClusters.merge(cluster, nanos, Math::min);
            if (!c.reachable) {
              endRelease(c, "it does not answer");
            }
          }
          c.release.done.whenComplete(
              (n, e) -> {
                if (e == null) {
                  result.complete(n);
                } else {
                  result.completeExceptionally(e);
                }
              });
        });
    return result;
  }

  /** The member became reachable (informers synced, calls answered) or stopped answering. */
  public void setReachable(String cluster, boolean reachable, String message) {
    command(
        () -> {
          ClusterRt c = clusters.get(cluster);
          if (c == null || c.reachable == reachable) {
            return;
          }
          c.reachable = reachable;
          if (!reachable && c.release != null) {
            endRelease(c, "it stopped answering");
          }
          if (reachable) {
            LOG.info(
                "member {} reachable: computing offers of {} nodes",
                cluster,
                c.cache.nodes().size());
            sink.member(cluster, true, "");
            long now = System.nanoTime();
            c.cache
                .nodeNames()
                .forEach(n -> dirtyNodes.merge(new NodeRef(cluster, n), now, Math::min));
            return;
          }
          LOG.warn("member {} unreachable ({}): withdrawing its offers", cluster, message);
          for (Map.Entry<String, NodeRt> e : c.nodes.entrySet()) {
            NodeRt rt = e.getValue();
            if (rt.offered != null) {
              c.meters.offered(
                  rt.offered.source(),
                  -rt.offered.usable().cpuMillis(),
                  -rt.offered.usable().memoryBytes(),
                  -1);
              rt.offered = null;
            }
            if (rt.state instanceof IdleObserved) {
              setState(c, e.getKey(), rt, Active.INSTANCE);
              c.meters.transition("reset");
            }
          }
          sink.member(cluster, false, message);
        });
  }

  /**
   * Puts new idle criteria, idleAfter, cool-down and headroom in force (a GleanerPolicy change) at
   * the next {@link #process()}: every node is recomputed with them, so a node observed idle long
   * enough under the new idleAfter is lent at once, and idle timers already running keep their
   * start.
   */
  public void reconfigure(IdleDetectorSettings next) {
    Objects.requireNonNull(next, "next");
    command(
        () -> {
          config = next;
          machine = new IdleStateMachine(next.idleAfter(), next.cooldown());
          LOG.info(
              "idle criteria now {}, idleAfter {}, cool-down {}, headroom {}",
              next.criteria(),
              next.idleAfter(),
              next.cooldown(),
              next.nodeHeadroom());
          long now = System.nanoTime();
          for (ClusterRt c : clusters.values()) {
            dirtyClusters.merge(c.name, now, Math::min);
          }
        });
  }

  /** Where scale-up placeholders of elastic members are written (default: nowhere). */
  public void placeholders(PlaceholderWriter writer) {
    command(() -> placeholders = Objects.requireNonNull(writer, "writer"));
  }

  /**
   * The requests of the near-line pods waiting for room in the federation (the broker's view), the
   * demand elastic members are offered and scaled up for.
   */
  public void setNearLineWaiting(List<Resources> waiting) {
    List<Resources> copy = List.copyOf(waiting);
    command(
        () -> {
          if (!copy.equals(nearLineWaiting)) {
            nearLineWaiting = copy;
            markElastic(0L);
          }
        });
  }

  private void markElastic(long nanos) {
    for (ClusterRt c : clusters.values()) {
      if (c.elastic()) {
        dirtyClusters.merge(c.name, nanos, (a, b) -> Math.min(a, b));
      }
    }
  }

  /** The near-line pods waiting for room, as the detector last applied them. */
  public List<Resources> nearLineWaiting() {
    return nearLineWaiting;
  }

  /** Core-hours Gleaner's pods held on elastic members today (UTC), as of the last pass. */
  public double elasticCoreHoursToday() {
    return elasticCoreHours;
  }

  private volatile double elasticCoreHours;

  /** Something about the node changed at {@code changeNanos} ({@link System#nanoTime()}). */
  public void markNode(String cluster, String node, long changeNanos) {
    if (dirtyNodes.merge(new NodeRef(cluster, node), changeNanos, Math::min) == changeNanos) {
      wakeup.run();
    }
  }

  /**
   * Something cluster-wide changed (a PodGroup, a metrics poll): recompute every node of the
   * member.
   */
  public void markCluster(String cluster, long changeNanos) {
    dirtyClusters.merge(cluster, changeNanos, Math::min);
    wakeup.run();
  }

  private void command(Runnable r) {
    commands.add(r);
    wakeup.run();
  }

  // ---- read-only views
  // ---------------------------------------------------------------------------

  /** The idle state of a node, as of the last {@link #process()}. */
  public Optional<IdleState> state(String cluster, String node) {
    ClusterRt c = clusters.get(cluster);
    NodeRt rt = c == null ? null : c.nodes.get(node);
    return rt == null ? Optional.empty() : Optional.of(rt.state);
  }

  /** The offer last sent for a node, if it has one. */
  public Optional<Offer> offer(String cluster, String node) {
    ClusterRt c = clusters.get(cluster);
    NodeRt rt = c == null ? null : c.nodes.get(node);
    return rt == null ? Optional.empty() : Optional.ofNullable(rt.offered);
  }

  public Set<String> clusters() {
    return Set.copyOf(clusters.keySet());
  }

  /** Work is queued: marked nodes or clusters, commands. */
  public boolean hasWork() {
    return !dirtyNodes.isEmpty() || !dirtyClusters.isEmpty() || !commands.isEmpty();
  }

  /** The earliest timer that is due or will be, if any. */
  public Optional<Instant> nextDeadline() {
    Due d = deadlines.peek();
    return d == null ? Optional.empty() : Optional.of(d.at());
  }

  // ---- the detector thread
  // -----------------------------------------------------------------------

  /** Written by the detector thread at the end of each pass. */
  private volatile Instant lastPassAt;

  /**
   * Applies queued commands and recomputes marked, due and (every {@code resyncInterval}) all
   * nodes. Call from one thread only.
   *
   * @return how many nodes were recomputed
   */
  public int process() {
    Runnable cmd;
    while ((cmd = commands.poll()) != null) {
      try {
        cmd.run();
      } catch (RuntimeException e) {
        LOG.error("idle-detector command failed", e);
      }
    }
    Instant now = clock.instant();
    while (!deadlines.isEmpty() && !deadlines.peek().at().isAfter(now)) {
      Due d = deadlines.poll();
      ClusterRt c = clusters.get(d.node().cluster());
      NodeRt rt = c == null ? null : c.nodes.get(d.node().node());
      if (rt != null && d.at().equals(rt.scheduled)) {
        rt.scheduled = null;
        dirtyNodes.merge(d.node(), 0L, (a, b) -> a);
      }
    }
    if (lastResync == null || !now.isBefore(lastResync.plus(config.resyncInterval()))) {
      lastResync = now;
      for (ClusterRt c : clusters.values()) {
        dirtyClusters.merge(c.name, 0L, (a, b) -> a);
      }
    }
    Map<String, Map<String, Long>> work = new LinkedHashMap<>();
    for (String cluster : List.copyOf(dirtyClusters.keySet())) {
      Long nanos = dirtyClusters.remove(cluster);
      ClusterRt c = clusters.get(cluster);
      if (c == null || nanos == null) {
        continue;
      }
      Map<String, Long> m = work.computeIfAbsent(cluster, k -> new HashMap<>());
      c.cache.nodeNames().forEach(n -> m.merge(n, nanos, Math::min));
      c.nodes.keySet().forEach(n -> m.merge(n, nanos, Math::min));
    }
    for (NodeRef ref : List.copyOf(dirtyNodes.keySet())) {
      Long nanos = dirtyNodes.remove(ref);
      if (nanos != null) {
        work.computeIfAbsent(ref.cluster(), k -> new HashMap<>())
            .merge(ref.node(), nanos, Math::min);
      }
    }
    if (work.keySet().stream().map(clusters::get).anyMatch(c -> c != null && c.elastic())) {
      planElastic(work, now);
    }
    int count = 0;
    for (Map.Entry<String, Map<String, Long>> e : work.entrySet()) {
      ClusterRt c = clusters.get(e.getKey());
      if (c == null || !c.reachable) {
        continue;
      }
      if (c.release != null) {
        try (MDC.MDCCloseable ignored = MDC.putCloseable("cluster", c.name)) {
          release(c, e.getValue().keySet());
        }
        continue;
      }
      try (MDC.MDCCloseable ignored = MDC.putCloseable("cluster", c.name)) {
        if (c.online() && config.forecast().enabled()) {
          c.verdicts = forecastRoom(c, now);
          c.lendEarly = lendableEarly(c, now);
          c.lendInCoolDown = lendableInCoolDown(c, now);
        }
        VolcanoFragments.Plan plan = null;
        if (c.roles.contains(MemberRole.TRAINING)) {
          plan = VolcanoFragments.plan(c.cache.nodes(), c.cache.podsByNode(), c.cache.podGroups());
        }
        for (Map.Entry<String, Long> n : e.getValue().entrySet()) {
          try (MDC.MDCCloseable ignored2 = MDC.putCloseable("node", n.getKey())) {
            recompute(c, n.getKey(), n.getValue(), plan, now);
            count++;
          } catch (RuntimeException ex) {
            LOG.error("recomputing node {}/{} failed", c.name, n.getKey(), ex);
          }
        }
        if (c.historyDirty) {
          recordMember(c, now);
        }
        if (c.elastic()) {
          reconcilePlaceholders(c, now);
        }
      }
    }
    lastPassAt = now;
    return count;
  }

  /**
   * The clock's instant when the last pass of {@link #process()} began, every node due by then
   * recomputed; empty before the first pass.
   */
  public Optional<Instant> lastPassAt() {
    return Optional.ofNullable(lastPassAt);
  }

  /**
   * A pass over a leaving member's nodes: removes this installation's claim from each that shows
   * it, and completes the release once none does.
   */
  private void release(ClusterRt c, Collection<String> names) {
    for (String name : names) {
      MemberNodeInfo n = c.cache.node(name).orElse(null);
      if (n == null || !claimedHere(n)) {
        continue;
      }
      NodeRt rt = c.nodes.computeIfAbsent(name, k -> new NodeRt());
      if (rt.writing.get() > 0 || behind(n, rt)) {
        continue; // decided again once the write lands or the cache shows its result
      }
      Map<String, String> labels = new HashMap<>();
      labels.put(GleanerKeys.LENT_BY, null);
      if (n.labels().containsKey(GleanerKeys.POOL)) {
        labels.put(GleanerKeys.POOL, null);
      }
      Map<String, String> ann = new HashMap<>();
      if (n.annotations().containsKey(GleanerKeys.LENT_RENEWED_AT)) {
        ann.put(GleanerKeys.LENT_RENEWED_AT, null);
      }
      write(c, n, rt, new NodePatch(labels, ann).ifAt(n.resourceVersion()), ClaimWrite.LEAVE);
    }
    if (!c.release.done.isDone() && c.cache.nodes().stream().noneMatch(this::claimedHere)) {
      c.release.done.complete(c.release.released.size());
    }
  }

  /**
   * Ends a leaving member's release before its claims are all removed ({@code why}): those left go
   * stale.
   */
  private void endRelease(ClusterRt c, String why) {
    if (c.release.done.isDone()) {
      return;
    }
    long left = c.cache.nodes().stream().filter(this::claimedHere).count();
    if (left == 0) {
      c.release.done.complete(c.release.released.size());
      return;
    }
    LOG.warn(
        "member {} leaves the installation with {} of its nodes still showing this installation's"
            + " claim (removed from {}) as {}: those go stale {} after their last renewal",
        c.name,
        left,
        c.release.released.size(),
        why,
        config.claimTtl());
    c.release.done.complete(c.release.released.size());
  }

  /** The node carries this installation's claim label (whatever its pool label says). */
  private boolean claimedHere(MemberNodeInfo n) {
    return config.instance().equals(n.labels().get(GleanerKeys.LENT_BY));
  }

  private void removeNow(String cluster) {
    ClusterRt c = clusters.remove(cluster);
    if (c == null) {
      return;
    }
    if (c.release != null) {
      endRelease(c, "it is let go");
    }
    c.nodes.values().forEach(rt -> rt.scheduled = null);
    metrics.remove(cluster);
    sink.clusterRemoved(cluster);
    LOG.info("stopped tracking member {}", cluster);
  }

  private void recompute(
      ClusterRt c, String name, long changeNanos, VolcanoFragments.Plan plan, Instant now) {
    MemberNodeInfo n = c.cache.node(name).orElse(null);
    NodeRt rt = c.nodes.get(name);
    if (n == null) {
      if (rt != null) {
        publish(c, name, rt, null, "node deleted", changeNanos);
        c.meters.stateEntered(rt.state.kind(), -1);
        rt.scheduled = null;
        c.nodes.remove(name);
        store.delete(c.name, name);
        if (rt.history != null) {
          c.onlineRequests -= rt.onlineRequests;
          c.onlineUsage -= rt.onlineUsage;
          c.historyDirty = true;
          histories.deleteNode(c.name, name);
        }
      }
      return;
    }
    if (rt == null) {
      rt = adopt(c, n, now);
      c.nodes.put(name, rt);
    }
    LendClaim.Standing standing =
        LendClaim.standing(n.labels(), n.annotations(), config.instance(), now, config.claimTtl());
    if (standing == LendClaim.Standing.OTHER_LIVE || standing == LendClaim.Standing.OTHER_STALE) {
      lentByAnother(c, n, rt, standing == LendClaim.Standing.OTHER_LIVE, changeNanos);
      return;
    }
    rt.leftTo = null;
    if (c.online()
        && standing == LendClaim.Standing.OWN
        && "idle".equals(n.labels().get(GleanerKeys.POOL))
        && (rt.state instanceof Active || rt.state instanceof IdleObserved)) {
      // this installation's claim stands after all: two lent the node at the same moment, the
      // other's claim was seen first, ours landed last
      Instant lentAt = annotationTime(n, GleanerKeys.LENT_AT).orElse(now);
      setState(
          c, name, rt, new Lent(annotationTime(n, GleanerKeys.IDLE_SINCE).orElse(lentAt), lentAt));
      rt.poolLabelSeen = true;
      LOG.info("node {}/{} shows this installation's claim: lent since {}", c.name, name, lentAt);
    }
    Collection<MemberPodInfo> pods = c.cache.podsOn(name);
    boolean excluded = "true".equals(n.labels().get(GleanerKeys.EXCLUDE));
    Optional<Instant> cooldownUntil = annotationTime(n, GleanerKeys.COOLDOWN_UNTIL);
    boolean cooling = cooldownUntil.isPresent() && now.isBefore(cooldownUntil.get());
    Offer desired = null;
    String none = "no spare capacity";
    Action action = Action.NONE;
    IdleVerdict verdict = null;

    if (c.online()) {
      NodeLoad load =
          new NodeLoad(
              n.ready(),
              n.unschedulable(),
              excluded,
              n.allocatable(),
              IdleOffers.onlineRequests(pods),
              onlineUsage(c, n, rt, pods, now));
      verdict = config.criteria().evaluate(load);
      record(c, name, rt, load, now);
      Transition t = machine.step(rt.state, verdict, reclaimSignal(n, rt, now), now);
      if (t.to() instanceof IdleObserved && c.lendEarly.contains(name)) {
        // the member's forecast leaves the node unneeded for long enough: no idle wait
        Transition early =
            machine.lendEarly(
                t.to(),
                now,
                "forecast of the member known: lent at once, its room sized by the forecast");
        t = new Transition(t.from(), early.to(), early.action(), early.reason());
      } else if (t.to() instanceof Reclaimed
          && !(t.from() instanceof Lent)
          && c.lendInCoolDown.contains(name)) {
        // the member's demand is calm: the cool-down's evidence no longer holds the node back
        Transition again =
            machine.lendInCoolDown(
                t.to(),
                verdict,
                now,
                "member demand calm: lent again before its cool-down ends, its room sized by the"
                    + " forecast");
        t = new Transition(t.from(), again.to(), again.action(), again.reason());
      }
      action = t.action();
      if (t.changed()) {
        setState(c, name, rt, t.to());
        if (action != Action.NONE || t.to() instanceof Active && t.from() instanceof IdleObserved) {
          LOG.info(
              "node {}/{}: {} -> {} ({})",
              c.name,
              name,
              t.from().kind(),
              t.to().kind(),
              t.reason());
        }
      }
      if ((action == Action.LEND || action == Action.RETURN) && config.forecast().enabled()) {
        // the other lent nodes' share of the forecast overflow changed
        dirtyClusters.merge(c.name, changeNanos, Math::min);
      }
      if (t.to() instanceof IdleObserved
          && !(t.from() instanceof IdleObserved)
          && config.forecast().enabled()) {
        // newly idle: the member's next pass asks the forecast whether it may be lent at once
        dirtyClusters.merge(c.name, changeNanos, Math::min);
      }
      if (action == Action.LEND) {
        c.meters.transition("lend");
      } else if (action == Action.RETURN) {
        c.meters.transition("return");
      } else if (t.changed() && t.to() instanceof Active) {
        c.meters.transition("reset");
      }
      schedule(c, name, rt);
      none = rt.state.kind() == IdleState.Kind.LENT ? none : "node not lent (" + t.reason() + ")";
      if (rt.state instanceof Lent && !"idle".equals(n.labels().get(GleanerKeys.POOL))) {
        // offered once the node shows this installation's claim, so a node two installations
        // lent at the same moment is offered only by the one whose claim stands
        none = "lent; waiting for the node to show the claim";
      } else if (rt.state instanceof Lent) {
        Resources usable = IdleOffers.usable(n, pods, config.nodeHeadroom());
        if (!config.forecast().enabled()) {
          desired = offer(c, n, CapacitySource.IDLE, usable, verdict.pressure(), now);
        } else {
          RoomForecast.Verdict v = c.verdicts.get(name);
          if (v == null) {
            // lent in this pass: offered once the member's forecast includes it
            none = "lent; forecast pending";
            dirtyClusters.merge(c.name, changeNanos, Math::min);
          } else {
            long extra = Math.max(0, v.peakMillis() - load.onlineRequests().cpuMillis());
            Resources room = usable.minus(Resources.of("cpu", extra + "m")).clampAtZero();
            Offer o = offer(c, n, CapacitySource.IDLE, room, verdict.pressure(), now);
            // draining: online work is forecast to need the node back within the lead time, so it
            // takes only pods that declare a run time ending before then
            desired =
                v.draining()
                    ? o.drainingUntil(v.roomUntil().orElseThrow())
                    : o.withRoomUntil(v.roomUntil());
          }
        }
      }
    }
    if (desired == null
        && !excluded
        && !cooling
        && n.ready()
        && !n.unschedulable()
        && !(rt.state instanceof Lent)) {
      if (plan != null) {
        double risk = !plan.gangsBlocked().isEmpty() ? 0.8 : plan.held().isEmpty() ? 0.2 : 0.5;
        desired = offer(c, n, CapacitySource.VOLCANO, plan.fragment(name), risk, now);
      } else if (c.elastic()) {
        Resources room = elasticPlan.offer(c.name, name);
        if (room != null) {
          desired = offer(c, n, CapacitySource.ELASTIC, room, 0.3, now);
        } else {
          none = "elastic: " + elasticPlan.reason().name().toLowerCase(Locale.ROOT);
        }
      } else if (c.roles.contains(MemberRole.COLOCATION)) {
        ColocationOffers.Result r =
            config.colocation().compute(n, pods, c.cache.nodeUsage(name), c.cache.podUsage(), now);
        desired = offer(c, n, CapacitySource.COLOCATION, r.usable(), r.risk(), now);
        if (r.basis() == ColocationOffers.Basis.STALE_METRICS) {
          none = "node metrics missing or older than " + config.colocation().metricsMaxAge();
        }
      }
    } else if (desired == null && (excluded || cooling)) {
      none = excluded ? "node excluded" : "cooling down until " + cooldownUntil.get();
    }
    if (desired != null && !config.minOffer().fitsIn(desired.usable())) {
      desired = null;
    }
    Offer room = desired;
    if (desired != null && claimed(desired.source()) && !showsClaim(n, desired.source())) {
      // as for a lent node: offered once the node shows this installation's claim, so room two
      // installations claimed at the same moment is offered only by the one whose claim stands
      desired = null;
      none = "room of " + poolOf(room.source()) + "; waiting for the node to show the claim";
    }
    publish(c, name, rt, desired, none, changeNanos);
    if (!(rt.state instanceof Lent)) {
      rt.poolLabelSeen = false;
    } else if ("idle".equals(n.labels().get(GleanerKeys.POOL))) {
      rt.poolLabelSeen = true;
    }
    reconcileNode(c, n, rt, room, action, now);
  }

  /**
   * The sources whose room is offered under this installation's claim on the node, besides IDLE:
   * all of them.
   */
  private static boolean claimed(CapacitySource source) {
    return source == CapacitySource.COLOCATION
        || source == CapacitySource.VOLCANO
        || source == CapacitySource.ELASTIC;
  }

  private static String poolOf(CapacitySource source) {
    return source.name().toLowerCase(Locale.ROOT);
  }

  private boolean showsClaim(MemberNodeInfo n, CapacitySource source) {
    return showsClaim(n, poolOf(source));
  }

  private boolean showsClaim(MemberNodeInfo n, String pool) {
    return LendClaim.shows(n.labels(), n.annotations(), config.instance(), pool);
  }

  /**
   * Plans every reachable elastic member together (all of them recomputed in this pass), with the
   * core-hours spent up to now.
   */
  private void planElastic(Map<String, Map<String, Long>> work, Instant now) {
    if (!elasticResumed) {
      elasticResumed = true;
      try {
        histories.loadElasticSpent().ifPresent(s -> elasticBudget.resume(s, now));
      } catch (RuntimeException e) {
        LOG.error(
            "cannot load the elastic budget's spending; today starts at zero: {}", e.toString());
      }
      elasticSavedAt = now;
    }
    List<String> names = new ArrayList<>();
    List<ElasticPlan.Node> nodes = new ArrayList<>();
    for (ClusterRt c : clusters.values()) {
      if (!c.elastic()) {
        continue;
      }
      if (!c.reachable || c.release != null) {
        elasticBudget.forget(c.name, now);
        continue;
      }
      names.add(c.name);
      Map<String, Long> m = work.computeIfAbsent(c.name, k -> new HashMap<>());
      long held = 0;
      for (MemberNodeInfo n : c.cache.nodes()) {
        m.putIfAbsent(n.name(), 0L);
        List<MemberPodInfo> own = new ArrayList<>();
        Resources gleaner = Resources.ZERO;
        for (MemberPodInfo p : c.cache.podsOn(n.name())) {
          if (p.gleanerManaged() && !p.terminated()) {
            gleaner = gleaner.plus(p.requests());
          } else if (!GleanerKeys.SCALE_UP_NAMESPACE.equals(p.namespace())) {
            own.add(p);
          }
        }
        held += gleaner.cpuMillis();
        boolean excluded = "true".equals(n.labels().get(GleanerKeys.EXCLUDE));
        // a node another installation claims is not this one's to offer: its waiting pods ask
        // for scale-up instead
        if (n.ready()
            && !n.unschedulable()
            && !excluded
            && !LendClaim.claimedByAnother(n.labels(), n.annotations(), config.instance())) {
          nodes.add(
              new ElasticPlan.Node(
                  c.name, n.name(), IdleOffers.usable(n, own, config.nodeHeadroom()), gleaner));
        }
      }
      elasticBudget.observe(c.name, now, held);
    }
    names.sort(null);
    double spent = elasticBudget.spentToday(now);
    elasticCoreHours = spent;
    if (!now.isBefore(elasticSavedAt.plus(ELASTIC_SAVE_EVERY))) {
      saveElasticSpent(now);
    }
    ElasticPlan.Plan next =
        ElasticPlan.plan(config.elastic(), spent, names, nodes, nearLineWaiting);
    if (next.reason() != elasticPlan.reason()) {
      LOG.info(
          "elastic: {} ({} near-line pods waiting, {} core-hours spent today of {})",
          next.reason(),
          nearLineWaiting.size(),
          String.format(Locale.ROOT, "%.1f", spent),
          config.elastic().coreHoursPerDay());
    }
    elasticPlan = next;
  }

  /** How often the elastic budget's spending is saved (and on stop): what a crash may lose. */
  static final Duration ELASTIC_SAVE_EVERY = Duration.ofMinutes(1);

  private void saveElasticSpent(Instant now) {
    histories.saveElasticSpent(elasticBudget.spent(now));
    elasticSavedAt = now;
  }

  /** Brings the member's scale-up placeholders in line with the plan. */
  private void reconcilePlaceholders(ClusterRt c, Instant now) {
    Map<String, Resources> creating =
        placeholdersCreating.computeIfAbsent(c.name, k -> new ConcurrentHashMap<>());
    List<Placeholders.Existing> existing = new ArrayList<>();
    Set<String> seen = new java.util.HashSet<>();
    for (MemberPodInfo p : c.cache.pods()) {
      if (GleanerKeys.SCALE_UP_NAMESPACE.equals(p.namespace())
          && Placeholders.isOwn(p.name(), config.instance())
          && !p.terminated()) {
        seen.add(p.name());
        creating.remove(p.name());
        if (!placeholdersDeleting.contains(c.name + "/" + p.name())) {
          existing.add(new Placeholders.Existing(p.name(), p.requests(), !p.node().isEmpty()));
        }
      }
    }
    placeholdersDeleting.removeIf(
        k -> k.startsWith(c.name + "/") && !seen.contains(k.substring(c.name.length() + 1)));
    creating.forEach((name, r) -> existing.add(new Placeholders.Existing(name, r, false)));
    Placeholders.Diff diff = Placeholders.diff(existing, elasticPlan.scaleUp(c.name));
    for (String name : diff.delete()) {
      if (creating.containsKey(name)) {
        continue; // deleted once the member has it
      }
      placeholdersDeleting.add(c.name + "/" + name);
      placeholders
          .delete(c.name, name)
          .whenComplete(
              (v, e) -> {
                if (e != null) {
                  placeholdersDeleting.remove(c.name + "/" + name);
                  LOG.warn("deleting placeholder {}/{} failed: {}", c.name, name, e.toString());
                }
              });
    }
    for (Resources r : diff.create()) {
      String name = Placeholders.name(config.instance(), now.toEpochMilli(), placeholderSeq++);
      creating.put(name, r);
      placeholders
          .create(c.name, name, r)
          .whenComplete(
              (v, e) -> {
                if (e != null) {
                  creating.remove(name);
                  LOG.warn("creating placeholder {}/{} failed: {}", c.name, name, e.toString());
                }
                dirtyClusters.merge(c.name, System.nanoTime(), Math::min);
                wakeup.run();
              });
    }
    if (!diff.isEmpty()) {
      LOG.info(
          "elastic member {}: {} scale-up placeholders created, {} deleted",
          c.name,
          diff.create().size(),
          diff.delete().size());
    }
  }

  private Offer offer(
      ClusterRt c,
      MemberNodeInfo n,
      CapacitySource source,
      Resources usable,
      double risk,
      Instant now) {
    Map<String, String> labels = new HashMap<>();
    n.labels()
        .forEach(
            (k, v) -> {
              if (!k.startsWith(GleanerKeys.PREFIX)) {
                labels.put(k, v);
              }
            });
    return new Offer(
        c.name,
        n.name(),
        source,
        usable,
        labels,
        n.taints(),
        n.zone(),
        Math.max(0, Math.min(1, risk)),
        now,
        n.allocatable());
  }

  private void publish(
      ClusterRt c, String name, NodeRt rt, Offer desired, String reason, long changeNanos) {
    Offer old = rt.offered;
    if (desired == null) {
      if (old != null) {
        rt.offered = null;
        c.meters.offered(old.source(), -old.usable().cpuMillis(), -old.usable().memoryBytes(), -1);
        sink.withdraw(c.name, name, reason, changeNanos);
      }
      return;
    }
    if (desired.sameContent(old)) {
      return;
    }
    rt.offered = desired;
    if (old != null) {
      c.meters.offered(old.source(), -old.usable().cpuMillis(), -old.usable().memoryBytes(), -1);
    }
    c.meters.offered(
        desired.source(), desired.usable().cpuMillis(), desired.usable().memoryBytes(), 1);
    sink.offer(desired, changeNanos);
  }

  /**
   * Brings the node's pool label, claim and annotations in line with the decision; {@code room} is
   * the offer the node has room for, offered or waiting for its claim.
   */
  private void reconcileNode(
      ClusterRt c, MemberNodeInfo n, NodeRt rt, Offer room, Action action, Instant now) {
    String actual = n.labels().get(GleanerKeys.POOL);
    NodePatch patch = null;
    ClaimWrite kind = ClaimWrite.NONE;
    if (action == Action.LEND && rt.state instanceof Lent) {
      if (rt.writing.get() == 0 && !behind(n, rt)) {
        patch = lendPatch((Lent) rt.state, now).ifAt(n.resourceVersion());
        kind = ClaimWrite.TAKE;
      }
      // else decided on a view a write of this node is about to change: the loan is written at
      // the pass after, on the node as it is then (below: lent, its claim never shown)
    } else if (action == Action.RETURN && rt.state instanceof IdleState.Reclaimed r) {
      Map<String, String> labels = new HashMap<>();
      if (actual != null) {
        labels.put(GleanerKeys.POOL, null);
      }
      if (n.labels().containsKey(GleanerKeys.LENT_BY)) {
        labels.put(GleanerKeys.LENT_BY, null);
      }
      Map<String, String> ann = new HashMap<>();
      if (n.annotations().containsKey(GleanerKeys.LENT_RENEWED_AT)) {
        ann.put(GleanerKeys.LENT_RENEWED_AT, null);
      }
      if (annotationTime(n, GleanerKeys.RECLAIMED_AT)
          .filter(t -> !t.isBefore(r.reclaimedAt()))
          .isEmpty()) {
        ann.put(GleanerKeys.RECLAIMED_AT, r.reclaimedAt().toString());
      }
      if (annotationTime(n, GleanerKeys.COOLDOWN_UNTIL)
          .filter(t -> !t.isBefore(r.cooldownUntil()))
          .isEmpty()) {
        ann.put(GleanerKeys.COOLDOWN_UNTIL, r.cooldownUntil().toString());
      }
      patch = labels.isEmpty() && ann.isEmpty() ? null : new NodePatch(labels, ann);
    } else if (rt.writing.get() == 0 && !behind(n, rt)) {
      String wanted =
          rt.state instanceof Lent ? "idle" : room == null ? null : poolOf(room.source());
      if (rt.state instanceof Lent l && !"idle".equals(actual) && !rt.poolLabelSeen) {
        // lent, its claim never shown: written again (the first write failed or was refused)
        patch = lendPatch(l, now).ifAt(n.resourceVersion());
        kind = ClaimWrite.TAKE;
      } else if (rt.state instanceof Lent && "idle".equals(actual) && claimRenewalDue(n, now)) {
        patch = claimPatch("idle", now).ifAt(n.resourceVersion());
        kind = showsClaim(n, "idle") ? ClaimWrite.RENEW : ClaimWrite.TAKE;
      } else if (!(rt.state instanceof Lent)
          && room != null
          && claimed(room.source())
          && (!showsClaim(n, room.source()) || claimRenewalDue(n, now))) {
        patch = claimPatch(wanted, now).ifAt(n.resourceVersion());
        kind = showsClaim(n, room.source()) ? ClaimWrite.RENEW : ClaimWrite.TAKE;
      } else if (!Objects.equals(wanted, actual) && !(rt.state instanceof Lent)) {
        Map<String, String> labels = new HashMap<>();
        labels.put(GleanerKeys.POOL, wanted);
        if (n.labels().containsKey(GleanerKeys.LENT_BY)) {
          labels.put(GleanerKeys.LENT_BY, null);
        }
        Map<String, String> ann = new HashMap<>();
        if (n.annotations().containsKey(GleanerKeys.LENT_RENEWED_AT)) {
          ann.put(GleanerKeys.LENT_RENEWED_AT, null);
        }
        patch = new NodePatch(labels, ann);
      }
    }
    if (patch != null) {
      write(c, n, rt, patch, kind);
    }
  }

  private NodePatch lendPatch(Lent l, Instant now) {
    return new NodePatch(
        Map.of(GleanerKeys.POOL, "idle", GleanerKeys.LENT_BY, config.instance()),
        Map.of(
            GleanerKeys.IDLE_SINCE,
            l.idleSince().toString(),
            GleanerKeys.LENT_AT,
            l.lentAt().toString(),
            GleanerKeys.LENT_RENEWED_AT,
            now.toString()));
  }

  /** This installation's claim on the node's room as {@code pool}, written or renewed now. */
  private NodePatch claimPatch(String pool, Instant now) {
    return new NodePatch(
        Map.of(GleanerKeys.POOL, pool, GleanerKeys.LENT_BY, config.instance()),
        Map.of(GleanerKeys.LENT_RENEWED_AT, now.toString()));
  }

  /** This installation's claim on a node it offers is missing or due for renewal. */
  private boolean claimRenewalDue(MemberNodeInfo n, Instant now) {
    return LendClaim.of(n.labels(), n.annotations())
        .map(claim -> claim.renewalDue(now, config.claimRenewal()))
        .orElse(true);
  }

  /**
   * Another installation claims the node ({@link LendClaim}, ARCHITECTURE.md §5), lent idle or its
   * co-location, Volcano or elastic room: it is not offered, lent, renewed nor returned here, and
   * its idle timer starts afresh once the claim is gone. A claim not renewed within {@link
   * IdleDetectorSettings#claimTtl()} is released (its detector is gone): the pool label and the
   * claim are removed, and the node is judged afresh, the other installation's pods that still run
   * there counting as load.
   */
  private void lentByAnother(
      ClusterRt c, MemberNodeInfo n, NodeRt rt, boolean live, long changeNanos) {
    String owner = n.labels().get(GleanerKeys.LENT_BY);
    if (live && !owner.equals(rt.leftTo)) {
      rt.leftTo = owner;
      c.meters.leftToAnother();
      LOG.info(
          "node {}/{}: installation {} claims its room ({}={}): not offering it",
          c.name,
          n.name(),
          owner,
          GleanerKeys.POOL,
          n.labels().get(GleanerKeys.POOL));
    }
    if (!(rt.state instanceof Active)) {
      if (rt.state instanceof Lent) {
        LOG.info("node {}/{} is lent by installation {}: leaving it", c.name, n.name(), owner);
      }
      setState(c, n.name(), rt, Active.INSTANCE);
      c.meters.transition("reset");
    }
    rt.scheduled = null;
    rt.poolLabelSeen = false;
    publish(c, n.name(), rt, null, "lent by installation " + owner, changeNanos);
    if (live || rt.writing.get() > 0 || behind(n, rt)) {
      return;
    }
    LOG.info(
        "node {}/{}: installation {} has not renewed its claim for {}: releasing the node",
        c.name,
        n.name(),
        owner,
        config.claimTtl());
    Map<String, String> labels = new HashMap<>();
    labels.put(GleanerKeys.POOL, null);
    labels.put(GleanerKeys.LENT_BY, null);
    Map<String, String> ann = new HashMap<>();
    ann.put(GleanerKeys.LENT_RENEWED_AT, null);
    // conditional: a renewal landing meanwhile makes the claim live again, and stays
    write(c, n, rt, new NodePatch(labels, ann).ifAt(n.resourceVersion()), ClaimWrite.RELEASE);
  }

  /**
   * Writes {@code patch}, decided on {@code n}, after the node's earlier writes. Every write that
   * sets or removes a claim is conditional on the version it was decided on, renewals included (an
   * unconditional renewal landing after the descheduler took the node back, or after another
   * installation took a claim of ours that had gone stale, would put the claim back over theirs).
   * The member refusing one with 409 Conflict is no failure: the node changed after the decision
   * (another installation's claim landed first, or anything else), so nothing is retried; the write
   * is counted ({@link IdleMetrics#CLAIM_CONFLICTS}) and the node decided again once the cache
   * shows it as it is now. Nothing is offered on a claim the node does not show, so a refused claim
   * is never offered.
   */
  private void write(ClusterRt c, MemberNodeInfo n, NodeRt rt, NodePatch patch, ClaimWrite kind) {
    String node = n.name();
    String decidedOn = n.resourceVersion();
    rt.writing.incrementAndGet();
    rt.lastWrite =
        rt.lastWrite
            .handle((v, e) -> null)
            .thenCompose(v -> writer.patch(c.name, node, patch))
            .<Void>handle(
                (w, e) -> {
                  boolean conflict = e == null && w.outcome() == NodeWriter.Outcome.CONFLICT;
                  if (conflict
                      || e == null
                          && !w.resourceVersion().isEmpty()
                          && !w.resourceVersion().equals(decidedOn)) {
                    // the cache still showing decidedOn is behind: nothing is decided on it
                    rt.outdated = decidedOn;
                  }
                  if (e == null && !conflict && kind == ClaimWrite.LEAVE && c.release != null) {
                    c.release.released.add(node);
                  }
                  rt.writing.decrementAndGet();
                  if (e != null) {
                    c.meters.writeFailed();
                    LOG.warn(
                        "patching node {}/{} failed (retried on the next change or resync): {}",
                        c.name,
                        node,
                        e.toString());
                  } else if (conflict) {
                    c.meters.claimConflict(kind.tag());
                    LOG.info(
                        "node {}/{} changed after this detector decided on it (version {}): its"
                            + " {} was refused (409 Conflict); decided again on the node as it is",
                        c.name,
                        node,
                        decidedOn,
                        kind.tag());
                    markNode(c.name, node, System.nanoTime());
                  } else if (w.resourceVersion().equals(decidedOn) && !decidedOn.isEmpty()) {
                    // changed nothing, so no echo will mark the node: a write put off behind
                    // this one is decided now
                    markNode(c.name, node, System.nanoTime());
                  }
                  return null;
                });
  }

  /** What a node write does to the node's claim, the tag its conflicts count under. */
  private enum ClaimWrite {
    /** Takes the node for this installation: lends it, or claims its room. */
    TAKE,
    /** Renews this installation's claim. */
    RENEW,
    /** Releases another installation's stale claim. */
    RELEASE,
    /** Removes this installation's claim, its member leaving the installation. */
    LEAVE,
    /** Writes no claim (returns the node, or changes its pool label). */
    NONE;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The cache shows a version of the node this detector knows to be behind (a write of its own
   * changed the node since, or one decided on it was refused): no write is decided on it.
   */
  private static boolean behind(MemberNodeInfo n, NodeRt rt) {
    return !n.resourceVersion().isEmpty() && n.resourceVersion().equals(rt.outdated);
  }

  /** The first sight of a node: its stored timer, or a loan recorded on the node itself. */
  private NodeRt adopt(ClusterRt c, MemberNodeInfo n, Instant now) {
    NodeRt rt = new NodeRt();
    IdleState s = c.stored == null ? null : c.stored.remove(n.name());
    if (s == null) {
      s = Active.INSTANCE;
    }
    if (c.online()
        && !(s instanceof Lent)
        && "idle".equals(n.labels().get(GleanerKeys.POOL))
        && !LendClaim.claimedByAnother(n.labels(), n.annotations(), config.instance())) {
      Instant lentAt = annotationTime(n, GleanerKeys.LENT_AT).orElse(now);
      s = new Lent(annotationTime(n, GleanerKeys.IDLE_SINCE).orElse(lentAt), lentAt);
      LOG.info(
          "node {}/{} is labelled {}=idle: adopting it as lent since {}",
          c.name,
          n.name(),
          GleanerKeys.POOL,
          lentAt);
    }
    if (!c.online() && !(s instanceof Active)) {
      s = Active.INSTANCE;
    }
    rt.state = s;
    if (s instanceof Lent l) {
      rt.poolLabelSeen =
          "idle".equals(n.labels().get(GleanerKeys.POOL))
              || annotationTime(n, GleanerKeys.LENT_AT)
                  .filter(t -> t.equals(l.lentAt()))
                  .isPresent();
    }
    c.meters.stateEntered(s.kind(), 1);
    return rt;
  }

  private void setState(ClusterRt c, String node, NodeRt rt, IdleState to) {
    c.meters.stateEntered(rt.state.kind(), -1);
    c.meters.stateEntered(to.kind(), 1);
    rt.state = to;
    store.save(c.name, node, to);
  }

  private void schedule(ClusterRt c, String node, NodeRt rt) {
    Optional<Instant> due = machine.deadline(rt.state);
    if (due.isEmpty()) {
      rt.scheduled = null;
      return;
    }
    if (!due.get().equals(rt.scheduled)) {
      rt.scheduled = due.get();
      deadlines.add(new Due(due.get(), new NodeRef(c.name, node)));
    }
  }

  private Optional<ReclaimSignal> reclaimSignal(MemberNodeInfo n, NodeRt rt, Instant now) {
    Optional<Instant> reclaimedAt = annotationTime(n, GleanerKeys.RECLAIMED_AT);
    if (reclaimedAt.isPresent()) {
      return Optional.of(
          new ReclaimSignal(reclaimedAt.get(), annotationTime(n, GleanerKeys.COOLDOWN_UNTIL)));
    }
    if (rt.state instanceof Lent
        && rt.poolLabelSeen
        && !"idle".equals(n.labels().get(GleanerKeys.POOL))) {
      return Optional.of(new ReclaimSignal(now, Optional.empty()));
    }
    return Optional.empty();
  }

  private OptionalLong onlineUsage(
      ClusterRt c, MemberNodeInfo n, NodeRt rt, Collection<MemberPodInfo> pods, Instant now) {
    return rt.usage.evaluate(
        c.cache.nodeUsage(n.name()),
        pods,
        c.cache.podUsage(),
        now,
        config.colocation().metricsMaxAge());
  }

  /**
   * Records the node's online demand into its history and the member's (both sums kept
   * incrementally), and saves a history once an hour of it has completed.
   */
  private void record(ClusterRt c, String name, NodeRt rt, NodeLoad load, Instant now) {
    if (rt.history == null) {
      OnlineHistory stored = c.storedHistories == null ? null : c.storedHistories.remove(name);
      rt.history = stored != null ? stored : new OnlineHistory();
    }
    long requests = load.onlineRequests().cpuMillis();
    long usage = load.onlineCpuUsageMillis().orElse(0);
    c.onlineRequests += requests - rt.onlineRequests;
    c.onlineUsage += usage - rt.onlineUsage;
    rt.onlineRequests = requests;
    rt.onlineUsage = usage;
    c.historyDirty = true;
    long hour = HourlyPeaks.hourOf(now);
    if (rt.historySavedHour != Long.MIN_VALUE && hour > rt.historySavedHour) {
      histories.saveNode(c.name, name, rt.history);
    }
    if (rt.historySavedHour == Long.MIN_VALUE || hour > rt.historySavedHour) {
      rt.historySavedHour = hour;
    }
    rt.history.record(now, requests, load.onlineCpuUsageMillis());
  }

  /**
   * Records the member's online demand (the sums over its nodes, once the pass updated them all, so
   * a pod moving between nodes is never counted twice) and saves it once an hour has completed.
   */
  private void recordMember(ClusterRt c, Instant now) {
    long hour = HourlyPeaks.hourOf(now);
    if (c.historySavedHour != Long.MIN_VALUE && hour > c.historySavedHour) {
      histories.saveMember(c.name, c.history);
    }
    if (c.historySavedHour == Long.MIN_VALUE || hour > c.historySavedHour) {
      c.historySavedHour = hour;
    }
    c.history.record(now, c.onlineRequests, OptionalLong.of(c.onlineUsage));
    c.historyDirty = false;
  }

  /**
   * Saves every online history as it stands, the hour in progress included, and the elastic
   * budget's spending (on an orderly stop, so a successor resumes with them). Call from the
   * detector thread.
   */
  public void saveHistories() {
    if (elasticResumed) {
      saveElasticSpent(clock.instant());
    }
    for (ClusterRt c : clusters.values()) {
      if (!c.online()) {
        continue;
      }
      histories.saveMember(c.name, c.history);
      c.nodes.forEach(
          (name, rt) -> {
            if (rt.history != null) {
              histories.saveNode(c.name, name, rt.history);
            }
          });
    }
  }

  /** The forecast verdicts on the member's lent nodes, from the states before this pass. */
  private Map<String, RoomForecast.Verdict> forecastRoom(ClusterRt c, Instant now) {
    EffectivePolicy.Forecast f = config.forecast();
    return RoomForecast.plan(
        loadForecast(), now, f.leadTime(), roomHorizon(f), c.history, forecastNodes(c));
  }

  /**
   * The member's idle nodes (idle-observed before this pass) lent without waiting for {@code
   * idleAfter}: all of them once the member has a forecast ({@link RoomForecast#lendableAtOnce}).
   */
  private Set<String> lendableEarly(ClusterRt c, Instant now) {
    return RoomForecast.lendableAtOnce(
        loadForecast(), now, c.history, nodesIn(c, IdleObserved.class));
  }

  /**
   * The member's nodes cooling down after a return (before this pass) that may be lent again once
   * idle, before their cool-down ends ({@link RoomForecast#lendableInCoolDown}).
   */
  private Set<String> lendableInCoolDown(ClusterRt c, Instant now) {
    return RoomForecast.lendableInCoolDown(
        loadForecast(), now, c.history, nodesIn(c, Reclaimed.class));
  }

  /** The member's nodes whose state is of {@code kind}. */
  private static Set<String> nodesIn(ClusterRt c, Class<? extends IdleState> kind) {
    Set<String> out = new HashSet<>();
    c.nodes.forEach(
        (name, rt) -> {
          if (kind.isInstance(rt.state)) {
            out.add(name);
          }
        });
    return out;
  }

  private LoadForecast loadForecast() {
    return new LoadForecast(PeakForecast.of(config.forecast()));
  }

  private static int roomHorizon(EffectivePolicy.Forecast f) {
    return (int) Math.max(ROOM_HORIZON_HOURS, f.leadTime().toHours() + 1);
  }

  /** The member's nodes as the room forecast sees them, from the states before this pass. */
  private List<RoomForecast.Node> forecastNodes(ClusterRt c) {
    List<RoomForecast.Node> nodes = new ArrayList<>();
    for (MemberNodeInfo n : c.cache.nodes()) {
      NodeRt rt = c.nodes.get(n.name());
      Collection<MemberPodInfo> pods = c.cache.podsOn(n.name());
      long alloc = n.allocatable().cpuMillis();
      long online = IdleOffers.onlineRequests(pods).cpuMillis();
      long held = IdleOffers.memberRequests(pods).cpuMillis() - online;
      OnlineHistory h = rt != null && rt.history != null ? rt.history : new OnlineHistory();
      Optional<Instant> lentAt =
          rt != null && rt.state instanceof Lent l ? Optional.of(l.lentAt()) : Optional.empty();
      long gleaner = IdleOffers.gleanerRequests(pods).cpuMillis();
      nodes.add(
          new RoomForecast.Node(
              n.name(), alloc, held, gleaner, online, lentAt, n.ready() && !n.unschedulable(), h));
    }
    return nodes;
  }

  private static Optional<Instant> annotationTime(MemberNodeInfo n, String key) {
    String v = n.annotations().get(key);
    return v == null ? Optional.empty() : KubeModel.parseTime(v);
  }

  /** Nodes of a cluster by state, for tests and benches. */
  public Map<IdleState.Kind, Long> countByState(String cluster) {
    ClusterRt c = clusters.get(cluster);
    Map<IdleState.Kind, Long> out = new java.util.EnumMap<>(IdleState.Kind.class);
    if (c != null) {
      for (NodeRt rt : new ArrayList<>(c.nodes.values())) {
        out.merge(rt.state.kind(), 1L, Long::sum);
      }
    }
    return out;
  }
}
