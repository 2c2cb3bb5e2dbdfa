package io.gleaner.vk.pod;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.NoFit;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.informer.CompactItemStore;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.time.Durations;
import io.gleaner.vk.translate.MemberNames;
import io.gleaner.vk.translate.MemberPodState;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.NamespaceMapping;
import io.gleaner.vk.translate.NodeFailureTolerations;
import io.gleaner.vk.translate.PodAdmission;
import io.gleaner.vk.translate.PodReferences;
import io.gleaner.vk.translate.PodShapes;
import io.gleaner.vk.translate.PodValidator;
import io.gleaner.vk.translate.StatusMirror;
import io.gleaner.vk.translate.WorkloadClasses;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs the metadata pods bound to the virtual node in member clusters (ARCHITECTURE.md §4 steps
 * 4–5, §6).
 *
 * <p>Three work queues, one per concern, each keyed by metadata pod UID and each with its own
 * workers and backoff:
 *
 * <ul>
 *   <li>sync: validate → place (broker) → copy ConfigMaps/Secrets → create the member pod →
 *       confirm;
 *   <li>status: mirror the member pod into the metadata pod's status, detect reclaims and estimate
 *       misses;
 *   <li>delete: propagate graceful deletion to the member, then remove the metadata pod.
 * </ul>
 *
 * Handlers for one pod never run concurrently (striped locks). Transient errors are retried with
 * backoff forever; they never fail a pod. All state beyond the informer stores is a small {@link
 * TrackedPod} per pod, rebuilt after a restart from the member pods' {@code gleaner.io/meta-uid}
 * labels; member pod names are derived from the metadata pod UID, so a create after a restart
 * answers "already exists" and the pod is adopted, never duplicated.
 */
