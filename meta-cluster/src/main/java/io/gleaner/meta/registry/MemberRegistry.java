package io.gleaner.meta.registry;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.meta.coord.NotLeaderException;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.crd.Conditions;
import io.gleaner.meta.crd.FieldError;
import io.gleaner.meta.crd.KubeconfigSecretRef;
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.crd.OfferedCapacity;
import io.gleaner.meta.informer.Informers;
import io.gleaner.meta.kube.ClientIdentity;
import io.gleaner.meta.resources.Resources;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The member clusters of this Gleaner installation: watches {@link MemberCluster} objects in the
 * metadata cluster and keeps one {@link MemberHandle} (resilient client + informers) per enabled,
 * valid member whose kubeconfig Secret is readable. It probes each member every {@code
 * probeInterval} ({@code GET /version} through the member's breaker) and writes the {@code
 * Reachable}/{@code Ready} conditions and {@code lastContactTime} to the MemberCluster's status
 * subresource (a JSON Patch of those fields only, via {@code editStatus}), on change or every
 * {@code statusRefreshInterval}. Status writes go through a {@link MemberStatusWriter} on their own
 * thread, coalesced per member: a slow metadata API server delays no probe.
 *
 * <p>Changes apply at runtime: a MemberCluster created, changed (its Secret reference, roles) or
 * deleted, and a kubeconfig Secret created, rotated or deleted in {@code defaultSecretNamespace},
 * are reconciled as they happen; listeners hear {@link MemberListener#memberAdded}, {@code
 * memberUpdated} or {@code memberRemoved} (a new kubeconfig is removed, then added with a new
 * handle). Only a registry with {@code writeStatus} writes status, so one service of an
 * installation owns it.
 *
 * <p>A bad member (invalid spec, missing Secret or key, malformed kubeconfig) gets {@code
 * Reachable=False} (or Unknown) with a reason and a message naming the field or Secret, no handle,
 * and affects nothing else. It is retried every {@code resyncInterval}.
 *
 * <p>Lifecycle: constructed latent, {@link #start()} once, {@link #stop()} once (closes every
 * handle after notifying {@link MemberListener#memberRemoved}). Lookups are thread-safe and
 * non-blocking; all state changes and listener calls happen on one worker thread, status writes on
 * another. The metadata client is borrowed, not closed.
 */
public final class MemberRegistry implements AutoCloseable {
  /** Gauge: number of members with a handle. */
  public static final String MEMBERS_METER = "gleaner.member.registered";

  /** Counter: status writes, tag {@code outcome} = ok | error. */
  public static final String STATUS_WRITES_METER = "gleaner.member.status.writes";

  private static final Logger log = LoggerFactory.getLogger(MemberRegistry.class);

  private enum State {
    LATENT,
    STARTED,
    STOPPED
  }

  private final KubernetesClient meta;
  private final MemberRegistryConfig config;
  private final Clock clock;
  private final MeterRegistry meters;
  private final MemberResilience resilience;
  private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
  private final Map<String, MemberHandle> handles = new ConcurrentHashMap<>();
  private final List<MemberListener> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService worker;
  private final MemberHttpClients httpClients = new MemberHttpClients();
  private final MemberStatusWriter statusWriter;

  /** Worker-thread only. */
  private final Map<String, Entry> entries = new HashMap<>();

  private SharedIndexInformer<MemberCluster> informer;
  private SharedIndexInformer<Secret> secrets;
  private Instant lastResync;

  /** Per-member state, touched on the worker thread only. */
  private static final class Entry {
    final String name;
    MemberCluster resource;
    MemberHandle handle;
    String fingerprint;
    MemberObservation observation;
    boolean probing;
    Boolean lastHealthy;
    List<Condition> writtenConditions;
    String writtenLastContact;
    Instant writtenAt;
    OfferedCapacity pendingOffer;
    OfferedCapacity writtenOffer;
    Instant offerWrittenAt;

    Entry(String name) {
      this.name = name;
    }
  }

  private final UnaryOperator<KubernetesClientBuilder> clients;

  public MemberRegistry(
      KubernetesClient meta, MemberRegistryConfig config, Clock clock, MeterRegistry meters) {
    this(meta, config, clock, meters, UnaryOperator.identity());
  }

  /**
   * @param clients applied to the builder of every member client, e.g. to fence its writes ({@link
   *     io.gleaner.meta.kube.LeaderFencing})
   */
  public MemberRegistry(
      KubernetesClient meta,
      MemberRegistryConfig config,
      Clock clock,
      MeterRegistry meters,
      UnaryOperator<KubernetesClientBuilder> clients) {
    this.clients = Objects.requireNonNull(clients, "clients");
    this.meta = Objects.requireNonNull(meta, "meta");
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.resilience = new MemberResilience(config.client(), clock, meters);
    this.worker = Executors.newSingleThreadScheduledExecutor(daemon("gleaner-member-registry"));
    this.statusWriter = new MemberStatusWriter(meta, new StatusOutcome());
    Gauge.builder(MEMBERS_METER, handles, Map::size)
        .description("Member clusters with a usable handle")
        .register(meters);
  }

  /**
   * Starts watching MemberClusters and probing members; returns without waiting for the first list
   * (see {@link #hasSynced()}).
   *
   * @throws IllegalStateException when called twice or after {@link #stop()}
   */
  public void start() {
    if (!state.compareAndSet(State.LATENT, State.STARTED)) {
      throw new IllegalStateException("MemberRegistry already " + state.get().name().toLowerCase());
    }
    informer =
        Informers.keepRetrying(
            meta.resources(MemberCluster.class).runnableInformer(0), log, "MemberClusters");
    informer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(MemberCluster obj) {
            enqueue(obj.getMetadata().getName());
          }

          @Override
          public void onUpdate(MemberCluster oldObj, MemberCluster newObj) {
            if (needsReconcile(oldObj, newObj)) {
              enqueue(newObj.getMetadata().getName());
            } else {
              refresh(newObj);
            }
          }

          @Override
          public void onDelete(MemberCluster obj, boolean deletedFinalStateUnknown) {
            enqueue(obj.getMetadata().getName());
          }
        });
    informer.start();
    watchSecrets();
    long probeMillis = config.probeInterval().toMillis();
    worker.scheduleWithFixedDelay(this::tick, probeMillis, probeMillis, TimeUnit.MILLISECONDS);
    log.info(
        "member registry started (probe every {}, secrets default namespace {})",
        config.probeInterval(),
        config.defaultSecretNamespace());
  }

  /**
   * A changed, created or deleted kubeconfig Secret in the default namespace reconnects the members
   * that reference it at once (rotation); Secrets elsewhere are re-read every {@code
   * resyncInterval}. An informer that cannot list (no permission yet) retries with backoff.
   */
  private void watchSecrets() {
    String namespace = config.defaultSecretNamespace();
    secrets =
        Informers.keepRetrying(
            meta.secrets().inNamespace(namespace).runnableInformer(0),
            log,
            "kubeconfig Secrets in " + namespace);
    secrets.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Secret obj) {
            secretChanged(obj);
          }

          @Override
          public void onUpdate(Secret oldObj, Secret newObj) {
            if (!Objects.equals(oldObj.getData(), newObj.getData())
                || !Objects.equals(oldObj.getStringData(), newObj.getStringData())) {
              secretChanged(newObj);
            }
          }

          @Override
          public void onDelete(Secret obj, boolean deletedFinalStateUnknown) {
            secretChanged(obj);
          }
        });
    secrets.start();
  }

  private void secretChanged(Secret secret) {
    String namespace = secret.getMetadata().getNamespace();
    String name = secret.getMetadata().getName();
    if (state.get() != State.STARTED) {
      return;
    }
    worker.execute(
        () -> {
          for (MemberCluster mc : informer.getStore().list()) {
            KubeconfigSecretRef ref =
                mc.getSpec() == null ? null : mc.getSpec().getKubeconfigSecretRef();
            if (ref != null
                && name.equals(ref.getName())
                && namespace.equals(ref.effectiveNamespace(config.defaultSecretNamespace()))) {
              reconcile(mc.getMetadata().getName());
            }
          }
        });
  }

  /** True once the MemberCluster informer has listed the metadata cluster. */
  public boolean hasSynced() {
    return informer != null && informer.hasSynced();
  }

  /**
   * Stops the informer, notifies {@link MemberListener#memberRemoved} for every member and closes
   * its handle, then stops the worker. Idempotent; a registry cannot be restarted.
   */
  public void stop() {
    State previous = state.getAndSet(State.STOPPED);
    if (previous == State.STOPPED) {
      return;
    }
    if (informer != null) {
      informer.stop();
    }
    if (secrets != null) {
      secrets.stop();
    }
    try {
      worker
          .submit(
              () ->
                  new ArrayList<>(entries.values())
                      .forEach(
                          e -> dropHandle(e, MemberListener.Removal.STOPPED, "registry stopped")))
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("closing member handles on stop failed", e);
      handles.values().forEach(MemberHandle::close);
    }
    worker.shutdownNow();
    statusWriter.close();
    httpClients.close();
    log.info("member registry stopped");
  }

  @Override
  public void close() {
    stop();
  }

  /** The usable member named {@code cluster}, if any. */
  public Optional<MemberHandle> member(String cluster) {
    return Optional.ofNullable(handles.get(cluster));
  }

  /**
   * The MemberCluster named {@code name} as the registry last saw it, connected or not (empty
   * before {@link #start()} and once it is gone).
   */
  public Optional<MemberCluster> resource(String name) {
    SharedIndexInformer<MemberCluster> inf = informer;
    return inf == null ? Optional.empty() : Optional.ofNullable(inf.getStore().getByKey(name));
  }

  /**
   * The members whose MemberCluster is marked for deletion (held by a finalizer), whether or not
   * they are connected: one whose kubeconfig went first is still to be let go.
   */
  public Set<String> leaving() {
    SharedIndexInformer<MemberCluster> inf = informer;
    if (inf == null) {
      return Set.of();
    }
    Set<String> out = new java.util.TreeSet<>();
    for (MemberCluster mc : inf.getStore().list()) {
      if (MemberHandle.isLeaving(mc)) {
        out.add(mc.getMetadata().getName());
      }
    }
    return out;
  }

  /** A snapshot of all usable members. */
  public Collection<MemberHandle> members() {
    return List.copyOf(handles.values());
  }

  /**
   * Adds a listener; it first receives {@link MemberListener#memberAdded} for every current member
   * (on the worker thread, so no event is missed or doubled).
   */
  public void addListener(MemberListener listener) {
    Objects.requireNonNull(listener, "listener");
    if (state.get() != State.STARTED) {
      listeners.add(listener);
      return;
    }
    worker.execute(
        () -> {
          listeners.add(listener);
          for (Entry e : entries.values()) {
            if (e.handle != null) {
              safely(listener, "memberAdded", () -> listener.memberAdded(e.handle));
            }
          }
        });
  }

  /**
   * Records what {@code cluster} currently lends, for {@code status.offeredCapacity}
   * (informational, for {@code kubectl get memberclusters -o yaml} and dashboards). Non-blocking;
   * the newest report is written when it differs from the last written one, at most once per {@code
   * statusRefreshInterval}. Reports for unknown members are ignored.
   */
  public void reportOfferedCapacity(
      String cluster,
      Map<CapacitySource, Resources> resources,
      Map<CapacitySource, Integer> nodes) {
    OfferedCapacity offer = OfferedCapacity.of(resources, nodes, clock.instant());
    if (state.get() == State.STARTED) {
      worker.execute(
          () -> {
            Entry entry = entries.get(cluster);
            if (entry != null) {
              entry.pendingOffer = offer;
              writeOffer(entry);
            }
          });
    }
  }

  public void removeListener(MemberListener listener) {
    listeners.remove(listener);
  }

  /** The resilience registries (breakers, retries, rate limiters) of all members. */
  public MemberResilience resilience() {
    return resilience;
  }

  // ---- worker thread -------------------------------------------------------------------------

  private void enqueue(String name) {
    if (state.get() == State.STARTED) {
      worker.execute(() -> reconcile(name));
    }
  }

  /**
   * Whether a change of a MemberCluster can change what the registry does with it: its spec, or
   * metadata it reads (labels, annotations, finalizers, deletion). A change of its status alone
   * (the idle-detector's conditions and contact time, the broker's offered capacity, written every
   * few seconds) cannot: reconciling it read the kubeconfig Secret again, a blocking GET on the
   * thread that sends the probes, in every service, for every status write.
   */
  static boolean needsReconcile(MemberCluster before, MemberCluster after) {
    ObjectMeta b = before.getMetadata();
    ObjectMeta a = after.getMetadata();
    return !Objects.equals(before.getSpec(), after.getSpec())
        || !Objects.equals(b.getGeneration(), a.getGeneration())
        || !Objects.equals(b.getLabels(), a.getLabels())
        || !Objects.equals(b.getAnnotations(), a.getAnnotations())
        || !Objects.equals(b.getFinalizers(), a.getFinalizers())
        || !Objects.equals(b.getDeletionTimestamp(), a.getDeletionTimestamp());
  }

  /** Keeps the newest MemberCluster (its status) without reconciling it. */
  private void refresh(MemberCluster mc) {
    if (state.get() != State.STARTED) {
      return;
    }
    worker.execute(
        () -> {
          Entry entry = entries.get(mc.getMetadata().getName());
          if (entry != null && entry.resource != null) {
            entry.resource = mc;
            if (entry.handle != null) {
              entry.handle.update(mc);
            }
          }
        });
  }

  private void tick() {
    try {
      Instant now = clock.instant();
      if (lastResync == null || !now.isBefore(lastResync.plus(config.resyncInterval()))) {
        lastResync = now;
        for (String name : informer.getStore().listKeys()) {
          reconcile(name);
        }
      }
      for (Entry e : entries.values()) {
        if (e.handle != null) {
          probe(e);
        } else {
          writeStatus(e);
        }
        writeOffer(e);
      }
    } catch (RuntimeException e) {
      log.warn("member registry tick failed", e);
    }
  }

  private void reconcile(String name) {
    if (state.get() != State.STARTED) {
      return;
    }
    MDC.put("cluster", name);
    try {
      MemberCluster mc = informer.getStore().getByKey(name);
      if (mc == null) {
        Entry gone = entries.remove(name);
        if (gone != null) {
          dropHandle(gone, MemberListener.Removal.DELETED, "MemberCluster deleted");
        }
        return;
      }
      Entry entry = entries.computeIfAbsent(name, Entry::new);
      entry.resource = mc;
      List<FieldError> errors = mc.validate();
      if (!errors.isEmpty()) {
        dropHandle(entry, MemberListener.Removal.INVALID, "invalid spec");
        observe(entry, new MemberObservation.Invalid(errors));
        return;
      }
      if (!mc.getSpec().effectiveEnabled()) {
        dropHandle(entry, MemberListener.Removal.DISABLED, "disabled");
        observe(entry, new MemberObservation.Disabled());
        return;
      }
      KubeconfigSecrets.Result kubeconfig =
          KubeconfigSecrets.load(
              meta,
              mc.getSpec().getKubeconfigSecretRef(),
              config.defaultSecretNamespace(),
              config.client());
      if (kubeconfig instanceof KubeconfigSecrets.Failed failed) {
        dropHandle(entry, MemberListener.Removal.CONNECTION, failed.reason());
        MemberObservation observation =
            new MemberObservation.ConnectFailed(failed.reason(), failed.message());
        if (!observation.equals(entry.observation)) {
          log.warn("member {} not connected: {}", name, failed.message());
        }
        observe(entry, observation);
        return;
      }
      KubeconfigSecrets.Loaded loaded = (KubeconfigSecrets.Loaded) kubeconfig;
      if (entry.handle != null && loaded.fingerprint().equals(entry.fingerprint)) {
        boolean specChanged =
            !Objects.equals(entry.handle.resource().getSpec(), mc.getSpec())
                || entry.handle.isLeaving() != MemberHandle.isLeaving(mc);
        entry.handle.update(mc);
        if (specChanged) {
          notifyListeners("memberUpdated", l -> l.memberUpdated(entry.handle));
        }
        observe(entry, new MemberObservation.Connected(entry.handle.health()));
        return;
      }
      dropHandle(
          entry,
          MemberListener.Removal.CONNECTION,
          entry.handle == null ? "new" : "kubeconfig changed");
      connect(entry, mc, loaded);
    } catch (RuntimeException e) {
      log.error("reconciling member {} failed", name, e);
    } finally {
      MDC.remove("cluster");
    }
  }

  private void connect(Entry entry, MemberCluster mc, KubeconfigSecrets.Loaded loaded) {
    KubernetesClient client;
    try {
      client =
          clients
              .apply(
                  httpClients.applyTo(
                      new KubernetesClientBuilder()
                          .withConfig(ClientIdentity.applyTo(loaded.config()))))
              .build();
    } catch (RuntimeException e) {
      String message =
          "client for member " + entry.name + " could not be built: " + MemberErrors.describe(e);
      observe(entry, new MemberObservation.ConnectFailed("InvalidKubeconfig", message));
      return;
    }
    String name = entry.name;
    MemberClient memberClient =
        new MemberClient(
            name, client, resilience.forCluster(name), clock, config.healthyWithin(), meters);
    MemberHandle handle =
        new MemberHandle(
            mc, memberClient, new MemberInformers(name, client), () -> resilience.remove(name));
    entry.handle = handle;
    entry.fingerprint = loaded.fingerprint();
    entry.lastHealthy = null;
    handles.put(name, handle);
    log.info("member {} added (server {})", name, loaded.config().getMasterUrl());
    notifyListeners("memberAdded", l -> l.memberAdded(handle));
    observe(entry, new MemberObservation.Connected(handle.health()));
    probe(entry);
  }

  private void dropHandle(Entry entry, MemberListener.Removal removal, String why) {
    MemberHandle handle = entry.handle;
    if (handle == null) {
      return;
    }
    entry.handle = null;
    entry.fingerprint = null;
    entry.probing = false;
    handles.remove(entry.name, handle);
    log.info("member {} removed ({})", entry.name, why);
    notifyListeners("memberRemoved", l -> l.memberRemoved(handle, removal));
    handle.close();
  }

  private void probe(Entry entry) {
    if (entry.probing || entry.handle == null) {
      return;
    }
    entry.probing = true;
    MemberHandle handle = entry.handle;
    handle
        .probe()
        .whenComplete(
            (version, error) -> {
              if (state.get() == State.STARTED) {
                worker.execute(() -> afterProbe(entry, handle));
              }
            });
  }

  private void afterProbe(Entry entry, MemberHandle handle) {
    if (entry.handle != handle) {
      return;
    }
    entry.probing = false;
    MemberHealth health = handle.health();
    if (entry.lastHealthy == null || entry.lastHealthy != health.healthy()) {
      entry.lastHealthy = health.healthy();
      MDC.put("cluster", entry.name);
      try {
        log.info(
            "member {} is now {}",
            entry.name,
            health.healthy()
                ? "healthy"
                : "unhealthy: " + health.lastError().orElse("breaker " + health.breaker()));
      } finally {
        MDC.remove("cluster");
      }
      notifyListeners("healthChanged", l -> l.healthChanged(handle, health));
    }
    observe(entry, new MemberObservation.Connected(health));
  }

  private void observe(Entry entry, MemberObservation observation) {
    entry.observation = observation;
    writeStatus(entry);
  }

  private void writeStatus(Entry entry) {
    if (!config.writeStatus() || entry.resource == null || entry.observation == null) {
      return;
    }
    MemberObservation observation = entry.observation;
    if (observation instanceof MemberObservation.Connected && entry.handle != null) {
      observation = new MemberObservation.Connected(entry.handle.health());
    }
    Instant now = clock.instant();
    MemberCluster mc = entry.resource;
    List<Condition> base =
        entry.writtenConditions != null
            ? entry.writtenConditions
            : mc.getStatus() == null ? null : mc.getStatus().getConditions();
    List<Condition> desired =
        MemberConditions.derive(observation, base, mc.getMetadata().getGeneration(), now);
    String lastContact =
        entry.handle == null
            ? null
            : entry.handle.health().lastSuccess().map(Conditions::timestamp).orElse(null);
    boolean conditionsChanged = !Conditions.sameState(desired, base);
    boolean contactChanged = lastContact != null && !lastContact.equals(entry.writtenLastContact);
    boolean refreshDue =
        entry.writtenAt == null
            || !now.isBefore(entry.writtenAt.plus(config.statusRefreshInterval()));
    if (!conditionsChanged && !(contactChanged && refreshDue)) {
      return;
    }
    // optimistic: a failed write clears what is recorded here, so the next tick writes again
    entry.writtenConditions = desired;
    if (lastContact != null) {
      entry.writtenLastContact = lastContact;
    }
    entry.writtenAt = now;
    statusWriter.submit(entry.name, new MemberStatusWriter.Patch(desired, lastContact, null));
  }

  /**
   * A refused status write: a standby replica's fenced client refuses every write (the leader
   * writes the same status), a deleted member has none, a conflict (409) is written again at the
   * next tick; anything else is worth a warning.
   */
  private void statusWriteFailed(String member, String what, KubernetesClientException e) {
    if (NotLeaderException.isCause(e)) {
      meters.counter(STATUS_WRITES_METER, "outcome", "not_leader").increment();
      log.debug("{} of member {} left to the leader: {}", what, member, e.getMessage());
      return;
    }
    if (e.getCode() == 409) {
      // another writer (the virtual-kubelet's finalizer patch) changed the object since it was
      // read; the next tick derives and writes the status again
      meters.counter(STATUS_WRITES_METER, "outcome", "conflict").increment();
      log.debug("{} of member {} not written, changed meanwhile: {}", what, member, e.getMessage());
      return;
    }
    meters.counter(STATUS_WRITES_METER, "outcome", "error").increment();
    if (e.getCode() == 404) {
      log.debug("member {} deleted before its {} could be written", member, what);
    } else {
      log.warn("writing {} of member {} failed: {}", what, member, MemberErrors.describe(e));
    }
  }

  /**
   * Counts each write's outcome (on the writer's thread); a failed write is forgotten on the worker
   * thread, so the next tick derives and writes the status again (its conditions against the status
   * the metadata cluster holds).
   */
  private final class StatusOutcome implements MemberStatusWriter.Outcome {
    @Override
    public void written(String member, MemberStatusWriter.Patch patch) {
      meters.counter(STATUS_WRITES_METER, "outcome", "ok").increment();
    }

    @Override
    public void failed(String member, MemberStatusWriter.Patch patch, KubernetesClientException e) {
      statusWriteFailed(member, patch.what(), e);
      if (state.get() != State.STARTED) {
        return;
      }
      try {
        worker.execute(
            () -> {
              Entry entry = entries.get(member);
              if (entry == null) {
                return;
              }
              if (patch.conditions() != null) {
                entry.writtenConditions = null;
                entry.writtenLastContact = null;
                entry.writtenAt = null;
              }
              if (patch.offer() != null && entry.writtenOffer == patch.offer()) {
                entry.writtenOffer = null;
                entry.offerWrittenAt = null;
              }
            });
      } catch (java.util.concurrent.RejectedExecutionException stopped) {
        // the registry stopped meanwhile
      }
    }
  }

  private void writeOffer(Entry entry) {
    OfferedCapacity offer = entry.pendingOffer;
    if (offer == null || !config.writeStatus()) {
      return;
    }
    Instant now = clock.instant();
    if (entry.offerWrittenAt != null
        && now.isBefore(entry.offerWrittenAt.plus(config.statusRefreshInterval()))) {
      return;
    }
    entry.pendingOffer = null;
    if (entry.writtenOffer != null
        && Objects.equals(entry.writtenOffer.getSources(), offer.getSources())
        && Objects.equals(entry.writtenOffer.getTotal(), offer.getTotal())) {
      return;
    }
    entry.writtenOffer = offer;
    entry.offerWrittenAt = now;
    statusWriter.submit(entry.name, new MemberStatusWriter.Patch(null, null, offer));
  }

  private void notifyListeners(String event, java.util.function.Consumer<MemberListener> call) {
    for (MemberListener l : listeners) {
      safely(l, event, () -> call.accept(l));
    }
  }

  private static void safely(MemberListener listener, String event, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.error("member listener {} failed in {}", listener, event, e);
    }
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
