package io.gleaner.sandbox;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.broker.BrokerService;
import io.gleaner.broker.dashboard.Dashboard;
import io.gleaner.broker.dashboard.DashboardModel;
import io.gleaner.broker.dashboard.PodCounts;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.descheduler.DeschedulerService;
import io.gleaner.descheduler.DeschedulerSettings;
import io.gleaner.idle.IdleDetectorConfig;
import io.gleaner.idle.IdleDetectorService;
import io.gleaner.idle.source.RegistryMemberDirectory;
import io.gleaner.idle.state.DurableIdleTimerStore;
import io.gleaner.meta.config.DeschedulerConfig;
import io.gleaner.meta.config.GleanerConfig;
import io.gleaner.meta.config.ServerTls;
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkLeaderElection;
import io.gleaner.meta.coord.ZkStateStore;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.meta.registry.MemberRegistryConfig;
import io.gleaner.meta.service.AdminServer;
import io.gleaner.meta.time.AcceleratedClock;
import io.gleaner.sandbox.cli.MemberViews;
import io.gleaner.sandbox.scenario.JobController;
import io.gleaner.sandbox.scenario.SandboxSummary;
import io.gleaner.sandbox.scenario.ScenarioDriver;
import io.gleaner.sandbox.scenario.SummaryCollector;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.SimulatedFederation;
import io.gleaner.vk.VirtualKubeletService;
import io.gleaner.vk.pod.MemberClusters;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in one JVM: an embedded ZooKeeper, a simulated metadata cluster, simulated
 * member clusters, the four services talking over real gRPC on loopback, a Job controller in the
 * metadata cluster and the scenario driver, all on one accelerated clock.
 *
 * <p>This is the composition root of the sandbox; production runs each service on its own ({@code
 * gleaner broker}, ...), wired the same way from the config file.
 */
