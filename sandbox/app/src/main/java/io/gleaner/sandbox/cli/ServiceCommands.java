package io.gleaner.sandbox.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.gleaner.api.client.ApiChannels;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.broker.BrokerService;
import io.gleaner.broker.dashboard.Dashboard;
import io.gleaner.broker.dashboard.DashboardModel;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.descheduler.DeschedulerService;
import io.gleaner.descheduler.DeschedulerSettings;
import io.gleaner.descheduler.MemberSource;
import io.gleaner.idle.IdleDetectorConfig;
import io.gleaner.idle.IdleDetectorService;
import io.gleaner.idle.source.RegistryMemberDirectory;
import io.gleaner.idle.state.DurableIdleTimerStore;
import io.gleaner.meta.config.CommonOptions;
import io.gleaner.meta.config.GleanerConfig;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.coord.LeaderElection;
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkLeaderElection;
import io.gleaner.meta.coord.ZkStateStore;
import io.gleaner.meta.metrics.Metrics;
import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.meta.registry.MemberRegistryConfig;
import io.gleaner.meta.registry.PolicyWatcher;
import io.gleaner.meta.service.AdminServer;
import io.gleaner.meta.service.ServiceMain;
import io.gleaner.meta.time.Clocks;
import io.gleaner.vk.VirtualKubeletService;
import io.gleaner.vk.pod.MemberClusters;
import io.grpc.ManagedChannel;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * One command per service, as deployed by the Helm chart: {@code gleaner broker}, {@code gleaner
 * idle-detector}, {@code gleaner virtual-kubelet}, {@code gleaner descheduler}. Each reads the
 * shared config file and flags, connects to ZooKeeper and the metadata cluster, serves {@code
 * /healthz}, {@code /readyz} and {@code /metrics}, and runs until it is terminated.
 */
public final class ServiceCommands {
  private static final Logger log = LoggerFactory.getLogger(ServiceCommands.class);

  private ServiceCommands() {}

  /**
   * What every service process shares: config, clock, metrics, admin server, ZooKeeper, metadata
   * cluster.
   */
  static final class Process implements AutoCloseable {
    final String service;
    final GleanerConfig config;
    final Clock clock;
    final Metrics metrics;
    final AdminServer admin;
    final CuratorFramework curator;
    final KubernetesClient meta;
    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();

    Process(String service, CommonOptions options) throws Exception {
      this.service = service;
      this.config = GleanerConfig.load(options);
      log.info("{} starting with config:\n{}", service, config.toYaml());
      this.clock = Clocks.system(config.speed());
      this.metrics = Metrics.create(service, config.instance());
      closeables.push(metrics::close);
      this.curator =
          Zk.connect(
              config.zk().connect(),
              config.zk().namespace(),
              config.leaderElection().leaseDuration(),
              config.zk().connectionTimeout());
      closeables.push(curator);
      Zk.instrument(curator, metrics.registry());
      this.meta = metaClient(config.kubeconfig());
      closeables.push(meta);
      this.admin =
          new AdminServer(
              config.metrics().bindAddress().host(),
              config.metrics().bindAddress().port(),
              metrics.registry());
      admin.addReadinessCheck(Zk.connectedCheck(curator));
      closeables.push(admin::stop);
    }

    LeaderElection election() {
      return config.leaderElection().enabled()
          ? new ZkLeaderElection(curator, service, ServiceMain.candidateId(), metrics.registry())
          : new AlwaysLeader(ServiceMain.candidateId());
    }

    MemberRegistry registry() {
      MemberRegistry registry =
          new MemberRegistry(
              meta, MemberRegistryConfig.defaults(namespace()), clock, metrics.registry());
      registry.start();
      closeables.push(registry);
      return registry;
    }

    /** Follows the GleanerPolicy named "default" in the metadata cluster. */
    PolicyWatcher policy() {
      PolicyWatcher policy = new PolicyWatcher(meta, clock);
      policy.start();
      closeables.push(policy);
      return policy;
    }

    /** The channel to the broker, opened as every Gleaner client opens it ({@link ApiChannels}). */
    ManagedChannel brokerChannel() {
      ManagedChannel channel =
          ApiChannels.open(
              ChannelSettings.plaintext(config.brokerAddress().toString(), service),
              metrics.registry());
      closeables.push(channel::shutdownNow);
      return channel;
    }

    void onClose(AutoCloseable c) {
      closeables.push(c);
    }

    private String namespace() {
      String ns = System.getenv("POD_NAMESPACE");
      return ns == null || ns.isBlank() ? "gleaner-system" : ns;
    }

