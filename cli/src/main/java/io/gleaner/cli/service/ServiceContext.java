package io.gleaner.cli.service;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.gleaner.api.client.ApiChannels;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.meta.config.ClientTls;
import io.gleaner.meta.config.ConfigException;
import io.gleaner.meta.config.GleanerConfig;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.coord.LeaderElection;
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkLeaderElection;
import io.gleaner.meta.kube.ClientIdentity;
import io.gleaner.meta.kube.LeaderFencing;
import io.gleaner.meta.metrics.Metrics;
import io.gleaner.meta.policy.PolicyWatcher;
import io.gleaner.meta.registry.MemberHttpClients;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.meta.registry.MemberRegistryConfig;
import io.gleaner.meta.service.AdminServer;
import io.gleaner.meta.service.ServiceMain;
import io.gleaner.meta.time.AcceleratedClock;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every service process shares, built from its {@link GleanerConfig}: the clock, metrics, the
 * admin server, ZooKeeper and the metadata cluster. The per-service factories ({@link
 * BrokerFactory}, {@link IdleDetectorFactory}, {@link VirtualKubeletFactory}, {@link
 * DeschedulerFactory}) add the service itself; everything started is closed in reverse order.
 */
public final class ServiceContext implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServiceContext.class);

  /** The services that elect a leader; their writes are fenced by its lease. */
  private static final java.util.Set<String> ELECTED =
      java.util.Set.of("virtual-kubelet", "idle-detector", "descheduler");

  private final String service;
  private final GleanerConfig config;
  private final Clock clock;
  private final Metrics metrics;
  private final AdminServer admin;
  private final CuratorFramework curator;
  private final KubernetesClient meta;

  /**
   * The election of a leader-elected service (null for the broker, which elects none, and with
   * leader election off); it fences every write of this process's Kubernetes clients.
   */
  private final ZkLeaderElection election;

  private final Deque<AutoCloseable> closeables = new ArrayDeque<>();

  private ServiceContext(String service, GleanerConfig config) throws Exception {
    this.service = service;
    this.config = config;
    this.clock = config.clock().clock();
    this.metrics = Metrics.create(service, config.instance());
    closeables.push(metrics::close);
    try {
      this.curator = Zk.connect(config.zk(), config.leaderElection().leaseDuration());
      closeables.push(curator);
      Zk.instrument(curator, metrics.registry());
      this.election =
          config.leaderElection().enabled() && ELECTED.contains(service)
              ? new ZkLeaderElection(
                  curator, service, ServiceMain.candidateId(), metrics.registry())
              : null;
      MemberHttpClients metaHttp =
          new MemberHttpClients("gleaner-meta", new KubernetesSerialization());
      closeables.push(metaHttp);
      this.meta = metaClient(config.kubeconfig(), metaHttp, this::fenced);
      closeables.push(meta);
      this.admin =
          new AdminServer(
              config.metrics().bindAddress().host(),
              config.metrics().bindAddress().port(),
              metrics.registry());
      admin.addReadinessCheck(Zk.connectedCheck(curator));
      closeables.push(admin::stop);
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  /** Connects what every service needs; the caller closes it. */
  public static ServiceContext open(String service, GleanerConfig config) throws Exception {
    log.info("{} starting with config:\n{}", service, config.toYaml());
    return new ServiceContext(service, config);
  }

  public String service() {
    return service;
  }

  public GleanerConfig config() {
    return config;
  }

  public Clock clock() {
    return clock;
  }

  public Metrics metrics() {
    return metrics;
  }

  public AdminServer admin() {
    return admin;
  }

  public CuratorFramework curator() {
    return curator;
  }

  public KubernetesClient meta() {
    return meta;
  }

  /**
   * This service's leader election through ZooKeeper (one per process; the service starts it), or
   * always leader when it is turned off. Its lease fences every write of the Kubernetes clients of
   * this context ({@link LeaderFencing}).
   */
  public LeaderElection election() {
    return election != null ? election : new AlwaysLeader(ServiceMain.candidateId());
  }

  /** {@code builder} with its writes fenced by this service's election, if it elects one. */
  private KubernetesClientBuilder fenced(KubernetesClientBuilder builder) {
    return election == null
        ? builder
        : LeaderFencing.install(builder, election, metrics.registry());
  }

  /**
   * The members registered in the metadata cluster, started, followed as they are added, changed
   * and removed. Member health is judged on the service's clock while probes run on real time, so
   * on an accelerated clock the health bound grows with its speed. Only the idle-detector's
   * registry writes the MemberCluster status ({@code writeStatus}): one writer per installation.
   */
  public MemberRegistry registry(boolean writeStatus) {
    MemberRegistryConfig rc = registryConfig(namespace(), writeStatus, clock);
    MemberRegistry registry = new MemberRegistry(meta, rc, clock, metrics.registry(), this::fenced);
    registry.start();
    closeables.push(registry);
    return registry;
  }

  /**
   * The registry's settings on {@code clock}. The registry compares its intervals on that clock but
   * works on real time, so on an accelerated clock the health bound grows with its speed and the
   * resync (every member's kubeconfig Secret read again, one blocking GET each, on the thread that
   * also probes) stays once a real minute: at 60x it came every tick, and on a loaded metadata API
   * server those reads delayed the probes until every member looked unreachable.
   */
  static MemberRegistryConfig registryConfig(String namespace, boolean writeStatus, Clock clock) {
    MemberRegistryConfig rc =
        MemberRegistryConfig.defaults(namespace).withStatusWrites(writeStatus);
    if (clock instanceof AcceleratedClock a && a.speed() != 1.0) {
      rc =
          rc.withProbe(Duration.ofSeconds(2), Duration.ofMillis((long) (10_000 * a.speed())))
              .withResync(Duration.ofMillis((long) (rc.resyncInterval().toMillis() * a.speed())));
    }
    return rc;
  }

  /**
   * Follows the GleanerPolicy named "default" in the metadata cluster; returns once it is read, or
   * after 30 s on the built-in defaults (said in the log and in readiness). The broker is the one
   * writer of its status.
   */
  public PolicyWatcher policy() {
    PolicyWatcher policy =
        new PolicyWatcher(
            meta,
            io.gleaner.meta.crd.GleanerPolicy.DEFAULT_NAME,
            clock,
            "broker".equals(service)
                ? PolicyWatcher.Role.STATUS_WRITER
                : PolicyWatcher.Role.READER);
    policy.start();
    closeables.push(policy);
    admin.addReadinessCheck(policy.readiness());
    try {
      policy.awaitFirstVerdict(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // stopping: the defaults stay
    }
    return policy;
  }

  /**
   * The channel to the broker, opened as every Gleaner client opens it ({@link ApiChannels}), with
   * TLS when {@code brokerTls.caFile} is set.
   */
  public ManagedChannel brokerChannel() {
    ManagedChannel channel =
        ApiChannels.open(brokerChannelSettings(config, service), metrics.registry());
    closeables.push(channel::shutdownNow);
    return channel;
  }

  /**
   * Where and how {@code service} reaches the broker, from {@code brokerAddress} and {@code
   * brokerTls}.
   */
  static ChannelSettings brokerChannelSettings(GleanerConfig config, String service) {
    ClientTls tls = config.brokerTls();
    return ChannelSettings.plaintext(config.brokerAddress().toString(), service)
        .withTls(tls.caFile(), tls.certFile(), tls.keyFile());
  }

  /** Closed with this context, before what was opened earlier. */
  public void onClose(AutoCloseable c) {
    closeables.push(c);
  }

  /** The namespace Gleaner runs in: {@code POD_NAMESPACE}, else {@code gleaner-system}. */
  public static String namespace() {
    String ns = System.getenv("POD_NAMESPACE");
    return ns == null || ns.isBlank() ? "gleaner-system" : ns;
  }

  /** Starts the admin server, then blocks until the JVM is asked to stop. */
  public int serve() throws InterruptedException {
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

  /**
   * The metadata-cluster client: from {@code kubeconfig} (in-cluster when blank), its answers
   * decoded on {@code http}'s task threads, not on its Vert.x event loops ({@link
   * MemberHttpClients}), then {@code customize}d.
   */
  static KubernetesClient metaClient(
      String kubeconfig, MemberHttpClients http, UnaryOperator<KubernetesClientBuilder> customize)
      throws Exception {
    Config config;
    if (kubeconfig == null || kubeconfig.isBlank()) {
      config = Config.autoConfigure(null);
    } else {
      Path file = Path.of(kubeconfig);
      if (!Files.isReadable(file)) {
        throw new ConfigException("kubeconfig: cannot read " + file.toAbsolutePath());
      }
      config = Config.fromKubeconfig(Files.readString(file));
    }
    return customize
        .apply(
            http.applyTo(new KubernetesClientBuilder().withConfig(ClientIdentity.applyTo(config))))
        .build();
  }
}
