package io.gleaner.descheduler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.client.LeaderFencedCalls;
import io.gleaner.descheduler.execute.BrokerNotifier;
import io.gleaner.descheduler.execute.EvictionLimiter;
import io.gleaner.descheduler.execute.FabricMemberActions;
import io.gleaner.descheduler.execute.GrpcBrokerNotifier;
import io.gleaner.descheduler.execute.Reclaimer;
import io.gleaner.descheduler.hooks.HookOutcome;
import io.gleaner.descheduler.hooks.ReclaimHooksServer;
import io.gleaner.descheduler.hooks.ReclaimHub;
import io.gleaner.descheduler.hooks.WebhookSender;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.Planner;
import io.gleaner.descheduler.plan.PlannerConfig;
import io.gleaner.descheduler.trigger.MemberWatch;
import io.gleaner.descheduler.trigger.PodViews;
import io.gleaner.meta.config.DeschedulerConfig;
import io.gleaner.meta.coord.LeaderElection;
import io.gleaner.meta.coord.LeadershipListener;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.policy.PolicySource;
import io.gleaner.meta.service.AbstractLifecycle;
import io.gleaner.meta.time.AcceleratedClock;
import io.grpc.Channel;
import io.grpc.Server;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The descheduler's composition root: per member cluster a watch, a burst window, the planner and
 * the executor; one reclaim hub (gRPC {@code ReclaimHooks} server and webhooks); leader election
 * gating every action.
 *
 * <p>Usage: {@code new DeschedulerService(clock, registry, members, brokerChannel, election,
 * settings, policy, hooks)} then {@link #start()} / {@link #stop()}. The election is started and
 * stopped with the service. The reclaim cool-down and the eviction limits follow the GleanerPolicy
 * ({@code policy}) live.
 *
 * <p>Members come and go at runtime ({@link MemberSource}): a member added is watched at once, in
 * the background, and reclaimed in once its caches are filled; a member removed has its informers
 * stopped and its pending decisions dropped. A member that does not answer delays nobody: its
 * informers retry with backoff while the others work.
 */
public final class DeschedulerService extends AbstractLifecycle {
  private static final Logger log = LoggerFactory.getLogger(DeschedulerService.class);

  /** Threads running burst windows and plans, shared by all members. */
  private static final int TIMER_THREADS = 16;

  private final Clock clock;
  private final DeschedulerMetrics metrics;
  private final MemberSource members;
  private final BrokerNotifier broker;
  private final LeaderElection election;
  private final DeschedulerSettings settings;
  private final DeschedulerConfig.HookServer hooks;
  private final PolicySource policy;

  /** The reclaimer of each watched member, by name. */
  private final Map<String, Reclaimer> reclaimers = new ConcurrentHashMap<>();

  private final List<Consumer<Plan>> planListeners = new CopyOnWriteArrayList<>();

  /** The members being watched, by name; changed on the {@code membership} thread only. */
  private final Map<String, Watched> watched = new ConcurrentHashMap<>();

  private final MemberSource.Listener membershipListener = new Membership();
  private ExecutorService membership;
  private Planner planner;
  private FederationShares shares;
  private GuaranteePass guarantees;

  /**
   * How often the pool the teams share is read from the broker (simulated time), and the reclaim
   * cycle for guarantees ({@link GuaranteePass}) that follows each read.
   */
  private static final Duration POOL_REFRESH = Duration.ofSeconds(10);

  private UnaryOperator<Duration> toReal;
  private volatile boolean stopping;
  private ReclaimHub hub;
  private Server hooksServer;
  private ScheduledExecutorService timers;
  private ExecutorService io;
  private ExecutorService background;

  /**
   * Runs the members' eviction workers ({@code EvictionQueue}) in short runs: an eviction waiting
   * for its permit holds no thread, so {@link #PERMIT_THREADS} serve any number of members.
   */
  private ScheduledThreadPoolExecutor permits;

  /** The threads of {@link #permits}, whatever the number of members. */
  static final int PERMIT_THREADS = 2;

  private final Channel brokerChannel;

  /**
   * @param members the member clusters, followed as they are added and removed
   * @param brokerChannel the broker's gRPC channel (Withdraw)
   * @param policy the GleanerPolicy: reclaim cool-down and eviction limits, followed live
   * @param hooks the ReclaimHooks gRPC server (address, TLS); null or disabled for none
   */
  public DeschedulerService(
      Clock clock,
      MeterRegistry registry,
      MemberSource members,
      Channel brokerChannel,
      LeaderElection election,
      DeschedulerSettings settings,
      PolicySource policy,
      DeschedulerConfig.HookServer hooks) {
    this(
        clock,
        registry,
        members,
        new GrpcBrokerNotifier(
            LeaderFencedCalls.fence(brokerChannel, election::isLeader, registry),
            settings.brokerDeadline()),
        election,
        settings,
        policy,
        hooks,
        brokerChannel);
  }

  /** A fixed set of members: one fabric8 client per member cluster, by cluster name. */
  public DeschedulerService(
      Clock clock,
      MeterRegistry registry,
      Map<String, KubernetesClient> members,
      Channel brokerChannel,
      LeaderElection election,
      DeschedulerSettings settings,
      PolicySource policy,
      DeschedulerConfig.HookServer hooks) {
    this(
        clock,
        registry,
        MemberSource.fixed(members),
        brokerChannel,
        election,
        settings,
        policy,
        hooks);
  }

  public DeschedulerService(
      Clock clock,
      MeterRegistry registry,
      Map<String, KubernetesClient> members,
      BrokerNotifier broker,
      LeaderElection election,
      DeschedulerSettings settings,
      PolicySource policy,
      DeschedulerConfig.HookServer hooks) {
    this(
        clock,
        registry,
        MemberSource.fixed(members),
        broker,
        election,
        settings,
        policy,
        hooks,
        null);
  }

  private DeschedulerService(
      Clock clock,
      MeterRegistry registry,
      MemberSource members,
      BrokerNotifier broker,
      LeaderElection election,
      DeschedulerSettings settings,
      PolicySource policy,
      DeschedulerConfig.HookServer hooks,
      Channel brokerChannel) {
    super("descheduler");
    this.policy = Objects.requireNonNull(policy, "policy");
    policy.addListener(this::applyPolicy);
    this.brokerChannel = brokerChannel;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.metrics = new DeschedulerMetrics(Objects.requireNonNull(registry, "registry"));
    this.members = Objects.requireNonNull(members, "members");
    this.broker = Objects.requireNonNull(broker, "broker");
    this.election = Objects.requireNonNull(election, "election");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.hooks = hooks;
    this.hub = newHub();
  }

  private ReclaimHub newHub() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<WebhookSender> senders =
        settings.webhooks().stream()
            .map(
                h ->
                    new WebhookSender(
                        h,
                        http,
                        (hook, outcome) -> metrics.hookDelivery(hook.name(), outcome.tag())))
            .toList();
    return new ReclaimHub(
        senders,
        settings.hubQueueCapacity(),
        hooks == null
            ? DeschedulerConfig.HookServer.DEFAULTS.maxWatchersPerIdentity()
            : hooks.maxWatchersPerIdentity(),
        (HookOutcome o) -> metrics.hookDelivery("grpc-stream", o.tag()));
  }

  /** The hub: add in-process listeners to it; it also serves ReclaimHooks.Watch. */
  public ReclaimHub hub() {
    return hub;
  }

  /** Told of every plan (including ones that evict nothing); must not block. */
  public void addPlanListener(Consumer<Plan> listener) {
    planListeners.add(listener);
  }

  /** The port the ReclaimHooks server listens on, or -1. */
  public int hooksPort() {
    return hooksServer == null ? -1 : hooksServer.getPort();
  }

  /** The members whose caches are filled, by name: reclaims are on for them. */
  public Set<String> readyMembers() {
    Set<String> out = new java.util.TreeSet<>();
    watched.forEach(
        (k, w) -> {
          if (w.ready) {
            out.add(k);
          }
        });
    return out;
  }

  /** The members whose informers run, by name (including ones not listed yet). */
  public Set<String> watchedMembers() {
    return Set.copyOf(watched.keySet());
  }

  @Override
  protected void doStart() throws Exception {
    log.info(
        "descheduler starting, {} mode, window {}, dry-run {}",
        settings.periodicInterval() == null
            ? "event-driven"
            : "periodic every " + settings.periodicInterval(),
        settings.decisionWindow(),
        settings.dryRun());
    AtomicInteger n = new AtomicInteger();
    timers =
        Executors.newScheduledThreadPool(
            TIMER_THREADS, r -> daemon(r, "descheduler-timer-" + n.incrementAndGet()));
    AtomicInteger m = new AtomicInteger();
    io =
        Executors.newFixedThreadPool(
            64, r -> daemon(r, "descheduler-evict-" + m.incrementAndGet()));
    AtomicInteger b = new AtomicInteger();
    background =
        Executors.newFixedThreadPool(8, r -> daemon(r, "descheduler-io-" + b.incrementAndGet()));
    AtomicInteger p = new AtomicInteger();
    permits =
        new ScheduledThreadPoolExecutor(
            PERMIT_THREADS, r -> daemon(r, "descheduler-permits-" + p.incrementAndGet()));
    permits.setRemoveOnCancelPolicy(true);
    membership = Executors.newSingleThreadExecutor(r -> daemon(r, "descheduler-members"));
    if (brokerChannel instanceof io.grpc.ManagedChannel mc) {
      mc.getState(true); // connect now, not on the first reclaim
    }
    if (hooks != null && hooks.enabled()) {
      hooksServer = ReclaimHooksServer.start(hooks, hub, metrics.registry());
    }
    toReal = clock instanceof AcceleratedClock ac ? ac::toReal : d -> d;
    planner =
        new Planner(new PlannerConfig(settings.nodeReserve(), settings.nominationBound(), 20_000));
    shares =
        new FederationShares(
            () -> policy.current().teams(),
            () -> watched.values().stream().filter(w -> w.ready).map(w -> w.watch.pods()).toList(),
            PodViews::requests,
            () -> {
              Set<String> issued = new java.util.HashSet<>();
              watched.values().forEach(w -> issued.addAll(w.loop.evictionsIssued()));
              return issued;
            },
            brokerChannel == null
                ? null
                : BrokerApiClient.on(brokerChannel, settings.brokerDeadline()),
            settings.instance());
    guarantees =
        new GuaranteePass(
            shares,
            () -> watched.values().stream().filter(w -> w.ready).map(w -> w.loop).toList(),
            clock);
    long poolPeriod = toReal.apply(POOL_REFRESH).toMillis();
    timers.scheduleWithFixedDelay(
        () -> {
          if (!policy.current().teams().declared().isEmpty()) {
            shares.refreshPool();
            if (election.isLeader()) {
              try {
                guarantees.run();
              } catch (RuntimeException e) {
                log.warn("guarantee reclaim pass failed", e);
              }
            }
          }
        },
        0,
        Math.max(100, poolPeriod),
        TimeUnit.MILLISECONDS);
    election.addListener(
        new LeadershipListener() {
          @Override
          public void onStartedLeading(long epoch) {
            // A new leader (or a restarted one) looks at everything at once: finishes what a
            // predecessor began.
            if (settings.periodicInterval() == null) {
              for (Watched w : watched.values()) {
                if (w.ready) {
                  timers.execute(() -> w.loop.decide(Set.of("leader")));
                }
              }
            }
          }

          @Override
          public void onStoppedLeading() {
            log.warn("descheduler lost leadership; reclaims stop until it leads again");
          }
        });
    if (election.state() == State.NEW) {
      election.start();
    }
    members.attach(membershipListener);
  }

  /** One watched member: its loop, its watch and its periodic pass. */
  private static final class Watched {
    final ClusterLoop loop;
    final MemberWatch watch;
    ScheduledFuture<?> periodic;
    volatile boolean ready;
    volatile boolean closed;

    Watched(ClusterLoop loop, MemberWatch watch) {
      this.loop = loop;
      this.watch = watch;
    }

    void close() {
      closed = true;
      loop.attach(null);
      if (periodic != null) {
        periodic.cancel(false);
      }
      watch.close();
    }
  }

  /** Registry callbacks, handed to the membership thread (they must not block the registry). */
  private final class Membership implements MemberSource.Listener {
    @Override
    public void added(String cluster, KubernetesClient client) {
      submit(() -> add(cluster, client));
    }

    @Override
    public void removed(String cluster) {
      submit(() -> remove(cluster, "removed"));
    }

    private void submit(Runnable change) {
      if (stopping) {
        return;
      }
      try {
        membership.execute(
            () -> {
              if (!stopping) {
                change.run();
              }
            });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        log.debug("membership change after stop ignored");
      }
    }
  }

  private void add(String cluster, KubernetesClient client) {
    remove(cluster, "reconnected");
    EffectivePolicy now = policy.current();
    EvictionLimiter limiter =
        new EvictionLimiter(
            now.eviction().perSecondPerCluster(),
            now.eviction().maxConcurrentPerCluster(),
            settings.evictionPermitTimeout());
    Reclaimer reclaimer =
        new Reclaimer(
            cluster,
            new FabricMemberActions(cluster, client, clock),
            broker,
            limiter,
            clock,
            new Reclaimer.Settings(settings.dryRun(), now.reclaimCooldown()),
            io,
            background,
            permits,
            election::isLeader,
            hub);
    reclaimers.put(cluster, reclaimer);
    // a change that arrived while this reclaimer was made
    applyTo(reclaimer, policy.current());
    ClusterLoop loop =
        new ClusterLoop(
            cluster,
            settings,
            clock,
            toReal,
            planner,
            reclaimer,
            metrics,
            election::isLeader,
            timers,
            p -> planListeners.forEach(l -> l.accept(p)),
            shares::now);
    MemberWatch watch = new MemberWatch(cluster, client, loop);
    Watched w = new Watched(loop, watch);
    watched.put(cluster, w);
    log.info("cluster {}: watching (member added)", cluster);
    watch
        .start()
        .whenComplete(
            (v, t) -> {
              if (w.closed) {
                return;
              }
              // plans are made only from filled caches
              loop.attach(watch);
              w.ready = true;
              log.info("cluster {}: member listed, reclaims on", cluster);
              if (settings.periodicInterval() != null) {
                long period = toReal.apply(settings.periodicInterval()).toNanos();
                w.periodic =
                    timers.scheduleAtFixedRate(
                        () -> loop.decide(Set.of("periodic")),
                        period,
                        period,
                        TimeUnit.NANOSECONDS);
                if (w.closed) {
                  w.periodic.cancel(false);
                }
              } else {
                timers.execute(() -> loop.decide(Set.of("start")));
              }
            });
  }

  private void remove(String cluster, String why) {
    Reclaimer reclaimer = reclaimers.remove(cluster);
    if (reclaimer != null) {
      reclaimer.close();
    }
    Watched w = watched.remove(cluster);
    if (w != null) {
      w.close();
      log.info("cluster {}: no longer watched ({})", cluster, why);
    }
  }

  private void applyPolicy(EffectivePolicy next) {
    log.info(
        "reclaim cool-down now {}, eviction limits {}/s and {} in flight per cluster",
        next.reclaimCooldown(),
        next.eviction().perSecondPerCluster(),
        next.eviction().maxConcurrentPerCluster());
    reclaimers.values().forEach(r -> applyTo(r, next));
  }

  private static void applyTo(Reclaimer r, EffectivePolicy p) {
    r.cooldown(p.reclaimCooldown());
    r.limiter().limits(p.eviction().perSecondPerCluster(), p.eviction().maxConcurrentPerCluster());
  }

  /** The eviction limits of a watched member cluster (for tests and dashboards). */
  public java.util.Optional<EvictionLimiter> limiter(String cluster) {
    return java.util.Optional.ofNullable(reclaimers.get(cluster)).map(Reclaimer::limiter);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  protected void doStop() throws Exception {
    stopping = true;
    members.detach(membershipListener);
    election.stop();
    if (membership != null) {
      membership.shutdown();
      membership.awaitTermination(5, TimeUnit.SECONDS);
    }
    for (String cluster : Set.copyOf(watched.keySet())) {
      remove(cluster, "descheduler stopped");
    }
    if (timers != null) {
      timers.shutdownNow();
    }
    for (ExecutorService e : new ExecutorService[] {permits, io, background}) {
      if (e != null) {
        e.shutdown();
        e.awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    if (hooksServer != null) {
      hooksServer.shutdown();
      hooksServer.awaitTermination(5, TimeUnit.SECONDS);
    }
    hub.close();
  }
}