    /** Starts the admin server, then blocks until the JVM is asked to stop. */
    int serve() throws InterruptedException {
      admin.start();
      CountDownLatch stop = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    log.info("{} stopping", service);
                    close();
                    stop.countDown();
                  },
                  service + "-shutdown"));
      log.info("{} running; health and metrics on {}", service, admin.baseUrl());
      stop.await();
      return 0;
    }

    @Override
    public synchronized void close() {
      while (!closeables.isEmpty()) {
        try {
          closeables.pop().close();
        } catch (Exception e) {
          log.warn("{}: error while stopping: {}", service, e.toString());
        }
      }
    }

    private static KubernetesClient metaClient(String kubeconfig) throws Exception {
      if (kubeconfig == null || kubeconfig.isBlank()) {
        return new KubernetesClientBuilder().build();
      }
      Path file = Path.of(kubeconfig);
      if (!Files.isReadable(file)) {
        throw new io.gleaner.meta.config.ConfigException(
            "kubeconfig: cannot read " + file.toAbsolutePath());
      }
      return new KubernetesClientBuilder()
          .withConfig(Config.fromKubeconfig(Files.readString(file)))
          .build();
    }
  }

  /** {@code gleaner broker}. */
  @Command(
      name = "broker",
      mixinStandardHelpOptions = true,
      description =
          "Runs the broker: capacity ledger, placement, the gleaner.v1 gRPC server and the capacity dashboard.")
  public static final class Broker implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      Process p = new Process("broker", common);
      MemberRegistry registry = p.registry();
      PolicyWatcher policy = p.policy();
      // Margins and the near-line reserve come from the GleanerPolicy named "default" (read at
      // start).
      BrokerService broker =
          new BrokerService(
              p.config.broker(),
              PlacementPolicy.from(policy.current()),
              p.clock,
              p.metrics.registry(),
              p.curator,
              () -> MemberViews.names(registry));
      broker.start();
      p.onClose(broker::stop);
      p.admin.addReadinessCheck(broker.readiness());
      if (p.config.broker().dashboard().enabled()) {
        DashboardModel model =
            new DashboardModel(broker::capacitySnapshot, null, p.clock)
                .withMembers(
                    () -> MemberViews.names(registry), () -> MemberViews.problems(registry));
        broker.addReclaimListener(model::record);
        new Dashboard(model).install(p.admin, Duration.ofSeconds(5));
      }
      return p.serve();
    }
  }

  /** {@code gleaner idle-detector}. */
  @Command(
      name = "idle-detector",
      mixinStandardHelpOptions = true,
      description =
          "Runs the capacity sources: idle online nodes, Volcano fragments and co-location capacity, offered to the broker.")
  public static final class IdleDetector implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      Process p = new Process("idle-detector", common);
      MemberRegistry registry = p.registry();
      PolicyWatcher policy = p.policy();
      LeaderElection election = p.election();
      IdleDetectorService idle =
          new IdleDetectorService(
              p.clock,
              p.metrics.registry(),
              new RegistryMemberDirectory(registry),
              p.brokerChannel(),
              new DurableIdleTimerStore(
                  new ZkStateStore(p.curator, p.metrics.registry()),
                  DurableIdleTimerStore.DEFAULT_ROOT),
              election,
              idleConfig(policy, p.config));
      idle.start();
      election.start();
      p.onClose(idle::stop);
      p.onClose(election::stop);
      p.admin.addReadinessCheck(idle.readiness());
      p.admin.addLivenessCheck(idle.liveness());
      return p.serve();
    }
  }

  /** {@code gleaner virtual-kubelet}. */
  @Command(
      name = "virtual-kubelet",
      mixinStandardHelpOptions = true,
      description =
          "Runs the virtual node in the metadata cluster: node lifecycle, pod controller and the kubelet API.")
  public static final class VirtualKubelet implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      Process p = new Process("virtual-kubelet", common);
      MemberRegistry registry = p.registry();
      MemberClusters members =
          new MemberClusters() {
            @Override
            public Set<String> names() {
              return MemberViews.names(registry);
            }

            @Override
            public java.util.Optional<KubernetesClient> client(String cluster) {
              return registry.member(cluster).map(MemberHandle::kubernetes);
            }

            @Override
            public boolean isHealthy(String cluster) {
              return registry.member(cluster).map(MemberHandle::isHealthy).orElse(false);
            }
          };
      Vertx vertx = Vertx.vertx();
      p.onClose(vertx::close);
      VirtualKubeletService.Settings base =
          VirtualKubeletService.Settings.sandbox(p.config.instance());
      io.gleaner.meta.config.VirtualKubeletConfig c = p.config.virtualKubelet();
      io.gleaner.vk.node.NodeConfig node =
          base.node().withName(c.nodeName()).withKubeletPort(c.kubeletPort());
      String podIp = System.getenv("POD_IP"); // the chart sets it from the downward API
      if (podIp != null && !podIp.isBlank()) {
        node =
            new io.gleaner.vk.node.NodeConfig(
                node.name(),
                podIp,
                node.kubeletPort(),
                node.kubeletVersion(),
                node.maxPods(),
                node.extraLabels());
      }
      var tlsConfig = c.tls();
      io.gleaner.vk.kubelet.TlsMaterial files =
          tlsConfig.files()
              ? io.gleaner.vk.kubelet.TlsMaterial.fromFiles(
                  java.nio.file.Path.of(tlsConfig.certFile()),
                  java.nio.file.Path.of(tlsConfig.keyFile()))
              : null;
      // how long a pod may wait for room comes from the GleanerPolicy named "default" (read at
      // start)
      Duration pendingTimeout = p.policy().current().pendingTimeout();
      VirtualKubeletService.Settings settings =
          new VirtualKubeletService.Settings(
              node,
              p.config.instance(),
              namespaceMapping(c.namespaceMapping()),
              base.pods().withPendingTimeout(pendingTimeout),
              base.timing(),
              base.brokerDeadline(),
              "0.0.0.0",
              files,
              false);
      VirtualKubeletService vk =
          new VirtualKubeletService(
              p.clock,
              p.metrics.registry(),
              p.meta,
              members,
              p.brokerChannel(),
              vertx,
              settings,
              p.election());
      vk.start();
      p.onClose(vk::stop);
      // the serving certificate stays current: renewed files are re-read, or a kubelet-serving CSR
      // is issued
      if (tlsConfig.files()) {
        var certs =
            io.gleaner.vk.kubelet.ServingCertificates.watchFiles(
                java.nio.file.Path.of(tlsConfig.certFile()),
                java.nio.file.Path.of(tlsConfig.keyFile()),
                Duration.ofMinutes(1),
                java.time.Clock.systemUTC(),
                vk::updateKubeletTls);
        p.onClose(certs::close);
      } else if (tlsConfig.csr()) {
        var certs =
            io.gleaner.vk.kubelet.ServingCertificates.requestFromCluster(
                p.meta,
                node.name(),
                node.internalIp(),
                Duration.ofSeconds(5),
                java.time.Clock.systemUTC(),
                vk::updateKubeletTls);
        p.onClose(certs::close);
      }
      return p.serve();
    }
  }

  /** The GleanerPolicy's thresholds plus the config file's resync period and metrics age bound. */
  static IdleDetectorConfig idleConfig(PolicyWatcher policy, GleanerConfig config) {
    IdleDetectorConfig b =
        IdleDetectorConfig.fromPolicy(policy.current(), "idle-detector/" + config.instance());
    io.gleaner.idle.offer.ColocationOffers colocation =
        new io.gleaner.idle.offer.ColocationOffers(
            b.colocation().cpuReclaimPercent(),
            b.colocation().memoryReclaimPercent(),
            config.idleDetector().metricsMaxAge());
    return new IdleDetectorConfig(
        b.criteria(),
        b.idleAfter(),
        b.cooldown(),
        b.nodeHeadroom(),
        colocation,
        b.minOffer(),
        b.metricsInterval(),
        config.idleDetector().resyncPeriod(),
        b.debounce(),
        b.tick(),
        b.sourceId(),
        b.podMetrics());
  }

  static io.gleaner.vk.translate.NamespaceMapping namespaceMapping(
      io.gleaner.meta.config.VirtualKubeletConfig.NamespaceMapping m) {
    return switch (m.mode()) {
      case SAME -> io.gleaner.vk.translate.NamespaceMapping.identity();
      case PREFIX -> new io.gleaner.vk.translate.NamespaceMapping(m.prefix(), Map.of());
      case SINGLE ->
          throw new io.gleaner.meta.config.ConfigException(
              "virtualKubelet.namespaceMapping.mode: SINGLE is not supported by the virtual-kubelet yet; use SAME or PREFIX");
    };
  }

  /** {@code gleaner descheduler}. */
  @Command(
      name = "descheduler",
      mixinStandardHelpOptions = true,
      description =
          "Runs the event-driven descheduler: reclaims lent capacity when online pods cannot schedule, and publishes reclaim events.")
  public static final class Descheduler implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      Process p = new Process("descheduler", common);
      MemberRegistry registry = p.registry();
      DeschedulerService d =
          new DeschedulerService(
              p.clock,
              p.metrics.registry(),
              MemberSource.of(registry),
              p.brokerChannel(),
              p.election(),
              DeschedulerSettings.from(p.config.descheduler()),
              p.config.descheduler().hooks().server());
      d.start();
      p.onClose(d::stop);
      return p.serve();
    }
  }
}
