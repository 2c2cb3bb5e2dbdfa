package io.gleaner.vk.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.PodSecurityLevel;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.fair.Wait;
import io.gleaner.meta.resources.Resources;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.PodValidator;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the metadata pods bound to the virtual node in member clusters (ARCHITECTURE.md §4 steps
 * 4–5, §6). This class wires the parts together and runs their lifecycle:
 *
 * <ul>
 *   <li>{@link PodInformers}: the caches of metadata and member pods, looked up by metadata pod
 *       UID, following the members as they come and go;
 *   <li>{@link PodQueues}: the work queues, one per concern, each keyed by metadata pod UID with
 *       its own workers and backoff, and which informer event goes to which;
 *   <li>{@link SyncHandler} (sync and resync queues): validate → place ({@link PlacementStep}) →
 *       copy ConfigMaps/Secrets and create the member pod ({@link MemberPodCreator}) → confirm;
 *   <li>{@link StatusHandler} (status queue): mirror the member pod into the metadata pod's status,
 *       detect reclaims and pods the member cannot schedule;
 *   <li>{@link DeleteHandler} (delete queue): propagate graceful deletion to the member, then
 *       remove the metadata pod;
 *   <li>the periodic sweeps: {@link UnreachableSweep}, {@link MemberDrain}, {@link
 *       GoneMemberSweep}, {@link GarbageCollector} and the pod gauges ({@link PodCounts}).
 * </ul>
 *
 * Handlers for one pod never run concurrently ({@link PodLocks}). Transient errors are retried with
 * backoff forever; they never fail a pod. All state beyond the informer stores is a small {@link
 * TrackedPod} per pod, rebuilt after a restart from the member pods' {@code gleaner.io/meta-uid}
 * labels; member pod names are derived from the metadata pod UID, so a create after a restart
 * answers "already exists" and the pod is adopted, never duplicated.
 */
