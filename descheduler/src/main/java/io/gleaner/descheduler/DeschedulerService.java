package io.gleaner.descheduler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.gleaner.descheduler.execute.BrokerNotifier;
import io.gleaner.descheduler.execute.FabricMemberActions;
import io.gleaner.descheduler.execute.GrpcBrokerNotifier;
import io.gleaner.descheduler.execute.Reclaimer;
import io.gleaner.descheduler.hooks.HookOutcome;
import io.gleaner.descheduler.hooks.ReclaimHub;
import io.gleaner.descheduler.hooks.WebhookSender;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.Planner;
import io.gleaner.descheduler.plan.PlannerConfig;
import io.gleaner.descheduler.trigger.MemberWatch;
import io.gleaner.meta.config.DeschedulerConfig;
import io.gleaner.meta.coord.LeaderElection;
import io.gleaner.meta.coord.LeadershipListener;
import io.gleaner.meta.service.AbstractLifecycle;
import io.gleaner.meta.time.AcceleratedClock;
import io.grpc.Channel;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 * settings, hooksAddress)} then {@link #start()} / {@link #stop()}. The election is started and
 * stopped with the service.
 */
public final class DeschedulerService extends AbstractLifecycle {
  private static final Logger log = LoggerFactory.getLogger(DeschedulerService.class);

  private final Clock clock;
  private final DeschedulerMetrics metrics;
  private final Map<String, KubernetesClient> members;
  private final BrokerNotifier broker;
  private final LeaderElection election;
  private final DeschedulerSettings settings;
  private final DeschedulerConfig.HookServer hooks;
  private final List<Consumer<Plan>> planListeners = new CopyOnWriteArrayList<>();
  private final List<ClusterLoop> loops = new ArrayList<>();
  private final List<MemberWatch> watches = new ArrayList<>();
  private ReclaimHub hub;
  private Server hooksServer;
  private ScheduledExecutorService timers;
  private ExecutorService io;
  private ExecutorService background;
  private final Channel brokerChannel;

  /**
   * @param members one fabric8 client per member cluster, by cluster name
   * @param brokerChannel the broker's gRPC channel (Withdraw)
   * @param hooks the ReclaimHooks gRPC server (address, TLS); null or disabled for none
   */
  public DeschedulerService(
      Clock clock,
      MeterRegistry registry,
      Map<String, KubernetesClient> members,
      Channel brokerChannel,
      LeaderElection election,
      DeschedulerSettings settings,
      DeschedulerConfig.HookServer hooks) {
    this(
        clock,
        registry,
        members,
        new GrpcBrokerNotifier(brokerChannel, settings.brokerDeadline()),
        election,
        settings,
        hooks,
        brokerChannel);
  }

  public DeschedulerService(
      Clock clock,
      MeterRegistry registry,
      Map<String, KubernetesClient> members,
      BrokerNotifier broker,
      LeaderElection election,
      DeschedulerSettings settings,
      DeschedulerConfig.HookServer hooks) {
    this(clock, registry, members, broker, election, settings, hooks, null);
  }

  private DeschedulerService(
      Clock clock,
      MeterRegistry registry,
      Map<String, KubernetesClient> members,
      BrokerNotifier broker,
      LeaderElection election,
      DeschedulerSettings settings,
      DeschedulerConfig.HookServer hooks,
      Channel brokerChannel) {
    super("descheduler");
    this.brokerChannel = brokerChannel;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.metrics = new DeschedulerMetrics(Objects.requireNonNull(registry, "registry"));
    this.members = new LinkedHashMap<>(Objects.requireNonNull(members, "members"));
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

  @Override
  protected void doStart() throws Exception {
    log.info(
        "descheduler starting for {} member cluster(s), {} mode, window {}, dry-run {}",
        members.size(),
        settings.periodicInterval() == null
            ? "event-driven"
            : "periodic every " + settings.periodicInterval(),
        settings.decisionWindow(),
        settings.dryRun());
    AtomicInteger n = new AtomicInteger();
    timers =
        Executors.newScheduledThreadPool(
            Math.max(2, Math.min(32, members.size())),
            r -> daemon(r, "descheduler-timer-" + n.incrementAndGet()));
    AtomicInteger m = new AtomicInteger();
    io =
        Executors.newFixedThreadPool(
            64, r -> daemon(r, "descheduler-evict-" + m.incrementAndGet()));
    AtomicInteger b = new AtomicInteger();
    background =
        Executors.newFixedThreadPool(8, r -> daemon(r, "descheduler-io-" + b.incrementAndGet()));
    if (brokerChannel instanceof io.grpc.ManagedChannel mc) {
      mc.getState(true); // connect now, not on the first reclaim
    }
    if (hooks != null && hooks.enabled()) {
      InetSocketAddress at = new InetSocketAddress(hooks.host(), hooks.port());
      ServerCredentials creds =
          hooks.tls().enabled()
              ? TlsServerCredentials.create(
                  new File(hooks.tls().certFile()), new File(hooks.tls().keyFile()))
              : InsecureServerCredentials.create();
      hooksServer = NettyServerBuilder.forAddress(at, creds).addService(hub).build().start();
      log.info(
          "ReclaimHooks gRPC server on {}:{} ({})",
          hooks.host(),
          hooksServer.getPort(),
          hooks.tls().enabled() ? "TLS" : "plaintext");
    }
    UnaryOperator<Duration> toReal = clock instanceof AcceleratedClock ac ? ac::toReal : d -> d;
    Planner planner =
        new Planner(new PlannerConfig(settings.nodeReserve(), settings.nominationBound(), 20_000));
    for (Map.Entry<String, KubernetesClient> e : members.entrySet()) {
      String cluster = e.getKey();
      RateLimiter limiter =
          RateLimiter.of(
              "evictions-" + cluster,
              RateLimiterConfig.custom()
                  .limitForPeriod(settings.evictionsPerSecond())
                  .limitRefreshPeriod(Duration.ofSeconds(1))
                  .timeoutDuration(settings.evictionPermitTimeout())
                  .build());
      Reclaimer reclaimer =
          new Reclaimer(
              cluster,
              new FabricMemberActions(cluster, e.getValue(), clock),
              broker,
              limiter,
              clock,
              new Reclaimer.Settings(settings.dryRun(), settings.cooldown()),
              io,
              background,
              hub);
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
              p -> planListeners.forEach(l -> l.accept(p)));
      MemberWatch watch = new MemberWatch(cluster, e.getValue(), loop);
      watch.start(Duration.ofSeconds(60));
      loop.attach(watch);
      loops.add(loop);
      watches.add(watch);
      if (settings.periodicInterval() != null) {
        long period = toReal.apply(settings.periodicInterval()).toNanos();
        timers.scheduleAtFixedRate(
            () -> loop.decide(java.util.Set.of("periodic")), period, period, TimeUnit.NANOSECONDS);
      }
    }
    election.addListener(
        new LeadershipListener() {
          @Override
          public void onStartedLeading(long epoch) {
            // A new leader (or a restarted one) looks at everything at once: finishes what a
            // predecessor began.
            if (settings.periodicInterval() == null) {
              for (ClusterLoop l : loops) {
                timers.execute(() -> l.decide(java.util.Set.of("leader")));
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
    if (election.isLeader() && settings.periodicInterval() == null) {
      for (ClusterLoop l : loops) {
        timers.execute(() -> l.decide(java.util.Set.of("start")));
      }
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  protected void doStop() throws Exception {
    election.stop();
    for (MemberWatch w : watches) {
      w.close();
    }
    if (timers != null) {
      timers.shutdownNow();
    }
    for (ExecutorService e : new ExecutorService[] {io, background}) {
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