public final class Sandbox implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Sandbox.class);
  public static final String INSTANCE = "sandbox";

  private final SandboxOptions options;
  private final Consumer<String> progress;
  private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
  private AcceleratedClock clock;
  private SimulatedFederation federation;
  private BrokerService broker;
  private AdminServer admin;
  private DashboardModel dashboard;
  private DeschedulerService descheduler;
  private VirtualKubeletService vk;
  private JobController jobs;
  private ScenarioDriver scenario;
  private SummaryCollector summary;
  private ScheduledExecutorService loops;

  public Sandbox(SandboxOptions options, Consumer<String> progress) {
    this.options = Objects.requireNonNull(options, "options");
    this.progress = progress == null ? s -> {} : progress;
  }

  /** Starts everything; returns once the services run and the scenario has begun. */
  public Sandbox start() throws Exception {
    clock = new AcceleratedClock(Clock.systemUTC(), options.simulatedStart(), options.speed());
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    meters.config().commonTags("instance", INSTANCE);

    progress.accept(
        "starting ZooKeeper and "
            + (1
                + options.onlineClusters()
                + options.trainingClusters()
                + options.colocationClusters())
            + " simulated clusters");
    federation = buildFederation();
    closeables.push(federation);

    CuratorFramework curator =
        Zk.connect(federation.zookeeperConnectString(), "gleaner", Duration.ofSeconds(15));
    closeables.push(curator);
    KubernetesClient meta = federation.meta().client();
    // Probes run every 2 s of real time; health is judged on the (accelerated) clock, so the bound
    // scales with speed.
    Duration healthyWithin = Duration.ofMillis((long) (10_000 * options.speed()));
    MemberRegistry registry =
        new MemberRegistry(
            meta,
            MemberRegistryConfig.defaults(federation.namespace())
                .withProbe(Duration.ofSeconds(2), healthyWithin),
            clock,
            meters);
    registry.start();
    closeables.push(registry);

    progress.accept("starting the broker");
    broker =
        new BrokerService(
            withGrpcPort(options.speed(), options.brokerPort()).broker(),
            PlacementPolicy.from(io.gleaner.meta.crd.EffectivePolicy.DEFAULTS),
            clock,
            meters,
            curator,
            null);
    broker.start();
    closeables.push(broker::stop);
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    closeables.push(channel::shutdownNow);

    admin = new AdminServer("127.0.0.1", options.dashboardPort(), meters);
    admin.addReadinessCheck(broker.readiness());
    dashboard =
        new DashboardModel(broker::capacitySnapshot, () -> podCounts(meta), clock)
            .withMembers(() -> MemberViews.names(registry), () -> MemberViews.problems(registry));
    broker.addReclaimListener(dashboard::record);
    new Dashboard(dashboard).install(admin, Duration.ofSeconds(2));
    admin.start();
    closeables.push(admin::stop);

    progress.accept("starting the idle-detector");
    ZkLeaderElection idleElection =
        new ZkLeaderElection(curator, "idle-detector", "sandbox-0", meters);
    IdleDetectorService idle =
        new IdleDetectorService(
            clock,
            meters,
            new RegistryMemberDirectory(registry),
            channel,
            new DurableIdleTimerStore(
                new ZkStateStore(curator), DurableIdleTimerStore.DEFAULT_ROOT),
            idleElection,
            IdleDetectorConfig.defaults().withIdleAfter(options.idleAfter()));
    idle.start();
    idleElection.start();
    closeables.push(idle::stop);
    closeables.push(idleElection::stop);

    progress.accept("starting the virtual-kubelet");
    Map<String, KubernetesClient> members = new LinkedHashMap<>();
    for (SimulatedCluster c : federation.members()) {
      members.put(c.name(), c.client());
    }
    Vertx vkVertx = Vertx.vertx();
    closeables.push(vkVertx::close);
    VirtualKubeletService vk =
        new VirtualKubeletService(
            clock,
            meters,
            meta,
            MemberClusters.of(
                members, name -> registry.member(name).map(MemberHandle::isHealthy).orElse(false)),
            channel,
            vkVertx,
            VirtualKubeletService.Settings.sandbox(INSTANCE),
            new ZkLeaderElection(curator, "virtual-kubelet", "sandbox-0", meters));
    vk.start();
    closeables.push(vk::stop);
    this.vk = vk;

    progress.accept("starting the descheduler");
    ZkLeaderElection deschedulerElection =
        new ZkLeaderElection(curator, "descheduler", "sandbox-0", meters);
    descheduler =
        new DeschedulerService(
            clock,
            meters,
            io.gleaner.descheduler.MemberSource.of(registry),
            channel,
            deschedulerElection,
            DeschedulerSettings.DEFAULTS,
            new DeschedulerConfig.HookServer(true, "127.0.0.1", 0, ServerTls.NONE));
    descheduler.start(); // starts and stops its election itself
    closeables.push(descheduler::stop);

    progress.accept("starting the scenario");
    jobs = new JobController(meta, clock).start(300);
    closeables.push(jobs);
    Map<String, KubernetesClient> training = new TreeMap<>();
    for (SimulatedCluster c : federation.members()) {
      if (c.name().startsWith("train-")) {
        training.put(c.name(), c.client());
      }
    }
    scenario =
        new ScenarioDriver(
            meta, training, clock, options.seed(), options.submitEvery(), options.gangEvery());
    scenario.setUp();
    summary = new SummaryCollector(meta, () -> members, clock);
    broker.addReclaimListener(
        e -> {
          long latency =
              e.getEvictedAtMs() > 0 && e.getTriggeredAtMs() > 0
                  ? e.getEvictedAtMs() - e.getTriggeredAtMs()
                  : -1;
          // Reclaim timings are on the simulated clock; the summary reports wall milliseconds.
          summary.recordReclaimLatency(e.getId(), latency < 0 ? -1 : latency / options.speed());
        });
    loops =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "sandbox-loop");
              t.setDaemon(true);
              return t;
            });
    loops.scheduleWithFixedDelay(
        quietly("scenario", scenario::tick), 0, 250, TimeUnit.MILLISECONDS);
    loops.scheduleWithFixedDelay(
        quietly("summary", summary::sample), 500, 1000, TimeUnit.MILLISECONDS);
    closeables.push(loops::shutdownNow);
    return this;
  }

  private SimulatedFederation buildFederation() {
    SimulatedFederation.Builder b =
        SimulatedFederation.builder()
            .clock(clock)
            .kubeconfigDir(options.kubeconfigDir())
            .zookeeper(true);
    for (int i = 1; i <= options.onlineClusters(); i++) {
      b.member(
          MemberSpec.of(
                  "online-" + i,
                  MemberRole.ONLINE,
                  NodeShape.of(10, "16", "64Gi").withInstanceType("c6.4xlarge"))
              .withZone("zone-" + (char) ('a' + i % 3), "region-1")
              .withOnlineLoad(220 + 20 * i));
    }
    for (int i = 1; i <= options.trainingClusters(); i++) {
      b.member(
          MemberSpec.of(
                  "train-" + i,
                  MemberRole.TRAINING,
                  NodeShape.of(6, "32", "256Gi").withGpus(8).withInstanceType("gn7.8xlarge"))
              .withZone("zone-" + (char) ('a' + i % 3), "region-1"));
    }
    for (int i = 1; i <= options.colocationClusters(); i++) {
      b.member(
          MemberSpec.of(
                  "coloc-" + i,
                  MemberRole.COLOCATION,
                  NodeShape.of(6, "32", "128Gi").withInstanceType("g7.8xlarge"))
              .withZone("zone-" + (char) ('a' + i % 3), "region-1")
              .withOnlineLoad(60));
    }
    return b.build();
  }

  private static GleanerConfig withGrpcPort(double speed, int port) {
    // The detector re-sends its offers every 15 s of real time; the TTL is on the accelerated
    // clock, so keep it at a
    // minute of real time whatever the speed.
    long ttlSeconds = Math.max(60, (long) (60 * speed));
    return GleanerConfig.fromYaml(
        "broker:\n  offerTtl: "
            + ttlSeconds
            + "s\n  grpc:\n    host: 127.0.0.1\n    port: "
            + port
            + "\n");
  }

  private Runnable quietly(String what, Runnable r) {
    return () -> {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.warn("sandbox {} loop failed, continuing: {}", what, e.toString());
      }
    };
  }

  private static PodCounts podCounts(KubernetesClient meta) {
    Map<String, Map<String, Long>> out = new HashMap<>();
    for (Pod p : meta.pods().inAnyNamespace().list().getItems()) {
      Map<String, String> sel = p.getSpec() == null ? null : p.getSpec().getNodeSelector();
      if (sel == null || !"virtual-kubelet".equals(sel.get("type"))) {
        continue;
      }
      String cls =
          p.getMetadata().getLabels() == null
              ? null
              : p.getMetadata().getLabels().get("gleaner.io/class");
      String phase =
          p.getStatus() == null || p.getStatus().getPhase() == null
              ? "Pending"
              : p.getStatus().getPhase();
      out.computeIfAbsent(cls == null ? "offline" : cls, k -> new TreeMap<>())
          .merge(phase, 1L, Long::sum);
    }
    return new PodCounts(out);
  }

  public String dashboardUrl() {
    return admin.baseUrl() + "/";
  }

  public String brokerTarget() {
    return broker.target();
  }

  public SimulatedFederation federation() {
    return federation;
  }

  public Clock clock() {
    return clock;
  }

  public ScenarioDriver scenario() {
    return scenario;
  }

  public JobController jobs() {
    return jobs;
  }

  /** Takes a last sample and returns the run's outcome. */
  public SandboxSummary summary() {
    summary.sample();
    SandboxSummary s = summary.summary();
    long reclaimed = Math.max(s.podsReclaimed(), jobs.podsReclaimed());
    return new SandboxSummary(
        s.simulatedSeconds(),
        s.podsByClass(),
        s.placedBySource(),
        reclaimed,
        s.memberPodsPendingUnschedulable(),
        s.memberPodsPendingUnschedulableMax(),
        s.reclaims(),
        s.reclaimLatencyMsP50(),
        s.reclaimLatencyMsP99(),
        s.coreHoursBySource(),
        s.onlinePodsDelayed(),
        s.onlineDelaySecondsP50(),
        s.onlineDelaySecondsMax());
  }

  @Override
  public void close() {
    while (!closeables.isEmpty()) {
      AutoCloseable c = closeables.pop();
      try {
        c.close();
      } catch (Exception e) {
        log.debug("sandbox: closing {} failed: {}", c, e.toString());
      }
    }
  }
}