public final class PodController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodController.class);
  private static final List<String> CLEARED_STATUS_FIELDS =
      List.of(
          "reason",
          "message",
          "podIP",
          "podIPs",
          "hostIP",
          "hostIPs",
          "nominatedNodeName",
          "containerStatuses",
          "initContainerStatuses",
          "ephemeralContainerStatuses");

  private final KubernetesClient meta;
  private final MemberClusters members;
  private final BrokerApiClient broker;
  private final MemberPodTranslator translator;
  private final PodValidator validator = new PodValidator();
  private final ObjectSync objectSync;
  private final Clock clock;
  private final UnaryOperator<Duration> toReal;
  private final VkMetrics metrics;
  private final PodControllerConfig config;
  private final String nodeName;
  private final String instance;

  private final Map<String, TrackedPod> tracked = new ConcurrentHashMap<>();

  /**
   * The informer caches: compact (a few hundred bytes per pod), looked up by metadata pod UID in
   * the same step as each update; the metadata store also keeps each pod's "phase|class" so
   * counting never decodes the cache.
   */
  private final CompactItemStore<Pod> metaStore =
      new CompactItemStore<>(
          Pod.class,
          Cache::metaNamespaceKeyFunc,
          p -> p.getMetadata().getUid(),
          PodController::phaseAndClass);

  private final Map<String, CompactItemStore<Pod>> memberStores = new ConcurrentHashMap<>();

  /** False while only watching (a warm standby): informer events are not acted on. */
  private volatile boolean acting;

  private final ReentrantLock[] stripes = new ReentrantLock[256];
  private final Map<String, SharedIndexInformer<Pod>> memberInformers = new ConcurrentHashMap<>();

  /** The client each member informer was built on: a new client (new kubeconfig) rebuilds it. */
  private final Map<String, KubernetesClient> memberClients = new ConcurrentHashMap<>();

  private final Map<String, java.util.concurrent.CompletableFuture<Void>> memberLists =
      new ConcurrentHashMap<>();

  /**
   * How long a start waits for the members' first lists (real time), so that a restart adopts what
   * they hold instead of placing again; a member still not listed by then is used once it lists,
   * and delays nothing else.
   */
  private static final Duration MEMBER_LIST_WAIT = Duration.ofSeconds(3);

  /** Membership is also re-read this often (clock time), should a change event be missed. */
  private static final Duration MEMBERSHIP_RESYNC = Duration.ofSeconds(30);

  private final Map<String, Long> unreachableSince = new ConcurrentHashMap<>();

  /** The GleanerPolicy's memberUnreachableTimeout, read at every sweep. */
  private volatile java.util.function.Supplier<Duration> unreachableTimeout =
      () -> io.gleaner.meta.crd.EffectivePolicy.DEFAULTS.memberUnreachableTimeout();

  private final Map<String, Boolean> confirmedAtStart = new ConcurrentHashMap<>();
  private final java.util.Set<String> listedAtStart = ConcurrentHashMap.newKeySet();
  private final WorkQueue<String> syncQueue;
  private final WorkQueue<String> resyncQueue;
  private final WorkQueue<String> statusQueue;
  private final WorkQueue<String> deleteQueue;
  private final ScheduledExecutorService periodic;
  private volatile EventMirror eventMirror;
  private SharedIndexInformer<Pod> metaInformer;

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
    this.broker = broker;
    this.translator = translator;
    this.clock = clock;
    this.toReal = toReal;
    this.metrics = metrics;
    this.config = config;
    this.nodeName = translator.config().node().name();
    this.instance = translator.config().instance();
    this.objectSync = new ObjectSync(meta, instance, clock, config.gcMinAge());
    for (int i = 0; i < stripes.length; i++) {
      stripes[i] = new ReentrantLock();
    }
    this.syncQueue =
        new WorkQueue<>("vk-sync", config.syncWorkers(), config.retryBase(), config.retryMax());
    this.resyncQueue =
        new WorkQueue<>("vk-resync", config.resyncWorkers(), config.retryBase(), config.retryMax());
    this.statusQueue =
        new WorkQueue<>("vk-status", config.statusWorkers(), config.retryBase(), config.retryMax());
    this.deleteQueue =
        new WorkQueue<>("vk-delete", config.deleteWorkers(), config.retryBase(), config.retryMax());
    this.periodic = Executors.newSingleThreadScheduledExecutor(WorkQueue.threads("vk-periodic"));
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
   * listed (and the members, for at most {@link #MEMBER_LIST_WAIT}), without acting on what they
   * see: a standby replica calls this ahead of winning the election, so that taking over costs no
   * re-list. From then on members added, removed or reconnected in {@link MemberClusters} get or
   * lose their informer without a restart.
   */
  public void startWatching() {
    members.addChangeListener(
        () -> {
          try {
            periodic.execute(this::safeSyncMembers);
          } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("membership change after close ignored");
          }
        });
    syncMembers();
    metaInformer =
        meta.pods()
            .inAnyNamespace()
            .withField("spec.nodeName", nodeName)
            .runnableInformer(0)
            .itemStore(metaStore);
    metaInformer
        .removeNamespaceIndex(); // nothing looks pods up by namespace; by UID goes through the
    // store
    metaInformer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod pod) {
            if (acting) {
              onMetaChange(pod);
            }
          }

          @Override
          public void onUpdate(Pod old, Pod pod) {
            if (acting) {
              onMetaChange(pod);
            }
          }

          @Override
          public void onDelete(Pod pod, boolean unknownFinalState) {
            if (acting) {
              deleteQueue.add(pod.getMetadata().getUid());
            }
          }
        });
    // every cluster lists at once; a restart waits for the slowest list, not their sum
    metaInformer.start().toCompletableFuture().join();
    try {
      java.util.concurrent.CompletableFuture.allOf(
              memberLists.values().toArray(java.util.concurrent.CompletableFuture[]::new))
          .get(MEMBER_LIST_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      log.warn(
          "member clusters not listed after {}: {}; they are used once they answer",
          MEMBER_LIST_WAIT,
          memberLists.entrySet().stream()
              .filter(l -> !l.getValue().isDone())
              .map(Map.Entry::getKey)
              .toList());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      log.warn("a member informer failed to start: {}", e.getCause().toString());
    }
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

  /**
   * Brings the member informers in line with {@link MemberClusters}: starts one (in the background)
   * for each new member or new client, stops the informers of members that are gone.
   */
  synchronized void syncMembers() {
    java.util.Set<String> names = members.names();
    for (String cluster : names) {
      Optional<KubernetesClient> client = members.client(cluster);
      if (client.isEmpty() || client.get() == memberClients.get(cluster)) {
        continue;
      }
      if (memberInformers.containsKey(cluster)) {
        stopMemberInformer(cluster, "reconnected");
      }
      startMemberInformer(cluster, client.get());
      memberClients.put(cluster, client.get());
      memberLists.put(cluster, memberInformers.get(cluster).start().toCompletableFuture());
      log.info("member cluster {}: watching its pods", cluster);
    }
    for (String cluster : List.copyOf(memberInformers.keySet())) {
      if (!names.contains(cluster)) {
        stopMemberInformer(cluster, "removed");
      }
    }
    EventMirror mirror = eventMirror;
    if (mirror != null) {
      mirror.syncMembers();
    }
  }

  private void stopMemberInformer(String cluster, String why) {
    SharedIndexInformer<Pod> inf = memberInformers.remove(cluster);
    memberClients.remove(cluster);
    memberLists.remove(cluster);
    memberStores.remove(cluster);
    if (inf != null) {
      inf.close();
      log.info("member cluster {}: no longer watching its pods ({})", cluster, why);
    }
  }

  /** The members whose pods are watched. */
  public java.util.Set<String> watchedMembers() {
    return java.util.Set.copyOf(memberInformers.keySet());
  }

  /**
   * Acts on what the informers hold (state is rebuilt from them before any create, as after a
   * restart), then on every change: loads the broker's view, routes every cached pod to its queue,
   * starts the queues and periodic sweeps.
   */
  public void startActing() {
    if (metaInformer == null) {
      throw new IllegalStateException("startWatching() first");
    }
    if (acting) {
      return;
    }
    loadBrokerView();
    acting = true;
    // what the informers saw before acting, routed as their first events would have been, by UID
    // alone: the handlers
    // look at the objects themselves, so a takeover decodes none of the cache here
    metaStore
        .secondaryKeys()
        .forEach(uid -> (hasMemberPod(uid) ? resyncQueue : syncQueue).add(uid));
    memberStores.values().forEach(s -> s.secondaryKeys().forEach(statusQueue::add));
    if (config.mirrorEvents()) {
      eventMirror =
          new EventMirror(
              meta,
              members,
              this::metaPodForMember,
              clock,
              metrics,
              config.eventsPerSecond(),
              nodeName);
      eventMirror.start();
    }
    syncQueue.start(this::handleSync);
    resyncQueue.start(this::handleResync);
    statusQueue.start(this::handleStatus);
    deleteQueue.start(this::handleDelete);
    long gcMs = toReal.apply(config.gcInterval()).toMillis();
    periodic.scheduleWithFixedDelay(this::safeGc, gcMs, gcMs, TimeUnit.MILLISECONDS);
    long sweepMs = Math.max(50, toReal.apply(Duration.ofSeconds(5)).toMillis());
    periodic.scheduleWithFixedDelay(this::safeSweep, sweepMs, sweepMs, TimeUnit.MILLISECONDS);
    log.info(
        "pod controller acting for node {} (instance {}, {} member clusters, {} pods cached)",
        nodeName,
        instance,
        memberInformers.size(),
        metaStore.size());
  }

  /** How many metadata pods the cache holds (no decoding). */
  public int metaPodCount() {
    return metaStore.size();
  }

  /** True once {@link #startActing()} ran: queues and sweeps are live. */
  public boolean isActing() {
    return acting;
  }

  /**
   * After a restart, one ListPlacements per member that has pods replaces a Confirm per adopted
   * pod: reservations the broker already holds as confirmed (or no longer holds at all, which a
   * Confirm would answer NOT_FOUND) need no call.
   */
  private void loadBrokerView() {
    // one call per member, all at once: a takeover waits for the slowest, not their sum
    List<java.util.concurrent.CompletableFuture<Void>> calls = new ArrayList<>();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(8, memberInformers.size())), WorkQueue.threads("vk-broker-view"));
    for (String cluster : memberInformers.keySet()) {
      CompactItemStore<Pod> store = memberStores.get(cluster);
      if (store == null || store.size() == 0) {
        continue;
      }
      calls.add(
          java.util.concurrent.CompletableFuture.runAsync(
              () ->
                  broker
                      .placementsByUid(cluster)
                      .ifPresent(
                          placements -> {
                            placements.forEach(
                                (uid, p) -> confirmedAtStart.put(uid, p.getConfirmed()));
                            listedAtStart.add(cluster);
                          }),
              pool));
    }
    try {
      calls.forEach(java.util.concurrent.CompletableFuture::join);
    } finally {
      pool.shutdown();
    }
  }

  private void startMemberInformer(String cluster, KubernetesClient client) {
    CompactItemStore<Pod> memberStore =
        new CompactItemStore<>(
            Pod.class, Cache::metaNamespaceKeyFunc, PodController::metaUidOf, p -> null);
    memberStores.put(cluster, memberStore);
    SharedIndexInformer<Pod> inf =
        client
            .pods()
            .inAnyNamespace()
            .withLabels(Map.of(GleanerKeys.MANAGED, "true", GleanerKeys.INSTANCE, instance))
            .runnableInformer(0)
            .itemStore(memberStore);
    inf.removeNamespaceIndex();
    // a member that does not answer is retried with fabric8's backoff, for as long as it is a
    // member
    inf.exceptionHandler(
        (started, t) -> {
          log.debug("member cluster {}: pod informer retries after {}", cluster, t.toString());
          return true;
        });
    inf.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod pod) {
            if (acting) {
              enqueueMember(pod);
            }
          }

          @Override
          public void onUpdate(Pod old, Pod pod) {
            if (acting) {
              enqueueMember(pod);
            }
          }

          @Override
          public void onDelete(Pod pod, boolean unknownFinalState) {
            String uid = metaUidOf(pod);
            if (uid != null && acting) {
              statusQueue.add(uid);
              deleteQueue.add(uid);
            }
          }
        });
    memberInformers.put(cluster, inf);
  }

  private void enqueueMember(Pod pod) {
    String uid = metaUidOf(pod);
    if (uid != null) {
      statusQueue.add(uid);
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        deleteQueue.add(uid);
      }
    }
  }

  private void onMetaChange(Pod pod) {
    String uid = pod.getMetadata().getUid();
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      deleteQueue.add(uid);
      return;
    }
    TrackedPod t = tracked.get(uid);
    if (t == null && hasMemberPod(uid)) {
      resyncQueue.add(uid); // after a restart: adopt off the path of new pods
    } else if (t == null || t.state == TrackedPod.State.NEW || t.state == TrackedPod.State.PLACED) {
      syncQueue.add(uid);
    }
  }

  /** Capacity changed: pods waiting for room get another chance now. */
  public void capacityChanged() {
    tracked.forEach(
        (uid, t) -> {
          if (t.state == TrackedPod.State.NEW) {
            syncQueue.add(uid);
          }
        });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // sync

  WorkQueue.Result handleSync(String uid) {
    Pod pod = metaPod(uid);
    if (pod == null) {
      deleteQueue.add(uid);
      return WorkQueue.Result.DONE;
    }
    return withPod(uid, pod, null, () -> sync(uid, pod));
  }

  private WorkQueue.Result sync(String uid, Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      deleteQueue.add(uid);
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
      if (memberPodAnywhere(uid).isPresent()) {
        return WorkQueue.Result.after(Duration.ofMillis(200));
      }
      t.state = TrackedPod.State.NEW;
    }
    Optional<Located> existing = memberPodAnywhere(uid);
    if (existing.isPresent()) {
      adopt(uid, t, existing.get());
      return confirmIfNeeded(uid, t);
    }
    PodAdmission v = validator.validate(pod);
    if (v instanceof PodAdmission.Refused r) {
      writeStatus(
          pod, StatusMirror.failed(pod.getStatus(), r.reason(), r.message(), clock.instant()));
      metrics.sync("refused");
      log.info("refused: {}: {}", r.reason(), r.message());
      tracked.remove(uid);
      return WorkQueue.Result.DONE;
    }
    if (v instanceof PodAdmission.Held h) {
      writeStatus(
          pod, StatusMirror.pending(pod.getStatus(), h.reason(), h.message(), clock.instant()));
      metrics.sync("held");
      return WorkQueue.Result.DONE;
    }
    WorkloadClass cls = ((PodAdmission.Accepted) v).workloadClass();
    tolerateNodeFailures(pod);
    Placement placement;
    if (t.state == TrackedPod.State.PLACED) {
      // a create failed after placing: keep the same target, a timed-out create may have succeeded
      // there
      placement =
          Placement.newBuilder()
              .setPodUid(uid)
              .setWorkloadClass(cls)
              .setNode(io.gleaner.api.v1.NodeRef.newBuilder().setCluster(t.cluster).setNode(t.node))
              .setSource(sourceOf(t))
              .build();
    } else {
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
        return WorkQueue.Result.retry(u.message());
      }
      if (outcome instanceof BrokerApiClient.PlaceOutcome.Rejected r) {
        writeStatus(
            pod,
            StatusMirror.pending(
                pod.getStatus(),
                "PlacementRejected",
                "the broker refused the pod: " + r.message(),
                clock.instant()));
        metrics.sync("rejected");
        return WorkQueue.Result.after(toReal.apply(config.retryMax()));
      }
      if (outcome instanceof BrokerApiClient.PlaceOutcome.NoRoom n) {
        return noRoom(pod, t, n.noFit());
      }
      t.waitingSinceMs = 0;
      placement = ((BrokerApiClient.PlaceOutcome.Placed) outcome).placement();
      t.placeOn(placement.getNode().getCluster(), placement.getNode().getNode());
      t.sourceOrdinal = placement.getSourceValue();
      t.state = TrackedPod.State.PLACED;
      log.debug("placed on {}/{}", t.cluster, t.node);
    }
    String cluster = t.cluster;
    MDC.put("cluster", cluster);
    Optional<KubernetesClient> client = members.client(cluster);
    if (client.isEmpty() || !members.isHealthy(cluster)) {
      return replaceElsewhere(uid, t, "member cluster " + cluster + " is not available", false);
    }
    String metaNs = pod.getMetadata().getNamespace();
    NamespaceMapping mapping = translator.config().namespaces();
    String memberNs;
    try {
      memberNs = mapping.memberNamespace(metaNs);
    } catch (IllegalArgumentException e) {
      return failUnplaced(uid, pod, "InvalidPod", e.getMessage());
    }
    ObjectSync.Outcome synced;
    OwnerReference owner = null;
    try {
      objectSync.ensurePriorityClass(cluster, client.get(), WorkloadClasses.priorityClassName(cls));
      synced =
          objectSync.sync(
              cluster,
              client.get(),
              metaNs,
              memberNs,
              PodReferences.of(pod.getSpec()),
              name -> mapping.memberObjectName(metaNs, name));
      if (synced instanceof ObjectSync.Outcome.Synced) {
        owner = objectSync.owner(cluster, client.get(), memberNs);
      }
    } catch (KubernetesClientException e) {
      metrics.error(cluster, "sync_objects");
      return WorkQueue.Result.retry(
          "copying ConfigMaps/Secrets to " + cluster + ": " + e.getMessage());
    } catch (IllegalStateException e) {
      synced = new ObjectSync.Outcome.Refused(ObjectSync.REASON_CONFLICT, e.getMessage());
    }
    if (synced instanceof ObjectSync.Outcome.Refused r) {
      metrics.sync("refused");
      log.info("refused: {}: {}", r.reason(), r.message());
      return failUnplaced(uid, pod, r.reason(), r.message());
    }
    Pod desired;
    try {
      desired =
          translator.translate(
              pod, placement, ((ObjectSync.Outcome.Synced) synced).absent(), owner);
    } catch (IllegalArgumentException e) {
      return failUnplaced(uid, pod, "InvalidPod", e.getMessage());
    }
    try {
      client.get().pods().inNamespace(memberNs).resource(desired).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        Pod found =
            client
                .get()
                .pods()
                .inNamespace(memberNs)
                .withName(desired.getMetadata().getName())
                .get();
        if (found != null && !uid.equals(metaUidOf(found))) {
          metrics.error(cluster, "name_conflict");
          return WorkQueue.Result.retry(
              "member pod name "
                  + desired.getMetadata().getName()
                  + " is taken by another pod in "
                  + cluster);
        }
        if (found != null && found.getMetadata().getDeletionTimestamp() != null) {
          return WorkQueue.Result.after(
              Duration.ofMillis(200)); // an earlier incarnation is still terminating
        }
        log.info(
            "member pod {}/{} already exists in {}: adopted",
            memberNs,
            desired.getMetadata().getName(),
            cluster);
      } else {
        metrics.error(cluster, "create_pod");
        return WorkQueue.Result.retry("creating member pod in " + cluster + ": " + e.getMessage());
      }
    }
    t.state = TrackedPod.State.CREATED;
    t.createdMs = clock.millis();
    log.debug("member pod {}/{} created in {}", memberNs, desired.getMetadata().getName(), cluster);
    metrics.created(Duration.ofMillis(t.createdMs - t.firstSeenMs));
    metrics.sync("created");
    statusQueue.add(uid);
    return confirmIfNeeded(uid, t);
  }

  /** Gives the reservation back and fails a pod that will never get a member pod. */
  private WorkQueue.Result failUnplaced(String uid, Pod pod, String reason, String message) {
    broker.releaseOutcome(uid, reason);
    tracked.remove(uid);
    writeStatus(pod, StatusMirror.failed(pod.getStatus(), reason, message, clock.instant()));
    return WorkQueue.Result.DONE;
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
    writeStatus(
        pod,
        StatusMirror.pending(pod.getStatus(), PodValidator.REASON_NO_FIT, why, clock.instant()));
    metrics.sync("no_fit");
    Duration next = left.compareTo(config.noFitRetry()) < 0 ? left : config.noFitRetry();
    return WorkQueue.Result.after(toReal.apply(next));
  }

  /** Fails a pod Gleaner never placed; it is done with it (no later sync places it after all). */
  private void fail(Pod pod, TrackedPod t, String reason, String message) {
    writeStatus(pod, StatusMirror.failed(pod.getStatus(), reason, message, clock.instant()));
    t.state = TrackedPod.State.ABANDONED;
    t.released = true; // nothing reserved
  }

  /**
   * Since when the pod has been waiting for room, as its status says (PodScheduled=False with
   * reason NoMemberFit): a waiting pod keeps its deadline across restarts and takeovers.
   */
  private static Optional<Long> waitingSince(Pod pod) {
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

  /**
   * Adoption after a restart, on its own queue so that thousands of existing pods re-listed by the
   * informers never delay a newly bound pod: rebuild the tracked state from the member pod, confirm
   * the reservation (idempotent at the broker) and mirror what changed while no virtual-kubelet was
   * watching.
   */
  WorkQueue.Result handleResync(String uid) {
    Pod pod = metaPod(uid);
    if (pod == null) {
      deleteQueue.add(uid);
      return WorkQueue.Result.DONE;
    }
    return withPod(
        uid,
        pod,
        null,
        () -> {
          if (pod.getMetadata().getDeletionTimestamp() != null) {
            deleteQueue.add(uid);
            return WorkQueue.Result.DONE;
          }
          TrackedPod t = tracked.get(uid);
          if (t != null && t.state != TrackedPod.State.NEW) {
            return WorkQueue.Result.DONE; // the live path got there first
          }
          Optional<Located> existing = memberPodAnywhere(uid);
          if (existing.isEmpty()) {
            syncQueue.add(uid);
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

  private void adopt(String uid, TrackedPod t, Located found) {
    t.placeOn(found.cluster, annotation(found.pod, GleanerKeys.NODE));
    Boolean confirmed = confirmedAtStart.remove(uid);
    if (listedAtStart.contains(found.cluster) && (confirmed == null || confirmed)) {
      t.confirmed = true;
    }
    t.state = TrackedPod.State.CREATED;
    t.seenInMember = true;
    String source = found.pod.getMetadata().getLabels().get(GleanerKeys.SOURCE);
    t.sourceOrdinal = sourceOrdinal(source);
    statusQueue.add(uid);
  }

  /** Gives the reservation back and tries another node; the current one is excluded. */
  private WorkQueue.Result replaceElsewhere(
      String uid, TrackedPod t, String why, boolean memberPodExists) {
    if (broker.releaseOutcome(uid, why) == BrokerApiClient.CallOutcome.UNAVAILABLE) {
      metrics.error("broker", "release");
      return WorkQueue.Result.retry("broker unavailable for release");
    }
    if (t.cluster != null && t.node != null) {
      t.exclude(t.cluster, t.node);
      metrics.replacement(t.cluster);
    }
    t.confirmed = false;
    t.seenInMember = false;
    t.state = memberPodExists ? TrackedPod.State.REPLACING : TrackedPod.State.NEW;
    log.info("re-placing pod: {}", why);
    syncQueue.add(uid);
    return WorkQueue.Result.DONE;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // status

  WorkQueue.Result handleStatus(String uid) {
    TrackedPod t = tracked.get(uid);
    if (t == null) {
      if (metaStore.containsSecondaryKey(uid) && hasMemberPod(uid)) {
        resyncQueue.add(uid); // restart: adopt
      }
      return WorkQueue.Result.DONE;
    }
    Pod pod = metaPod(uid);
    if (pod == null) {
      deleteQueue.add(uid);
      return WorkQueue.Result.DONE;
    }
    return withPod(uid, pod, t.cluster, () -> status(uid, pod, t));
  }

  private WorkQueue.Result status(String uid, Pod pod, TrackedPod t) {
    if (t.state != TrackedPod.State.CREATED) {
      return WorkQueue.Result.DONE;
    }
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      deleteQueue.add(uid);
      return WorkQueue.Result.DONE;
    }
    Pod member = memberPod(t.cluster, uid);
    if (member == null) {
      if (!t.seenInMember || t.deleteRequested) {
        return WorkQueue.Result.DONE;
      }
      // deleting the namespace's pod owner deletes its pods: the next pod must find a new owner
      objectSync.forgetOwner(
          t.cluster,
          translator.config().namespaces().memberNamespace(pod.getMetadata().getNamespace()));
      return reclaim(
          uid, pod, t, "member pod was deleted in the member cluster (evicted or preempted)");
    }
    t.seenInMember = true;
    MemberPodState state = StatusMirror.assess(member);
    if (state instanceof MemberPodState.Evicted e) {
      if (t.deleteRequested) {
        return WorkQueue.Result.DONE;
      }
      return reclaim(uid, pod, t, e.cause());
    }
    if (state instanceof MemberPodState.Unschedulable u) {
      KubernetesClient client = members.client(t.cluster).orElse(null);
      if (client != null) {
        try {
          client
              .pods()
              .inNamespace(member.getMetadata().getNamespace())
              .withName(member.getMetadata().getName())
              .withGracePeriod(0)
              .delete();
        } catch (KubernetesClientException ex) {
          metrics.error(t.cluster, "delete_pod");
          return WorkQueue.Result.retry("deleting unschedulable member pod: " + ex.getMessage());
        }
      }
      return replaceElsewhere(
          uid,
          t,
          "member " + t.cluster + " could not run the pod on " + t.node + ": " + u.message(),
          true);
    }
    if (StatusMirror.worthMirroring(member, pod.getStatus())) {
      writeStatus(pod, StatusMirror.mirror(member, pod.getStatus()));
    }
    if (state instanceof MemberPodState.Finished && !t.released) {
      if (broker.releaseOutcome(uid, "pod finished") == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        return WorkQueue.Result.retry("broker unavailable for release");
      }
      t.released = true;
    }
    return WorkQueue.Result.DONE;
  }

  private WorkQueue.Result reclaim(String uid, Pod pod, TrackedPod t, String cause) {
    if (!t.released) {
      if (broker.releaseOutcome(uid, "reclaimed") == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        metrics.error("broker", "release");
        return WorkQueue.Result.retry("broker unavailable for release");
      }
      t.released = true;
    }
    writeStatus(
        pod, StatusMirror.reclaimed(pod.getStatus(), t.cluster, t.node, cause, clock.instant()));
    t.state = TrackedPod.State.ABANDONED;
    log.info("reclaimed by {} on {}: {}", t.cluster, t.node, cause);
    Pod member = memberPod(t.cluster, uid);
    if (member != null && member.getMetadata().getDeletionTimestamp() == null) {
      // a kubelet-evicted pod stays as a Failed object; the metadata pod carries the story now
      members
          .client(t.cluster)
          .ifPresent(
              c ->
                  c.pods()
                      .inNamespace(member.getMetadata().getNamespace())
                      .withName(member.getMetadata().getName())
                      .delete());
      t.deleteRequested = true;
    }
    return WorkQueue.Result.DONE;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // delete

  WorkQueue.Result handleDelete(String uid) {
    Pod pod = metaPod(uid);
    TrackedPod t = tracked.get(uid);
    return withPod(uid, pod, t == null ? null : t.cluster, () -> delete(uid, pod));
  }

  private WorkQueue.Result delete(String uid, Pod pod) {
    if (pod != null && pod.getMetadata().getDeletionTimestamp() == null) {
      return WorkQueue.Result.DONE;
    }
    TrackedPod t = tracked.get(uid);
    Optional<Located> member = memberPodAnywhere(uid);
    if (member.isEmpty()
        && t != null
        && t.cluster != null
        && t.state == TrackedPod.State.CREATED
        && !t.seenInMember) {
      // created but not yet seen by the informer: ask the API
      Optional<KubernetesClient> c = members.client(t.cluster);
      if (c.isPresent() && pod != null) {
        try {
          Pod live =
              c.get()
                  .pods()
                  .inNamespace(
                      translator
                          .config()
                          .namespaces()
                          .memberNamespace(pod.getMetadata().getNamespace()))
                  .withName(MemberNames.forUid(uid))
                  .get();
          if (live != null) {
            member = Optional.of(new Located(t.cluster, live));
          }
        } catch (KubernetesClientException e) {
          metrics.error(t.cluster, "get_pod");
          return WorkQueue.Result.retry(e.getMessage());
        }
      }
    }
    if (member.isPresent()) {
      Located m = member.get();
      if (m.pod.getMetadata().getDeletionTimestamp() == null) {
        long grace =
            pod == null || pod.getMetadata().getDeletionGracePeriodSeconds() == null
                ? config.memberGracePeriod().toSeconds()
                : pod.getMetadata().getDeletionGracePeriodSeconds();
        Optional<KubernetesClient> c = members.client(m.cluster);
        if (c.isEmpty()) {
          return WorkQueue.Result.retry("member cluster " + m.cluster + " is gone");
        }
        try {
          c.get()
              .pods()
              .inNamespace(m.pod.getMetadata().getNamespace())
              .withName(m.pod.getMetadata().getName())
              .withGracePeriod(grace)
              .delete();
        } catch (KubernetesClientException e) {
          metrics.error(m.cluster, "delete_pod");
          return WorkQueue.Result.retry(
              "deleting member pod in " + m.cluster + ": " + e.getMessage());
        }
        if (t != null) {
          t.deleteRequested = true;
        }
        log.info(
            "deleting member pod {}/{} in {} with grace {}s",
            m.pod.getMetadata().getNamespace(),
            m.pod.getMetadata().getName(),
            m.cluster,
            grace);
      }
      // the member informer's delete event brings us back; poll as a safety net
      return WorkQueue.Result.after(
          toReal.apply(Duration.ofSeconds(Math.max(1, config.memberGracePeriod().toSeconds()))));
    }
    if (t == null || !t.released) {
      BrokerApiClient.CallOutcome r = broker.releaseOutcome(uid, "pod deleted");
      if (r == BrokerApiClient.CallOutcome.UNAVAILABLE) {
        metrics.error("broker", "release");
        return WorkQueue.Result.retry("broker unavailable for release");
      }
    }
    if (pod != null) {
      try {
        meta.pods()
            .inNamespace(pod.getMetadata().getNamespace())
            .withName(pod.getMetadata().getName())
            .withGracePeriod(0)
            .delete();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
          metrics.error("metadata", "delete_pod");
          return WorkQueue.Result.retry("removing metadata pod: " + e.getMessage());
        }
      }
    }
    tracked.remove(uid);
    return WorkQueue.Result.DONE;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // periodic: unreachable members, orphan GC, pod gauges

  private void safeSweep() {
    try {
      sweepUnreachable();
      countPods();
    } catch (RuntimeException e) {
      log.warn("unreachable sweep failed: {}", e.toString());
    }
  }

  /**
   * Where the member unreachable timeout comes from (by default the built-in GleanerPolicy's); read
   * at every sweep, so a policy change applies to members already unreachable.
   */
  public void unreachableTimeout(java.util.function.Supplier<Duration> timeout) {
    this.unreachableTimeout = java.util.Objects.requireNonNull(timeout, "timeout");
  }

  void sweepUnreachable() {
    long now = clock.millis();
    Duration timeout = unreachableTimeout.get();
    // members that are gone (deleted, disabled) count as unreachable for the pods they still hold
    java.util.Set<String> clusters = new java.util.HashSet<>(memberInformers.keySet());
    tracked
        .values()
        .forEach(
            t -> {
              if (t.cluster != null && t.state == TrackedPod.State.CREATED) {
                clusters.add(t.cluster);
              }
            });
    unreachableSince.keySet().retainAll(clusters);
    for (String cluster : clusters) {
      SharedIndexInformer<Pod> inf = memberInformers.get(cluster);
      boolean healthy = inf != null && members.isHealthy(cluster) && inf.isWatching();
      if (healthy) {
        if (unreachableSince.remove(cluster) != null) {
          log.info("member cluster {} answers again", cluster);
          tracked.forEach(
              (uid, t) -> {
                if (cluster.equals(t.cluster)) {
                  t.unreachableSinceMs = 0;
                  statusQueue.add(uid);
                }
              });
        }
        continue;
      }
      long since = unreachableSince.computeIfAbsent(cluster, c -> now);
      tracked.forEach(
          (uid, t) -> {
            if (!cluster.equals(t.cluster) || t.state != TrackedPod.State.CREATED) {
              return;
            }
            Pod pod = metaPod(uid);
            if (pod == null) {
              return;
            }
            withPod(
                uid,
                pod,
                cluster,
                () -> {
                  if (now - since >= timeout.toMillis()) {
                    writeStatus(
                        pod,
                        StatusMirror.failed(
                            pod.getStatus(),
                            StatusMirror.REASON_MEMBER_UNREACHABLE,
                            "member cluster "
                                + cluster
                                + " has not answered since "
                                + Instant.ofEpochMilli(since)
                                + "; failed for recreation after "
                                + timeout,
                            clock.instant()));
                    broker.releaseOutcome(uid, "member unreachable");
                    t.released = true;
                    t.state = TrackedPod.State.ABANDONED;
                  } else if (t.unreachableSinceMs == 0) {
                    writeStatus(
                        pod, StatusMirror.unreachable(pod.getStatus(), cluster, clock.instant()));
                    t.unreachableSinceMs = since;
                  }
                  return WorkQueue.Result.DONE;
                });
          });
    }
  }

  private void safeGc() {
    try {
      collectOrphans();
      collectUnusedCopies();
    } catch (RuntimeException e) {
      log.warn("orphan GC failed: {}", e.toString());
    }
  }

  /**
   * Deletes this installation's copies of ConfigMaps and Secrets that no member pod of it (member
   * caches) references any more; a member's own objects are never listed. Returns how many.
   */
  public int collectUnusedCopies() {
    int deleted = 0;
    for (Map.Entry<String, SharedIndexInformer<Pod>> e : memberInformers.entrySet()) {
      String cluster = e.getKey();
      Optional<KubernetesClient> client = members.client(cluster);
      if (client.isEmpty() || !members.isHealthy(cluster) || !e.getValue().hasSynced()) {
        continue;
      }
      java.util.Set<String> inUse = new java.util.HashSet<>();
      for (Pod m : e.getValue().getStore().list()) {
        inUse.addAll(
            ObjectSync.useKeys(m.getMetadata().getNamespace(), PodReferences.of(m.getSpec())));
      }
      try {
        int n = objectSync.collect(cluster, client.get(), inUse);
        if (n > 0) {
          log.info("deleted {} unused ConfigMap/Secret copies in {}", n, cluster);
        }
        deleted += n;
      } catch (KubernetesClientException ex) {
        metrics.error(cluster, "gc_copies");
      }
    }
    return deleted;
  }

  /**
   * Deletes member pods of this installation (informers are scoped by the instance label) whose
   * metadata pod is gone, or that duplicate a pod tracked in another cluster, or whose metadata pod
   * Gleaner has failed. Returns how many.
   */
  public int collectOrphans() {
    int deleted = 0;
    long now = clock.millis();
    for (Map.Entry<String, SharedIndexInformer<Pod>> e : memberInformers.entrySet()) {
      String cluster = e.getKey();
      Optional<KubernetesClient> client = members.client(cluster);
      if (client.isEmpty() || !members.isHealthy(cluster)) {
        continue;
      }
      for (Pod m : e.getValue().getStore().list()) {
        String uid = metaUidOf(m);
        if (uid == null || m.getMetadata().getDeletionTimestamp() != null) {
          continue;
        }
        TrackedPod t = tracked.get(uid);
        Pod metaPod = metaPod(uid);
        boolean orphan =
            metaPod == null
                && (t == null || now - t.firstSeenMs > config.gcMinAge().toMillis())
                && olderThan(m, now, config.gcMinAge());
        boolean duplicate =
            t != null
                && t.cluster != null
                && !cluster.equals(t.cluster)
                && t.state == TrackedPod.State.CREATED;
        boolean abandoned = metaPod != null && t != null && t.state == TrackedPod.State.ABANDONED;
        if (orphan && metaPodExists(m, uid)) {
          continue; // the cache is behind: never collect on its word alone
        }
        if (orphan || duplicate || abandoned) {
          try {
            client
                .get()
                .pods()
                .inNamespace(m.getMetadata().getNamespace())
                .withName(m.getMetadata().getName())
                .delete();
            deleted++;
            log.info(
                "garbage-collected member pod {}/{} in {} ({})",
                m.getMetadata().getNamespace(),
                m.getMetadata().getName(),
                cluster,
                orphan ? "metadata pod gone" : duplicate ? "duplicate" : "abandoned");
          } catch (KubernetesClientException ex) {
            metrics.error(cluster, "gc");
          }
        }
      }
    }
    return deleted;
  }

  /**
   * Asks the metadata API server whether the member pod's metadata pod still exists; errors count
   * as "exists".
   */
  private boolean metaPodExists(Pod member, String uid) {
    String ns = annotation(member, GleanerKeys.META_NAMESPACE);
    String name = annotation(member, GleanerKeys.META_NAME);
    if (ns == null || name == null) {
      return false;
    }
    try {
      Pod live = meta.pods().inNamespace(ns).withName(name).get();
      return live != null && uid.equals(live.getMetadata().getUid());
    } catch (KubernetesClientException e) {
      metrics.error("metadata", "get_pod");
      return true;
    }
  }

  private static boolean olderThan(Pod m, long nowMs, Duration age) {
    String created = m.getMetadata().getCreationTimestamp();
    if (created == null) {
      return true;
    }
    try {
      return nowMs - Instant.parse(created).toEpochMilli() >= age.toMillis();
    } catch (RuntimeException e) {
      return true;
    }
  }

  /** The "phase|class" a metadata pod counts under in {@code gleaner.vk.pods}. */
  private static String phaseAndClass(Pod p) {
    String phase =
        p.getStatus() == null || p.getStatus().getPhase() == null
            ? "Pending"
            : p.getStatus().getPhase();
    String label =
        p.getMetadata().getLabels() == null
            ? null
            : p.getMetadata().getLabels().get(GleanerKeys.CLASS);
    String cls = WorkloadClasses.parse(label).map(WorkloadClasses::label).orElse("invalid");
    return (phase + "|" + cls).intern();
  }

  private void countPods() {
    if (metaInformer == null) {
      return;
    }
    Map<String, Long> counts = new HashMap<>();
    for (String phase : List.of("Pending", "Running", "Succeeded", "Failed", "Unknown")) {
      for (String cls : List.of(GleanerKeys.CLASS_NEAR_LINE, GleanerKeys.CLASS_OFFLINE)) {
        counts.put(phase + "|" + cls, 0L);
      }
    }
    metaStore.tags().forEach(k -> counts.merge(k, 1L, Long::sum));
    counts.forEach(
        (k, v) -> {
          int bar = k.indexOf('|');
          metrics.pods(k.substring(0, bar), k.substring(bar + 1), v);
        });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // helpers

  private record Located(String cluster, Pod pod) {}

  Pod metaPod(String uid) {
    if (metaInformer == null) {
      return null;
    }
    return metaStore.bySecondaryKey(uid);
  }

  private Pod memberPod(String cluster, String uid) {
    SharedIndexInformer<Pod> inf = cluster == null ? null : memberInformers.get(cluster);
    if (inf == null) {
      return null;
    }
    CompactItemStore<Pod> store = memberStores.get(cluster);
    return store == null ? null : store.bySecondaryKey(uid);
  }

  /** Whether any member cache holds a pod of this metadata pod (no decoding). */
  private boolean hasMemberPod(String uid) {
    for (CompactItemStore<Pod> s : memberStores.values()) {
      if (s.containsSecondaryKey(uid)) {
        return true;
      }
    }
    return false;
  }

  private Optional<Located> memberPodAnywhere(String uid) {
    for (Map.Entry<String, SharedIndexInformer<Pod>> e : memberInformers.entrySet()) {
      CompactItemStore<Pod> store = memberStores.get(e.getKey());
      Pod pod = store == null ? null : store.bySecondaryKey(uid);
      if (pod != null) {
        return Optional.of(new Located(e.getKey(), pod));
      }
    }
    return Optional.empty();
  }

  /** The metadata pod a member pod belongs to, for event mirroring; null when not ours. */
  Pod metaPodForMember(String cluster, String namespace, String name) {
    SharedIndexInformer<Pod> inf = memberInformers.get(cluster);
    if (inf == null) {
      return null;
    }
    Pod m = inf.getStore().getByKey(namespace + "/" + name);
    String uid = m == null ? null : metaUidOf(m);
    return uid == null ? null : metaPod(uid);
  }

  static String metaUidOf(Pod member) {
    Map<String, String> labels = member.getMetadata().getLabels();
    return labels == null ? null : labels.get(GleanerKeys.META_UID);
  }

  private static String annotation(Pod p, String key) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    return a == null ? null : a.get(key);
  }

  private static io.gleaner.api.v1.SourceKind sourceOf(TrackedPod t) {
    io.gleaner.api.v1.SourceKind s = io.gleaner.api.v1.SourceKind.forNumber(t.sourceOrdinal);
    return s == null ? io.gleaner.api.v1.SourceKind.SOURCE_KIND_UNSPECIFIED : s;
  }

  private static int sourceOrdinal(String label) {
    if (label == null) {
      return 0;
    }
    try {
      return io.gleaner.api.v1.SourceKind.valueOf(label.toUpperCase(java.util.Locale.ROOT))
          .getNumber();
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  /**
   * Lets the pod outlive a virtual node that stops heartbeating (see {@link
   * NodeFailureTolerations}). Best effort: a refusal is counted and logged, and the pod is placed
   * anyway.
   */
  private void tolerateNodeFailures(Pod pod) {
    Optional<List<Toleration>> wanted =
        NodeFailureTolerations.missing(pod.getSpec().getTolerations());
    if (wanted.isEmpty()) {
      return;
    }
    ObjectNode patch = Serialization.jsonMapper().createObjectNode();
    // the resourceVersion makes it a compare-and-set: tolerations someone else just changed are
    // never lost
    patch.putObject("metadata").put("resourceVersion", pod.getMetadata().getResourceVersion());
    patch
        .putObject("spec")
        .set("tolerations", Serialization.jsonMapper().valueToTree(wanted.get()));
    try {
      meta.pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .resource(pod)
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
      metrics.sync("tolerations_added");
    } catch (KubernetesClientException e) {
      metrics.error("metadata", "patch_tolerations");
      log.warn(
          "could not add the not-ready/unreachable tolerations (the pod may be evicted if the virtual node "
              + "stops heartbeating): {}",
          e.getMessage());
    }
  }

  /**
   * Writes the status through pods/status when it differs; VK is the only writer of metadata pod
   * status.
   */
  void writeStatus(Pod pod, PodStatus desired) {
    if (desired.equals(pod.getStatus())) {
      return;
    }
    ObjectNode status = Serialization.jsonMapper().valueToTree(desired);
    for (String k : CLEARED_STATUS_FIELDS) {
      if (!status.has(k)) {
        status.putNull(k); // a merge patch removes what the member no longer reports
      }
    }
    ObjectNode patch = Serialization.jsonMapper().createObjectNode().set("status", status);
    try {
      // patching through resource(pod), not withName(): fabric8 GETs the object first when it has
      // no item
      meta.pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .resource(pod)
          .subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return;
      }
      metrics.error("metadata", "patch_status");
      throw e;
    }
  }

  private WorkQueue.Result withPod(
      String uid, Pod pod, String cluster, java.util.function.Supplier<WorkQueue.Result> r) {
    ReentrantLock lock = stripes[Math.floorMod(uid.hashCode(), stripes.length)];
    lock.lock();
    try {
      if (pod != null) {
        MDC.put("namespace", pod.getMetadata().getNamespace());
        MDC.put("pod", pod.getMetadata().getName());
      }
      if (cluster != null) {
        MDC.put("cluster", cluster);
      }
      MDC.put("node", nodeName);
      return r.get();
    } finally {
      MDC.remove("namespace");
      MDC.remove("pod");
      MDC.remove("cluster");
      MDC.remove("node");
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // introspection for the kubelet API, the bench and tests

  /** Number of pods the controller tracks beyond the informer stores. */
  public int trackedCount() {
    return tracked.size();
  }

  /** Where a metadata pod's member pod lives, if known: cluster, namespace, name. */
  public Optional<MemberRef> memberOf(String metaNamespace, String metaName) {
    if (metaInformer == null) {
      return Optional.empty();
    }
    Pod pod = metaInformer.getStore().getByKey(metaNamespace + "/" + metaName);
    if (pod == null) {
      return Optional.empty();
    }
    return memberPodAnywhere(pod.getMetadata().getUid())
        .map(
            l ->
                new MemberRef(
                    l.cluster,
                    l.pod.getMetadata().getNamespace(),
                    l.pod.getMetadata().getName(),
                    l.pod));
  }

  /** A member pod's location and its cached object. */
  public record MemberRef(String cluster, String namespace, String name, Pod pod) {}

  /** The metadata pods bound to the node (informer cache, no copy). */
  public Collection<Pod> metaPods() {
    return metaInformer == null ? List.of() : metaInformer.getStore().list();
  }

  /** Objects and bytes the informer caches hold (compact form), for the bench and tests. */
  public long[] cacheFootprint() {
    long objects = 0;
    long bytes = 0;
    List<CompactItemStore<Pod>> all = new ArrayList<>(memberStores.values());
    all.add(metaStore);
    for (CompactItemStore<Pod> s : all) {
      objects += s.size();
      bytes += s.storedBytes();
    }
    return new long[] {objects, bytes};
  }

  /** Member pods per cluster (informer caches). */
  public Map<String, List<Pod>> memberPods() {
    Map<String, List<Pod>> out = new LinkedHashMap<>();
    memberInformers.forEach((c, i) -> out.put(c, new ArrayList<>(i.getStore().list())));
    return out;
  }

  @Override
  public void close() {
    periodic.shutdownNow();
    syncQueue.close();
    resyncQueue.close();
    statusQueue.close();
    deleteQueue.close();
    if (eventMirror != null) {
      eventMirror.close();
    }
    if (metaInformer != null) {
      metaInformer.close();
    }
    memberInformers.values().forEach(SharedIndexInformer::close);
  }
}