public final class PodController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodController.class);

  /** Membership is also re-read this often (clock time), should a change event be missed. */
  private static final Duration MEMBERSHIP_RESYNC = Duration.ofSeconds(30);

  private final KubernetesClient meta;
  private final MemberClusters members;
  private final Clock clock;
  private final UnaryOperator<Duration> toReal;
  private final VkMetrics metrics;
  private final PodControllerConfig config;
  private final String nodeName;
  private final String instance;

  private final Map<String, TrackedPod> tracked = new ConcurrentHashMap<>();
  private final PodInformers informers;
  private final PodQueues queues;
  private volatile java.util.function.BooleanSupplier mayAct = () -> true;
  private final BrokerView brokerView;
  private final SyncHandler syncHandler;
  private final StatusHandler statusHandler;
  private final DeleteHandler deleteHandler;
  private final UnreachableSweep unreachable;
  private final GarbageCollector gc;
  private final MemberDrain drain;
  private final GoneMemberSweep gone;
  private final ScheduledExecutorService periodic;
  private final FairGate fairGate = new FairGate();
  private volatile Supplier<PodSecurityLevel> podSecurity =
      () -> EffectivePolicy.DEFAULTS.podSecurity();
  private volatile EventMirror eventMirror;

  public PodController(
      KubernetesClient meta,
      MemberClusters members,
      BrokerApiClient broker,
      MemberPodTranslator translator,
      Clock clock,
      UnaryOperator<Duration> toReal,
      VkMetrics metrics,
      PodControllerConfig config) {
    this.meta = meta;
    this.members = members;
    this.clock = clock;
    this.toReal = toReal;
    this.metrics = metrics;
    this.config = config;
    this.nodeName = translator.config().node().name();
    this.instance = translator.config().instance();
    Duration gcMinAge = config.gcMinAgeOn(clock);
    ObjectSync objectSync =
        new ObjectSync(meta, instance, clock, gcMinAge, () -> podSecurity.get());
    PodValidator validator = new PodValidator(() -> podSecurity.get());
    PodLocks locks = new PodLocks(nodeName);
    MetaPodWriter writer = new MetaPodWriter(meta, metrics);
    this.informers = new PodInformers(meta, members, nodeName, instance);
    this.queues = new PodQueues(config, tracked, informers);
    informers.reportTo(queues);
    this.brokerView = new BrokerView(broker);
    PlacementStep placement =
        new PlacementStep(
            broker, translator, writer, queues, metrics, clock, toReal, config, fairGate);
    MemberPodGroups podGroups = new MemberPodGroups(instance, clock, gcMinAge);
    GangRecovery gangRecovery =
        new GangRecovery(
            informers, queues, tracked, members, broker, placement, writer, metrics, clock, toReal,
            config);
    MemberPodCreator creator =
        new MemberPodCreator(
            members,
            broker,
            translator,
            objectSync,
            podGroups,
            writer,
            placement,
            gangRecovery,
            queues,
            tracked,
            metrics,
            clock);
    this.syncHandler =
        new SyncHandler(
            informers,
            queues,
            locks,
            tracked,
            broker,
            brokerView,
            validator,
            writer,
            placement,
            new GangStep(
                meta,
                informers,
                broker,
                translator,
                writer,
                queues,
                locks,
                tracked,
                fairGate,
                metrics,
                clock,
                toReal,
                config,
                validator,
                placement,
                gangRecovery),
            creator,
            metrics,
            clock);
    this.statusHandler =
        new StatusHandler(
            informers,
            queues,
            locks,
            tracked,
            members,
            broker,
            translator,
            objectSync,
            writer,
            placement,
            gangRecovery,
            metrics,
            clock);
    this.deleteHandler =
        new DeleteHandler(
            meta, informers, locks, tracked, members, broker, translator, metrics, toReal, config);
    this.unreachable =
        new UnreachableSweep(informers, queues, locks, tracked, members, broker, writer, clock);
    this.gc =
        new GarbageCollector(
            meta, informers, tracked, members, objectSync, podGroups, metrics, clock, gcMinAge);
    this.drain =
        new MemberDrain(
            meta,
            informers,
            locks,
            tracked,
            members,
            broker,
            writer,
            metrics,
            clock,
            () -> EffectivePolicy.DEFAULTS.memberUnreachableTimeout());
    this.gone = new GoneMemberSweep(informers, queues, tracked, members, clock);
    this.periodic = Executors.newSingleThreadScheduledExecutor(WorkQueue.threads("vk-periodic"));
    SyncHandler sync = this.syncHandler;
    fairGate.controller(
        new FairGate.Controller() {
          @Override
          public FairGate.Tried tryPlace(String uid) {
            return sync.tryPlaceInTurn(uid);
          }

          @Override
          public void showWait(String uid, Optional<Wait> wait) {
            sync.showWait(uid, wait);
          }

          @Override
          public Map<String, Resources> usage(Teams teams) {
            return sync.usage(teams);
          }
        });
  }

  /**
   * Test seam: {@code dispatch} runs each member pod's delete notice, which the member informer
   * hands on after it dropped the pod from its cache.
   */
  void dispatchMemberDeleteNotices(java.util.function.Consumer<Runnable> dispatch) {
    informers.dispatchMemberDeleteNotices(dispatch);
  }

  /** Test seam: one status sync of the metadata pod {@code uid}, on the caller's thread. */
  WorkQueue.Result syncStatus(String uid) {
    return statusHandler.handleStatus(uid);
  }

  /**
   * Starts watching, then acting: what a single replica, or the leader without a warm standby,
   * does.
   */
  public void start() {
    startWatching();
    startActing();
  }

  /**
   * Starts the member informers and the metadata informer and waits until the metadata informer has
   * listed (and the members, for at most {@link PodInformers#MEMBER_LIST_WAIT}), without acting on
   * what they see: a standby replica calls this ahead of winning the election, so that taking over
   * costs no re-list. From then on members added, removed or reconnected in {@link MemberClusters}
   * get or lose their informer without a restart.
   */
  public void startWatching() {
    members.addChangeListener(
        () -> {
          try {
            periodic.execute(this::safeSyncMembers);
          } catch (RejectedExecutionException e) {
            log.debug("membership change after close ignored");
          }
        });
    informers.start();
    long resyncMs = Math.max(50, toReal.apply(MEMBERSHIP_RESYNC).toMillis());
    periodic.scheduleWithFixedDelay(
        this::safeSyncMembers, resyncMs, resyncMs, TimeUnit.MILLISECONDS);
  }

  private void safeSyncMembers() {
    try {
      syncMembers();
    } catch (RuntimeException e) {
      log.warn("following member clusters failed: {}", e.toString());
    }
  }

  /** Brings the member informers (and the event mirror) in line with {@link MemberClusters}. */
  synchronized void syncMembers() {
    informers.syncMembers();
    EventMirror mirror = eventMirror;
    if (mirror != null) {
      mirror.syncMembers();
    }
  }

  /** The members whose pods are watched. */
  public Set<String> watchedMembers() {
    return informers.watchedMembers();
  }

  /**
   * Acts on what the informers hold (state is rebuilt from them before any create, as after a
   * restart), then on every change: loads the broker's view, routes every cached pod to its queue,
   * starts the queues and periodic sweeps.
   */
  public void startActing() {
    if (!informers.started()) {
      throw new IllegalStateException("startWatching() first");
    }
    if (queues.acting()) {
      return;
    }
    brokerView.load(informers.watchedMembers());
    queues.act();
    if (config.mirrorEvents()) {
      eventMirror =
          new EventMirror(
              meta,
              members,
              informers::metaPodForMember,
              clock,
              metrics,
              config.eventsPerSecond(),
              nodeName);
      eventMirror.start();
    }
    queues.start(
        syncHandler::handleSync,
        syncHandler::handleResync,
        statusHandler::handleStatus,
        deleteHandler::handleDelete);
    long gcMs = toReal.apply(config.gcInterval()).toMillis();
    periodic.scheduleWithFixedDelay(this::safeGc, gcMs, gcMs, TimeUnit.MILLISECONDS);
    long roundMs = Math.max(50, toReal.apply(config.noFitRetry()).toMillis());
    periodic.scheduleWithFixedDelay(
        fairGate::requestRound, roundMs, roundMs, TimeUnit.MILLISECONDS);
    long sweepMs = Math.max(50, toReal.apply(Duration.ofSeconds(5)).toMillis());
    periodic.scheduleWithFixedDelay(this::safeSweep, sweepMs, sweepMs, TimeUnit.MILLISECONDS);
    log.info(
        "pod controller acting for node {} (instance {}, {} member clusters, {} pods cached)",
        nodeName,
        instance,
        informers.memberInformers().size(),
        informers.metaPodCount());
  }

  /**
   * Acting pauses while {@code mayAct} does not hold: the queues put their keys back and the
   * periodic sweeps skip their turn (a leader whose lease has run out, or whose ZooKeeper
   * connection is suspended). Writes are refused anyway by the clients' fencing; this keeps the
   * controller from treating the refusals as failures. Call before {@link #startActing()}.
   */
  public void pauseUnless(java.util.function.BooleanSupplier mayAct) {
    this.mayAct = java.util.Objects.requireNonNull(mayAct, "mayAct");
    queues.pauseUnless(mayAct);
  }

  /** How many metadata pods the cache holds (no decoding). */
  public int metaPodCount() {
    return informers.metaPodCount();
  }

  /** True once {@link #startActing()} ran: queues and sweeps are live. */
  public boolean isActing() {
    return queues.acting();
  }

  /** Capacity changed: pods waiting for room get another chance now. */
  public void capacityChanged() {
    queues.capacityChanged(fairGate::isWaiting);
    if (queues.acting()) {
      fairGate.capacityChanged();
    }
  }

  /**
   * Where fair placement takes the teams (the GleanerPolicy's, by default the built-in policy's:
   * one team) and the harvested pool (what the broker's members offer in all; by default none,
   * which ranks teams by guarantee, class and age only); both are read at every round.
   */
  public void fairness(Supplier<Teams> teams, Supplier<Resources> pool) {
    fairGate.teams(teams);
    fairGate.pool(pool);
  }

  /**
   * The most CPU one member node has free now (the broker's largest placeable shape, null when
   * unknown): a waiting pod asking for more is passed over in a fair round without a call to the
   * broker, which keeps rounds short when the harvest is full.
   */
  public void largestFree(Supplier<Resources> largest) {
    fairGate.largestFree(largest);
  }

  /**
   * The room the broker's members have free in all (null when unknown): a capacity change that adds
   * room stops a fair round under way so the next ranks every pod again; one that only takes room
   * (a reservation) lets it go on. Without it, every change stops the round.
   */
  public void freeRoom(Supplier<Resources> free) {
    fairGate.freeRoom(free);
  }

  // ---------------------------------------------------------------------------------------------
  // periodic: unreachable members, leaving members, member pods gone, orphan GC, pod gauges

  private void safeSweep() {
    if (!mayAct.getAsBoolean()) {
      return;
    }
    try {
      sweepUnreachable();
      drain.sweep();
      gone.sweep();
      countPods();
    } catch (RuntimeException e) {
      log.warn("unreachable sweep failed: {}", e.toString());
    }
  }

  /**
   * Where the member unreachable timeout comes from (by default the built-in GleanerPolicy's); read
   * at every sweep, so a policy change applies to members already unreachable.
   */
  public void unreachableTimeout(Supplier<Duration> timeout) {
    unreachable.timeout(timeout);
    drain.unreachableTimeout(timeout);
  }

  /**
   * Where the Pod Security Standard level comes from (by default the built-in GleanerPolicy's): the
   * level metadata pods must meet and the Pod Security Admission label of member namespaces Gleaner
   * creates; read at every pod.
   */
  public void podSecurity(Supplier<PodSecurityLevel> level) {
    this.podSecurity = level;
  }

  void sweepUnreachable() {
    unreachable.sweep();
  }

  private void countPods() {
    if (informers.started()) {
      PodCounts.publish(PodCounts.count(informers.metaPodTags()), metrics);
    }
  }

  private void safeGc() {
    if (!mayAct.getAsBoolean()) {
      return;
    }
    try {
      collectOrphans();
      collectUnusedCopies();
      collectPodGroups();
    } catch (RuntimeException e) {
      log.warn("orphan GC failed: {}", e.toString());
    }
  }

  /**
   * Deletes this installation's copies of ConfigMaps and Secrets that no member pod of it (member
   * caches) references any more; a member's own objects are never listed. Returns how many.
   */
  public int collectUnusedCopies() {
    return gc.collectUnusedCopies();
  }

  /**
   * Deletes member pods of this installation (informers are scoped by the instance label) whose
   * metadata pod is gone, or that duplicate a pod tracked in another cluster, or whose metadata pod
   * Gleaner has failed. Returns how many.
   */
  public int collectOrphans() {
    return gc.collectOrphans();
  }

  /**
   * Deletes this installation's PodGroups in the members that no member pod of it names any more
   * (the gang finished, was deleted or reclaimed); another's or a member's own are never listed.
   * Returns how many.
   */
  public int collectPodGroups() {
    return gc.collectPodGroups();
  }

  // ---------------------------------------------------------------------------------------------
  // introspection for the kubelet API, the bench and tests

  /** Number of pods the controller tracks beyond the informer stores. */
  public int trackedCount() {
    return tracked.size();
  }

  /** Where a metadata pod's member pod lives, if known: cluster, namespace, name. */
  public Optional<MemberRef> memberOf(String metaNamespace, String metaName) {
    Pod pod = informers.metaPodByName(metaNamespace, metaName);
    if (pod == null) {
      return Optional.empty();
    }
    return informers
        .memberPodAnywhere(pod.getMetadata().getUid())
        .map(
            l ->
                new MemberRef(
                    l.cluster(),
                    l.pod().getMetadata().getNamespace(),
                    l.pod().getMetadata().getName(),
                    l.pod()));
  }

  /** A member pod's location and its cached object. */
  public record MemberRef(String cluster, String namespace, String name, Pod pod) {}

  /** The metadata pods bound to the node (informer cache, no copy). */
  public Collection<Pod> metaPods() {
    return informers.metaPods();
  }

  /**
   * The metadata pods bound to the node that are not finished, as fair admission counts them (kept
   * from the informer's events, no decoding).
   */
  public Collection<io.gleaner.vk.admission.BoundPod> boundPods() {
    return informers.boundPods();
  }

  /** Objects and bytes the informer caches hold (compact form), for the bench and tests. */
  public long[] cacheFootprint() {
    return informers.footprint();
  }

  /** Member pods per cluster (informer caches). */
  public Map<String, List<Pod>> memberPods() {
    return informers.memberPods();
  }

  @Override
  public void close() {
    periodic.shutdownNow();
    fairGate.close();
    queues.close();
    if (eventMirror != null) {
      eventMirror.close();
    }
    informers.close();
  }
}
