package io.gleaner.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.idle.forecast.OnlineHistory;
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkCredentials;
import io.gleaner.meta.coord.ZkStateStore;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.time.AcceleratedClock;
import io.gleaner.sandbox.chaos.ServiceProbe;
import io.gleaner.sandbox.chaos.TcpLink;
import io.gleaner.sandbox.install.Charts;
import io.gleaner.sandbox.install.HelmRelease;
import io.gleaner.sandbox.install.Installation;
import io.gleaner.sandbox.install.Installer;
import io.gleaner.sandbox.install.LocalPorts;
import io.gleaner.sandbox.install.MemberRegistration;
import io.gleaner.sandbox.install.ServiceProcesses;
import io.gleaner.sandbox.invariants.FederationObserver;
import io.gleaner.sandbox.invariants.InvariantChecker;
import io.gleaner.sandbox.invariants.InvariantMonitor;
import io.gleaner.sandbox.scenario.JobController;
import io.gleaner.sandbox.scenario.OnlineSurge;
import io.gleaner.sandbox.scenario.SandboxSummary;
import io.gleaner.sandbox.scenario.ScenarioDriver;
import io.gleaner.sandbox.scenario.SummaryCollector;
import io.gleaner.sandbox.vitals.VitalsRecorder;
import io.gleaner.sandbox.vitals.VitalsReport;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.SimulatedFederation;
import io.gleaner.sim.ZooKeeperEnsemble;
import io.gleaner.sim.accounting.LendableCapacity;
import io.gleaner.sim.autoscaler.SimAutoscaler;
import io.gleaner.sim.load.OnlineWorkload;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system on simulated clusters, installed as the README's "Deploying" section tells a
 * user: an embedded ZooKeeper, a simulated metadata cluster and member clusters; the {@code
 * gleaner-member} chart rendered and applied in every member, a kubeconfig built from its token
 * Secret and registered (Secret and MemberCluster) in the metadata cluster; the {@code gleaner}
 * chart rendered and applied there; and every replica of every rendered Deployment run as a child
 * process ({@link ServiceProcesses}) with its own service account's credentials. A Job controller
 * and the scenario driver play the teams. Every process runs on one accelerated clock, given to the
 * services as the {@code clock.*} config keys.
 *
 * <p>Everything the sandbox reports comes through APIs: the clusters' and the broker's dashboard
 * JSON.
 */
public final class Sandbox implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Sandbox.class);

  /** The sandbox's own installation's names ({@link Installation#DEFAULT}). */
  public static final String INSTANCE = Installation.DEFAULT.instance();

  public static final String NAMESPACE = Installation.DEFAULT.namespace();
  public static final String RELEASE = Installation.DEFAULT.release();
  public static final String MEMBER_RELEASE = Installation.DEFAULT.memberRelease();

  /** The Secret with the embedded ZooKeeper's CA the chart's zookeeper.tls.caSecret names. */
  static final String ZK_CA_SECRET = "gleaner-zookeeper-ca";

  /**
   * The chart's ZooKeeper namespace ({@code zookeeper.namespace}), where the services keep state.
   */
  static final String ZK_NAMESPACE = Installation.DEFAULT.zkNamespace();

  private static final io.fabric8.kubernetes.client.utils.KubernetesSerialization SERIALIZATION =
      new io.fabric8.kubernetes.client.utils.KubernetesSerialization();

  private final SandboxOptions options;
  private final Consumer<String> progress;
  private final UnaryOperator<List<HasMetadata>> edit;
  private final PrintStream processOutput;
  private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
  private final List<MemberSpec> specs = new ArrayList<>();
  private final List<SimAutoscaler> autoscalers = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** One node of an elastic member's node group, and the group's maximum size. */
  static final NodeShape ELASTIC_NODE =
      NodeShape.of(1, "16", "64Gi").withInstanceType("c7.4xlarge");

  static final int ELASTIC_MAX_NODES = 4;

  /** The policy's elastic budget when the sandbox has elastic members. */
  static final int ELASTIC_MAX_CORES = 32;

  static final double ELASTIC_CORE_HOURS_PER_DAY = 48;
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private AcceleratedClock clock;
  private SimulatedFederation federation;
  private Installer installer;
  private int dashboardPort;
  private int brokerPort;
  private boolean cuttableBrokerLink;
  private Duration clockSkew = Duration.ZERO;
  private int zookeeperServers = 1;
  private List<MemberSpec> customMembers;
  private TcpLink brokerLink;
  private Path work;
  private Charts charts;
  private Instant realStart;
  private Installed primary;
  private final List<Installed> others = new java.util.concurrent.CopyOnWriteArrayList<>();
  private JobController jobs;
  private ScenarioDriver scenario;
  private OnlineSurge surge;
  private SummaryCollector summary;
  private VitalsRecorder vitals;
  private InvariantMonitor invariants;
  private ScheduledExecutorService loops;
  private Map<String, Object> userValues = Map.of();
  private BeforeInstall beforeGleanerChart = kubeconfig -> {};

  public Sandbox(SandboxOptions options, Consumer<String> progress) {
    this(options, progress, UnaryOperator.identity(), System.err);
  }

  /**
   * @param edit applied to the rendered {@code gleaner} chart before it is installed (tests remove
   *     an object to show what a user would see)
   * @param processOutput where the services' prefixed output goes
   */
  public Sandbox(
      SandboxOptions options,
      Consumer<String> progress,
      UnaryOperator<List<HasMetadata>> edit,
      PrintStream processOutput) {
    this.options = Objects.requireNonNull(options, "options");
    this.progress = progress == null ? s -> {} : progress;
    this.edit = Objects.requireNonNull(edit, "edit");
    this.processOutput = Objects.requireNonNull(processOutput, "processOutput");
  }

  /** Installs Gleaner, starts the services, then the teams' scenario. */
  public Sandbox start() throws Exception {
    install();
    startScenario();
    return this;
  }

  /**
   * Starts the clusters and installs Gleaner as a user would; returns once every service process is
   * healthy.
   */
  public Sandbox install() throws Exception {
    Instant realStart = Instant.now();
    clock =
        AcceleratedClock.anchored(
            Clock.systemUTC(), realStart, options.simulatedStart(), options.speed());
    dashboardPort = LocalPorts.orNext(options.dashboardPort());
    brokerPort = LocalPorts.orNext(options.brokerPort());
    if (options.dashboardPort() > 0 && dashboardPort != options.dashboardPort()) {
      progress.accept(
          "port " + options.dashboardPort() + " is taken: the dashboard uses " + dashboardPort);
    }
    if (options.brokerPort() > 0 && brokerPort != options.brokerPort()) {
      progress.accept(
          "port " + options.brokerPort() + " is taken: the broker's gRPC uses " + brokerPort);
    }
    if (cuttableBrokerLink) {
      brokerLink = new TcpLink(new java.net.InetSocketAddress("127.0.0.1", brokerPort));
      closeables.push(brokerLink);
      progress.accept(
          "the virtual-kubelets reach the broker through a cuttable link on port "
              + brokerLink.port());
    }

    progress.accept(
        "starting ZooKeeper and "
            + (1
                + (customMembers != null
                    ? customMembers.size()
                    : options.onlineClusters()
                        + options.trainingClusters()
                        + options.colocationClusters()
                        + options.elasticClusters()))
            + " simulated clusters");
    federation = buildFederation();
    closeables.push(federation);
    specs.forEach(this::startAutoscaler);
    work = Files.createTempDirectory("gleaner-sandbox-");
    charts = Charts.fromClasspath();
    closeables.push(charts);
    installer = new Installer(progress);
    this.realStart = realStart;

    Installation inst = Installation.DEFAULT;
    List<HasMetadata> memberChart = installMemberCharts(inst, federation.meta());
    primary =
        installGleaner(
            inst,
            federation.meta(),
            memberChart,
            dashboardPort,
            brokerPort,
            brokerLink == null ? null : brokerLink.port(),
            userValues,
            beforeGleanerChart,
            edit,
            work,
            "");
    return this;
  }

  /**
   * A further installation of Gleaner beside the sandbox's own ({@link Installation#DEFAULT}), on
   * the same members, as a second platform team installs it: a metadata cluster of its own (its
   * {@code MemberCluster} and {@code GleanerPolicy} objects are cluster-scoped, so two
   * installations in one metadata cluster would share them), "Deploying" step 1 and 2 with its own
   * member release in every member, step 3 with its own release, instance, ZooKeeper chroot (same
   * ensemble) and virtual node, and its services as processes of their own (named {@code
   * <instance>-<service>-<n>}, on ports of their own). Call after {@link #install()}; returns once
   * its services are healthy.
   *
   * @param values the operator's values for its {@code gleaner} chart, over the sandbox's
   * @param before what its operator does first in its metadata cluster (as {@link
   *     #withGleanerValues})
   */
  public Installed installBeside(
      Installation inst, Map<String, Object> values, BeforeInstall before) throws Exception {
    if (primary == null) {
      throw new IllegalStateException("install() first");
    }
    if (inst.instance().equals(primary.installation().instance())
        || others.stream().anyMatch(o -> o.installation().instance().equals(inst.instance()))) {
      throw new IllegalArgumentException("instance " + inst.instance() + " is installed already");
    }
    progress.accept("starting the metadata cluster of installation " + inst.instance());
    SimulatedCluster metaCluster = federation.addMetadataCluster("meta-" + inst.instance());
    List<HasMetadata> memberChart = installMemberCharts(inst, metaCluster);
    Installed installed =
        installGleaner(
            inst,
            metaCluster,
            memberChart,
            LocalPorts.next(),
            LocalPorts.next(),
            null,
            values,
            Objects.requireNonNull(before, "before"),
            UnaryOperator.identity(),
            work.resolve(inst.instance()),
            inst.instance() + "-");
    others.add(installed);
    return installed;
  }

  /**
   * "Deploying" step 1 and 2 of one installation in every member: its member release rendered,
   * applied in every member, and each member registered in {@code metaCluster} with the kubeconfig
   * of that release's token Secret. Returns the rendered member chart.
   */
  private List<HasMetadata> installMemberCharts(Installation inst, SimulatedCluster metaCluster)
      throws Exception {
    progress.accept(
        "helm install " + inst.memberRelease() + " in " + specs.size() + " member clusters");
    // the same release with the same values in every member; its admission policy narrowed to
    // this installation's pods, as the README tells an operator to do
    List<HasMetadata> memberChart = charts.render(memberRelease(inst));
    // one member after another is how a user does it; here all at once, as each is independent
    java.util.concurrent.ExecutorService installs =
        Executors.newFixedThreadPool(Math.max(1, Math.min(specs.size(), 12)));
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (MemberSpec m : specs) {
        done.add(installs.submit(() -> registerMember(inst, metaCluster, memberChart, m)));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get();
      }
    } finally {
      installs.shutdownNow();
    }
    return memberChart;
  }

  /**
   * "Deploying" step 3 of one installation: its policy and the {@code gleaner} chart applied in
   * {@code metaCluster}, every replica of every rendered Deployment started with its own service
   * account's credentials; returns once every one is healthy.
   *
   * @param dir where its processes' files go
   * @param processPrefix before every replica's name
   */
  private Installed installGleaner(
      Installation inst,
      SimulatedCluster metaCluster,
      List<HasMetadata> memberChart,
      int dashboard,
      int broker,
      Integer brokerLinkPort,
      Map<String, Object> values,
      BeforeInstall before,
      UnaryOperator<List<HasMetadata>> editRendered,
      Path dir,
      String processPrefix)
      throws Exception {
    KubernetesClient meta = metaCluster.client();
    progress.accept(
        "helm install " + inst.release() + " in metadata cluster " + metaCluster.name());
    applyPolicy(meta);
    before.run(federation.kubeconfigPath(metaCluster.name()));
    installer.apply(meta, charts.crds(Charts.GLEANER));
    // the detector re-sends offers every 15 s of real time; the TTL is on the accelerated clock,
    // so it stays at a minute of real time whatever the speed
    Duration offerTtl = Duration.ofSeconds(Math.max(60, (long) (60 * options.speed())));
    // a gang's reservations wait for the virtual-kubelet to create and confirm its pods, which
    // takes real time: the gang TTL too is two minutes of real time whatever the speed
    Duration gangTtl = Duration.ofSeconds(Math.max(120, (long) (120 * options.speed())));
    HelmRelease release =
        gleanerRelease(
                inst,
                zookeeperConnect(),
                federation.zookeeperCaFile() == null ? null : ZK_CA_SECRET,
                broker,
                offerTtl,
                gangTtl,
                extraArgs(options, realStart, clockSkew, brokerLinkPort))
            .withValues(values);
    List<HasMetadata> installedObjects = editRendered.apply(charts.render(release));
    installer.apply(meta, installedObjects);

    Files.createDirectories(dir);
    ServiceProcesses started = new ServiceProcesses(dir, processOutput, processPrefix);
    closeables.push(started);
    Map<String, ConfigMap> configMaps = new LinkedHashMap<>();
    Map<String, Secret> secrets = new LinkedHashMap<>();
    for (HasMetadata o : installedObjects) {
      if (o instanceof ConfigMap cm) {
        configMaps.put(cm.getMetadata().getName(), cm);
      }
      if (o instanceof Secret secret) {
        secrets.put(secret.getMetadata().getName(), secret);
      }
    }
    Secret zookeeperCa = zookeeperCaSecret(inst.namespace());
    if (zookeeperCa != null) {
      // as an operator creates the CA Secret of an existing ensemble (README, zookeeper.tls)
      installer.apply(meta, List.of(zookeeperCa));
    }
    Path reader = writeReaderCertificate(secrets.values(), dir.resolve("reader-grpc-tls"));
    String adminKubeconfig = metaCluster.kubeconfig();
    List<Deployment> deployments =
        installedObjects.stream()
            .filter(Deployment.class::isInstance)
            .map(Deployment.class::cast)
            .toList();
    addMountedConfigMaps(meta, deployments, configMaps);
    addMountedSecrets(meta, deployments, secrets);
    if (options.forecast()) {
      // as the installation's ZooKeeper identity, so the services can read it and no one else
      warmForecast(inst.zkNamespace(), zookeeperCredentials(deployments, secrets));
    }
    for (Deployment d : deployments) {
      String sa = d.getSpec().getTemplate().getSpec().getServiceAccountName();
      String kubeconfig =
          installer
              .serviceAccountKubeconfig(meta, adminKubeconfig, inst.namespace(), sa)
              .orElseGet(
                  () -> {
                    progress.accept(
                        "the metadata API server issues no service account tokens: "
                            + sa
                            + " runs with the admin's kubeconfig");
                    return adminKubeconfig;
                  });
      Path file = dir.resolve(sa + ".kubeconfig");
      Files.writeString(file, kubeconfig);
      progress.accept(
          "starting "
              + d.getSpec().getReplicas()
              + " × "
              + processPrefix
              + d.getSpec().getTemplate().getSpec().getContainers().get(0).getName());
      started.start(
          d,
          configMaps,
          secrets,
          file,
          (component, replica, port) -> {
            if (component.equals("broker") && replica == 0) {
              if ("http".equals(port.getName())) {
                return dashboard;
              }
              if ("grpc".equals(port.getName())) {
                return broker;
              }
            }
            return LocalPorts.next();
          },
          (component, replica) -> List.of());
    }
    awaitReady(started, Duration.ofSeconds(180));
    return new Installed(
        inst,
        metaCluster,
        federation.kubeconfigPath(metaCluster.name()),
        installedObjects,
        memberChart,
        serviceAccountUsers(memberChart),
        started,
        dashboard,
        broker,
        reader);
  }

  /**
   * One installation of Gleaner in the sandbox, as installed.
   *
   * @param meta its metadata cluster
   * @param metaKubeconfig the admin kubeconfig of its metadata cluster
   * @param rendered the installed objects of its {@code gleaner} chart
   * @param memberRendered the objects of its {@code gleaner-member} chart, as in every member
   * @param memberIdentities its identities in the members: its member chart's service accounts
   * @param processes its service processes (one per replica of each rendered Deployment)
   * @param dashboardPort its broker's HTTP port
   * @param brokerPort its broker's gRPC port
   * @param readerTls the directory of its chart's {@code reader} certificate, or null
   */
  public record Installed(
      Installation installation,
      SimulatedCluster meta,
      Path metaKubeconfig,
      List<HasMetadata> rendered,
      List<HasMetadata> memberRendered,
      java.util.Set<String> memberIdentities,
      ServiceProcesses processes,
      int dashboardPort,
      int brokerPort,
      Path readerTls) {
    public Installed {
      rendered = List.copyOf(rendered);
      memberRendered = List.copyOf(memberRendered);
      memberIdentities = java.util.Set.copyOf(memberIdentities);
    }

    /** How a client reaches its broker: with its chart's {@code reader} certificate, if any. */
    public ChannelSettings brokerChannelSettings(String client) {
      return brokerChannel("127.0.0.1:" + brokerPort, readerTls, client);
    }
  }

  /**
   * The sandbox's own installation ({@link Installation#DEFAULT}); null before {@link #install()}.
   */
  public Installed installed() {
    return primary;
  }

  /**
   * The ConfigMaps the Deployments mount that the chart does not render (the {@code
   * kube-root-ca.crt} every namespace has), read from the metadata cluster as a kubelet would; a
   * pod waits for a missing one, so this waits too (the API server publishes it asynchronously).
   */
  private static void addMountedConfigMaps(
      KubernetesClient meta, List<Deployment> deployments, Map<String, ConfigMap> configMaps) {
    for (Deployment d : deployments) {
      var volumes = d.getSpec().getTemplate().getSpec().getVolumes();
      for (var v : volumes == null ? List.<io.fabric8.kubernetes.api.model.Volume>of() : volumes) {
        if (v.getConfigMap() == null || configMaps.containsKey(v.getConfigMap().getName())) {
          continue;
        }
        String name = v.getConfigMap().getName();
        ConfigMap cm =
            meta.configMaps()
                .inNamespace(d.getMetadata().getNamespace())
                .withName(name)
                .waitUntilCondition(c -> c != null, 60, TimeUnit.SECONDS);
        configMaps.put(name, cm);
      }
    }
  }

  /**
   * The Secrets the Deployments mount that the chart does not render (e.g. a webhook's signing key
   * the operator created), read from the metadata cluster as a kubelet would; a pod waits for a
   * missing one, so this waits a while too.
   */
  private static void addMountedSecrets(
      KubernetesClient meta, List<Deployment> deployments, Map<String, Secret> secrets) {
    for (Deployment d : deployments) {
      var volumes = d.getSpec().getTemplate().getSpec().getVolumes();
      for (var v : volumes == null ? List.<io.fabric8.kubernetes.api.model.Volume>of() : volumes) {
        if (v.getSecret() == null || secrets.containsKey(v.getSecret().getSecretName())) {
          continue;
        }
        String name = v.getSecret().getSecretName();
        Secret secret =
            meta.secrets()
                .inNamespace(d.getMetadata().getNamespace())
                .withName(name)
                .waitUntilCondition(s -> s != null, 60, TimeUnit.SECONDS);
        secrets.put(name, secret);
      }
    }
  }

  /** How long closing waits for a scenario, sample or Job pass under way to finish. */
  private static final Duration LOOPS_GRACE = Duration.ofSeconds(10);

  /** The teams: a Job controller in the metadata cluster and the scenario driver. */
  public Sandbox startScenario() {
    KubernetesClient meta = federation.meta().client();
    progress.accept("starting the scenario");
    jobs = new JobController(meta, clock).start(300);
    closeables.push(jobs);
    Map<String, KubernetesClient> training = new TreeMap<>();
    Map<String, KubernetesClient> members = new LinkedHashMap<>();
    for (SimulatedCluster c : federation.members()) {
      members.put(c.name(), c.client());
      if (c.name().startsWith("train-")) {
        training.put(c.name(), c.client());
      }
    }
    // the teams keep a backlog above what can be lent, so the harvest ratio measures Gleaner
    scenario =
        new ScenarioDriver(
            meta,
            training,
            clock,
            options.seed(),
            Duration.ZERO,
            options.gangEvery(),
            ScenarioDriver.Backlog.DEFAULT);
    // with fairness on, the teams submit their pods gated: the virtual-kubelet admits them to the
    // virtual node in fair order, before the scheduler binds them
    scenario.withFairShareGate(options.fairness());
    // the offline pods declare their teams' estimates of their run times, so draining lent nodes
    // can take them
    scenario.withDeclaredRuntimes(options.declaredRuntimes());
    scenario.setUp();
    scenario.tick();
    jobs.reconcileAll();
    Map<String, java.util.Set<MemberRole>> roles = new TreeMap<>();
    specs.forEach(m -> roles.put(m.name(), m.roles()));
    BrokerApiClient broker =
        BrokerApiClient.open(
            brokerChannelSettings("sandbox-invariants"), new SimpleMeterRegistry());
    closeables.push(broker);
    summary =
        new SummaryCollector(meta, () -> members, clock, roles, LendableCapacity.Settings.DEFAULTS)
            .withBrokerCapacity(broker::capacity)
            .withTeams(TEAM_WEIGHTS);
    loops =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "sandbox-loop");
              t.setDaemon(true);
              return t;
            });
    // the teams have a thread of their own: a slow sample of every cluster must not starve them
    ScheduledExecutorService teams =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sandbox-scenario");
              t.setDaemon(true);
              return t;
            });
    closeables.push(() -> GracefulStop.stop(teams, LOOPS_GRACE));
    // once a metadata gang runs whole, online work in its member takes its node back (once a run)
    surge =
        new OnlineSurge(() -> members, clock, ScenarioDriver.META_GANG_TEAM, Duration.ofMinutes(2));
    teams.scheduleWithFixedDelay(
        quietly(
            "scenario",
            () -> {
              scenario.tick();
              surge.tick();
            }),
        0,
        250,
        TimeUnit.MILLISECONDS);
    loops.scheduleWithFixedDelay(
        quietly(
            "summary",
            () -> {
              summary.sample();
              recordReclaims();
            }),
        500,
        1000,
        TimeUnit.MILLISECONDS);
    Map<String, io.gleaner.sim.apiserver.audit.AuditLog> audits = new LinkedHashMap<>();
    for (SimulatedCluster c : federation.members()) {
      audits.put(c.name(), c.apiServer().security().audit());
    }
    java.util.Set<String> gleaner = memberIdentities();
    ServiceProbe leaders = new ServiceProbe();
    invariants =
        new InvariantMonitor(
            new FederationObserver(meta, () -> members, broker, "gleaner", INSTANCE, clock),
            Clock.systemUTC(),
            () -> audits,
            gleaner::contains,
            options.speed(),
            () ->
                new InvariantChecker.Acting(
                    federation.zookeeperEnsemble().map(ZooKeeperEnsemble::hasQuorum).orElse(true),
                    virtualKubeletMayLead(leaders)));
    loops.scheduleWithFixedDelay(
        quietly("invariants", invariants), 2000, 2000, TimeUnit.MILLISECONDS);
    vitals = new VitalsRecorder(processes()::replicas);
    loops.scheduleWithFixedDelay(quietly("vitals", vitals::sample), 0, 10, TimeUnit.SECONDS);
    closeables.push(() -> GracefulStop.stop(loops, LOOPS_GRACE));
    return this;
  }

  /**
   * Whether a virtual-kubelet replica may be leading: one says so on its {@code /metrics}, or a
   * live one did not answer in time. None alive, or every live one refusing the connection
   * (starting) or saying it does not lead: a failover.
   */
  private boolean virtualKubeletMayLead(ServiceProbe probe) {
    List<Optional<Boolean>> answers = new ArrayList<>();
    for (ServiceProcesses.Replica r : processes().replicas()) {
      Integer port = r.ports().get("http");
      if (r.name().startsWith("virtual-kubelet-") && r.isAlive() && port != null) {
        answers.add(probe.acting(port));
      }
    }
    return ServiceProbe.anyMayLead(answers);
  }

  /**
   * How a client of this sandbox reaches the broker: with the chart's {@code reader} client
   * certificate when the chart renders one (grpcTls, on by default), else plaintext.
   */
  public ChannelSettings brokerChannelSettings(String client) {
    return brokerChannel(brokerTarget(), readerTls(), client);
  }

  /** A channel to the broker at {@code target}, with the {@code reader} certificate if any. */
  private static ChannelSettings brokerChannel(String target, Path readerTls, String client) {
    ChannelSettings s = ChannelSettings.plaintext(target, client);
    return readerTls == null
        ? s
        : s.withTls(
            readerTls.resolve("ca.crt").toString(),
            readerTls.resolve("tls.crt").toString(),
            readerTls.resolve("tls.key").toString());
  }

  /** The directory of the {@code reader} certificate (ca.crt, tls.crt, tls.key), or null. */
  public Path readerTls() {
    return primary == null ? null : primary.readerTls();
  }

  /**
   * Writes the Secret of the chart's {@code reader} client certificate to {@code dir}, as a user
   * would extract it for {@code gleaner capacity}; null when the chart rendered none.
   */
  private static Path writeReaderCertificate(java.util.Collection<Secret> secrets, Path dir)
      throws IOException {
    for (Secret s : secrets) {
      Map<String, String> labels = s.getMetadata().getLabels();
      if (labels != null && "reader".equals(labels.get("gleaner.io/grpc-identity"))) {
        Files.createDirectories(dir);
        for (String key : List.of("ca.crt", "tls.crt", "tls.key")) {
          Files.write(dir.resolve(key), java.util.Base64.getDecoder().decode(s.getData().get(key)));
        }
        return dir;
      }
    }
    return null;
  }

  /** How many observations of the federation the invariants were checked on. */
  public long invariantObservations() {
    return invariants == null ? 0 : invariants.observations();
  }

  /** The online pods' waits for Gleaner judged so far (simulated time). */
  public List<io.gleaner.sandbox.invariants.OnlineWaitRule.Wait> onlineWaits() {
    return invariants == null ? List.of() : invariants.onlineWaits();
  }

  /**
   * The user names of the service accounts {@code objects} render ({@code
   * system:serviceaccount:<namespace>:<name>}): Gleaner's identities in the clusters they go to.
   */
  public static java.util.Set<String> serviceAccountUsers(List<HasMetadata> objects) {
    java.util.Set<String> users = new java.util.TreeSet<>();
    for (HasMetadata o : objects) {
      if (o instanceof io.fabric8.kubernetes.api.model.ServiceAccount) {
        String ns = o.getMetadata().getNamespace();
        users.add(
            "system:serviceaccount:"
                + (ns == null ? NAMESPACE : ns)
                + ":"
                + o.getMetadata().getName());
      }
    }
    return users;
  }

  /** Gleaner's identities in the members: the member chart's service accounts. */
  public java.util.Set<String> memberIdentities() {
    return primary == null ? java.util.Set.of() : primary.memberIdentities();
  }

  /**
   * Gangs submitted to the metadata cluster (placed through the virtual node) seen running whole so
   * far.
   */
  /** The online surge that took a metadata gang's node back, or null while none was made. */
  public OnlineSurge.Surge onlineSurge() {
    return surge == null ? null : surge.surge();
  }

  public long gangsRunWhole() {
    return invariants == null ? 0 : invariants.gangsRunWhole();
  }

  /** Invariant violations so far, by kind (zeros included); empty before the scenario starts. */
  public Map<String, Long> invariantViolations() {
    return invariants == null ? Map.of() : invariants.counts();
  }

  /**
   * Invariant violations by kind (zeros included) whose condition was first seen from {@code from}
   * to before {@code to} (null: no end), real time: what one fault of several is charged with.
   * Empty before the scenario starts.
   */
  public Map<String, Long> invariantViolationsFirstSeen(Instant from, Instant to) {
    return invariants == null ? Map.of() : invariants.countsFirstSeen(from, to);
  }

  /** What an operator does in the metadata cluster before {@code helm install gleaner}. */
  @FunctionalInterface
  public interface BeforeInstall {
    /**
     * @param kubeconfig the metadata cluster's admin kubeconfig
     */
    void run(Path kubeconfig) throws Exception;
  }

  /**
   * Values of the operator's own for the {@code gleaner} chart, over the sandbox's (as a later
   * {@code helm install -f}), and what the operator does first in the metadata cluster with the
   * admin kubeconfig (e.g. create a webhook's signing-key Secret); call before {@link #install()}.
   */
  public Sandbox withGleanerValues(Map<String, Object> values, BeforeInstall before) {
    userValues = Map.copyOf(values);
    beforeGleanerChart = Objects.requireNonNull(before, "before");
    return this;
  }

  /**
   * Routes the virtual-kubelets' broker connections through a {@link TcpLink} that a chaos run can
   * cut ({@code --chaos virtual-kubelet-broker-cut}); call before {@link #start()}. The other
   * services reach the broker directly.
   */
  public Sandbox withCuttableBrokerLink() {
    cuttableBrokerLink = true;
    return this;
  }

  /** The virtual-kubelets' cuttable link to the broker, when asked for. */
  public Optional<TcpLink> brokerLink() {
    return Optional.ofNullable(brokerLink);
  }

  /**
   * Runs ZooKeeper as an ensemble of {@code servers} (the chart's bundled one has 3) instead of one
   * server ({@code --chaos zookeeper-leader-killed}, {@code zookeeper-quorum-lost}, {@code
   * zookeeper-rolling-restart}); call before {@link #start()}.
   */
  public Sandbox withZooKeeperServers(int servers) {
    zookeeperServers = servers;
    return this;
  }

  /**
   * Runs these members instead of the shape {@link SandboxOptions} gives ({@code gleaner bench
   * system}: 100 members of 100 nodes); call before {@link #install()}.
   */
  public Sandbox withMembers(List<MemberSpec> members) {
    customMembers = List.copyOf(members);
    return this;
  }

  /**
   * Runs the idle-detector's clock {@code skew} ahead of the others' and the descheduler's {@code
   * skew} behind, on the simulated clock ({@code --chaos clock-skew}: 5 simulated minutes stand for
   * 5 minutes of wall-clock skew between hosts); call before {@link #start()}.
   */
  public Sandbox withClockSkew(Duration skew) {
    clockSkew = skew;
    return this;
  }

  /** The Secret with the embedded ZooKeeper's CA, when it serves TLS (else null). */
  private Secret zookeeperCaSecret(String namespace) throws IOException {
    Path ca = federation.zookeeperCaFile();
    if (ca == null) {
      return null;
    }
    return new SecretBuilder()
        .withNewMetadata()
        .withName(ZK_CA_SECRET)
        .withNamespace(namespace)
        .endMetadata()
        .addToData(
            "ca.crt",
            java.util.Base64.getEncoder()
                .encodeToString(
                    Files.readString(ca).getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
        .build();
  }

  /** The ZooKeeper the services use: its secure port when it serves TLS. */
  private String zookeeperConnect() {
    String secure = federation.zookeeperSecureConnectString();
    return secure != null ? secure : federation.zookeeperConnectString();
  }

  /**
   * README "Deploying" step 1 as the sandbox runs it in every member: the same chart, release,
   * namespace and values as the README's command line ({@code DeployingCommandsTest}).
   */
  static HelmRelease memberRelease() {
    return memberRelease(Installation.DEFAULT);
  }

  /** Step 1 for installation {@code inst}: its member release, namespace and values. */
  static HelmRelease memberRelease(Installation inst) {
    return new HelmRelease(
        Charts.GLEANER_MEMBER, inst.memberRelease(), inst.namespace(), inst.memberChartValues());
  }

  /**
   * README "Deploying" step 3 as the sandbox runs it: the README's chart, release and namespace,
   * and values that differ from its command line only where {@code DeployingCommandsTest} names
   * them: the embedded ZooKeeper, the broker on a port of the host, the shared accelerated clock.
   *
   * @param zookeeperCaSecret the Secret with the CA of the embedded ZooKeeper's TLS, or null
   * @param extraArgs container args by service block ({@code broker}, {@code idleDetector}, ...)
   */
  static HelmRelease gleanerRelease(
      String zookeeperConnect,
      String zookeeperCaSecret,
      int brokerPort,
      Duration offerTtl,
      Duration gangTtl,
      Map<String, List<String>> extraArgs) {
    return gleanerRelease(
        Installation.DEFAULT,
        zookeeperConnect,
        zookeeperCaSecret,
        brokerPort,
        offerTtl,
        gangTtl,
        extraArgs);
  }

  /**
   * Step 3 for installation {@code inst}: as {@link #gleanerRelease(String, String, int, Duration,
   * Duration, Map)}, in its namespace under its release; an installation other than {@link
   * Installation#DEFAULT} also sets its {@code instance}, ZooKeeper chroot and virtual node name.
   */
  static HelmRelease gleanerRelease(
      Installation inst,
      String zookeeperConnect,
      String zookeeperCaSecret,
      int brokerPort,
      Duration offerTtl,
      Duration gangTtl,
      Map<String, List<String>> extraArgs) {
    Map<String, Object> values = new LinkedHashMap<>();
    if (!inst.equals(Installation.DEFAULT)) {
      values.put("instance", inst.instance());
      values.put("zookeeper.namespace", inst.zkNamespace());
      values.put("virtualKubelet.nodeName", inst.virtualNode());
    }
    values.put("zookeeper.connect", zookeeperConnect);
    if (zookeeperCaSecret != null) {
      values.put("zookeeper.tls.caSecret", zookeeperCaSecret);
    }
    values.put("brokerAddress", "127.0.0.1:" + brokerPort);
    values.put("broker.grpcPort", brokerPort);
    values.put("broker.config.offerTtl", offerTtl.toSeconds() + "s");
    values.put("broker.config.gangTtl", gangTtl.toSeconds() + "s");
    extraArgs.forEach((service, args) -> values.put(service + ".extraArgs", List.copyOf(args)));
    return new HelmRelease(
        Charts.GLEANER, inst.release(), inst.namespace(), HelmRelease.nested(values));
  }

  /**
   * Every service on the shared accelerated clock (the idle-detector's and descheduler's skewed
   * when asked); the virtual-kubelets through the cuttable broker link when there is one. The
   * kubelet API authenticates the simulated API server by its kubelet client certificate, verified
   * against the cluster CA the chart mounts from kube-root-ca.crt (chart default).
   */
  static Map<String, List<String>> extraArgs(
      SandboxOptions options, Instant realStart, Duration clockSkew, Integer brokerLinkPort) {
    Map<String, List<String>> args = new LinkedHashMap<>();
    args.put("broker", clockArgs(options, realStart, Duration.ZERO));
    args.put("idleDetector", clockArgs(options, realStart, clockSkew));
    args.put("descheduler", clockArgs(options, realStart, clockSkew.negated()));
    List<String> vk = new ArrayList<>(clockArgs(options, realStart, Duration.ZERO));
    if (brokerLinkPort != null) {
      vk.add("--set=brokerAddress=127.0.0.1:" + brokerLinkPort);
    }
    args.put("virtualKubelet", vk);
    return args;
  }

  /** The shared accelerated clock's settings as container args, {@code skew} off the others. */
  private static List<String> clockArgs(SandboxOptions options, Instant realStart, Duration skew) {
    return List.of(
        "--set=clock.speed=" + options.speed(),
        "--set=clock.simulatedStart=" + options.simulatedStart().plus(skew),
        "--set=clock.realStart=" + realStart);
  }

  /**
   * Step 1 and 2 of "Deploying" for one member: install the member chart, build the kubeconfig from
   * its token Secret, register it.
   */
  private void registerMember(
      Installation inst, SimulatedCluster metaCluster, List<HasMetadata> rendered, MemberSpec m) {
    installer.apply(metaCluster.client(), installMemberChart(inst, rendered, m).objects());
  }

  /**
   * Step 1 of "Deploying" for one member: the member chart's objects applied in it, and the
   * kubeconfig built from its token Secret, as the chart's install notes do; returns what step 2
   * registers in the metadata cluster.
   */
  private MemberRegistration installMemberChart(
      Installation inst, List<HasMetadata> rendered, MemberSpec m) {
    SimulatedCluster c = federation.member(m.name());
    List<HasMetadata> objects = rendered.stream().map(SERIALIZATION::clone).toList();
    installer.apply(c.client(), objects);
    String tokenSecret =
        objects.stream()
            .filter(
                o ->
                    o instanceof Secret s
                        && "kubernetes.io/service-account-token".equals(s.getType()))
            .map(o -> o.getMetadata().getName())
            .findFirst()
            .orElseThrow(
                () -> new IllegalStateException("the member chart rendered no token Secret"));
    String kubeconfig =
        installer
            .kubeconfigFromTokenSecret(c.client(), c.kubeconfig(), inst.namespace(), tokenSecret)
            .orElseGet(
                () -> {
                  progress.accept(
                      m.name()
                          + " issues no service account tokens: registered with its admin kubeconfig");
                  return c.kubeconfig();
                });
    return MemberRegistration.of(
        m.name(), m.roles(), c.region(), c.zone(), kubeconfig, inst.namespace());
  }

  /**
   * A member cluster that was not part of the install, started while the services run, with
   * "Deploying" step 1 done in it (the member chart installed as in every other member, the
   * kubeconfig built from its token Secret); returns what step 2 registers, which the caller
   * creates in the metadata cluster as an operator would ({@code kubectl create secret}, {@code
   * kubectl apply}). Nothing of it is known to the sandbox's own summary; call after {@link
   * #install()}.
   */
  public MemberRegistration addMember(MemberSpec m) {
    if (installer == null) {
      throw new IllegalStateException("install() first");
    }
    federation.addMember(m);
    startAutoscaler(m);
    progress.accept("helm install gleaner-member in " + m.name() + ", added at runtime");
    return installMemberChart(Installation.DEFAULT, memberRendered(), m);
  }

  /** The simulated cluster-autoscaler of an elastic member; nothing for the others. */
  private void startAutoscaler(MemberSpec m) {
    if (m.roles().contains(MemberRole.ELASTIC)) {
      autoscalers.add(
          new SimAutoscaler(
                  federation.member(m.name()),
                  SimAutoscaler.Options.of(ELASTIC_NODE, ELASTIC_MAX_NODES))
              .start());
    }
  }

  /**
   * The GleanerPolicy named "default": lend a node after it stayed idle this long, by the forecast
   * or not; the scenario's three teams (each submits into the namespace of its name) share the pool
   * 1:1:2.
   */
  private void applyPolicy(KubernetesClient meta) {
    new Installer(progress)
        .apply(
            meta,
            List.of(
                new GenericKubernetesResourceBuilder()
                    .withApiVersion("gleaner.io/v1alpha1")
                    .withKind("GleanerPolicy")
                    .withNewMetadata()
                    .withName("default")
                    .endMetadata()
                    .addToAdditionalProperties(
                        "spec",
                        Map.of(
                            "idleAfter",
                            options.idleAfter().toMinutes() + "m",
                            "forecast",
                            Map.of("enabled", options.forecast()),
                            "elastic",
                            options.elasticClusters() > 0
                                ? Map.of(
                                    "maxCores",
                                    ELASTIC_MAX_CORES,
                                    "coreHoursPerDay",
                                    ELASTIC_CORE_HOURS_PER_DAY)
                                : Map.of(),
                            "teams",
                            options.fairness()
                                ? TEAM_WEIGHTS.entrySet().stream()
                                    .map(e -> team(e.getKey(), e.getValue()))
                                    .toList()
                                : List.of()))
                    .build()));
  }

  /**
   * The ZooKeeper credentials the rendered services mount (the chart's {@code zookeeper-auth}
   * volume), or null when the chart turns ZooKeeper authentication off.
   */
  static ZkCredentials zookeeperCredentials(
      List<Deployment> deployments, Map<String, Secret> secrets) {
    for (Deployment d : deployments) {
      for (io.fabric8.kubernetes.api.model.Volume v :
          d.getSpec().getTemplate().getSpec().getVolumes()) {
        if (v.getName().equals("zookeeper-auth") && v.getSecret() != null) {
          Secret secret = secrets.get(v.getSecret().getSecretName());
          if (secret == null) {
            throw new IllegalStateException(
                "Secret " + v.getSecret().getSecretName() + " mounted as zookeeper-auth not found");
          }
          String key = v.getSecret().getItems().get(0).getKey();
          return ZkCredentials.parse(
              new String(
                  java.util.Base64.getDecoder().decode(secret.getData().get(key)),
                  StandardCharsets.UTF_8));
        }
      }
    }
    return null;
  }

  /**
   * Writes the online members' last eight days, from the trace their services follow, where the
   * idle-detector reads its histories (ZooKeeper, the chroot {@code zkNamespace}), before it
   * starts.
   *
   * @param credentials the services' ZooKeeper identity, null when they use none
   */
  private void warmForecast(String zkNamespace, ZkCredentials credentials) {
    Map<String, OnlineHistory> histories = new LinkedHashMap<>();
    Instant now = clock.instant();
    for (MemberSpec m : specs) {
      OnlineWorkload w = federation.onlineWorkload(m.name());
      if (w == null || !m.roles().contains(MemberRole.ONLINE)) {
        continue;
      }
      long capacity = 0;
      for (NodeShape n : m.nodes()) {
        capacity += n.count() * Quantities.parseCanonical("cpu", n.cpu());
      }
      histories.put(
          m.name(),
          HistoryWarmup.memberHistory(
              w::desiredReplicas,
              Quantities.parseCanonical("cpu", w.options().cpu()),
              capacity,
              now));
    }
    try (CuratorFramework zk =
        Zk.connect(
            zookeeperConnect(),
            zkNamespace,
            Duration.ofSeconds(30),
            Zk.DEFAULT_CONNECT_TIMEOUT,
            credentials,
            federation.zookeeperCaFile())) {
      HistoryWarmup.write(new ZkStateStore(zk), histories);
    }
    progress.accept(
        "forecast warmed: 8 days of hourly online requests of "
            + histories.size()
            + " online members, from the bundled trace");
  }

  /** The scenario's teams (each submits into the namespace of its name) and their weights. */
  static final Map<String, Double> TEAM_WEIGHTS =
      Map.of("ml-batch", 1.0, "search-offline", 1.0, "ads-nearline", 2.0);

  /**
   * What the scenario's policy guarantees a team: {@code ads-nearline}, the near-line team, 300
   * CPUs, about 0.4 of what the sandbox lends (about 700 cores in a default run) and about what its
   * weighted share (0.5) gives it of the harvest: whenever it holds less with pods waiting, the
   * descheduler's reclaim for guarantees (GuaranteePass) takes room back from the teams above their
   * fair share.
   */
  static final Map<String, Map<String, String>> TEAM_GUARANTEES =
      Map.of("ads-nearline", Map.of("cpu", "300"));

  private static Map<String, Object> team(String name, double weight) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("name", name);
    t.put("namespaces", List.of(name));
    t.put("weight", weight);
    Map<String, String> guarantee = TEAM_GUARANTEES.get(name);
    if (guarantee != null) {
      t.put("guarantee", guarantee);
    }
    return t;
  }

  private void awaitReady(ServiceProcesses processes, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ServiceProcesses.Replica> all = processes.replicas();
    for (ServiceProcesses.Replica r : all) {
      Integer port = r.ports().get("http");
      while (true) {
        // a replica that exits is restarted (as a kubelet would); only the deadline ends the wait
        if (port == null || status(port, "/healthz") == 200) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              r.name() + " not healthy after " + timeout + "; see its output above");
        }
        Thread.sleep(200);
      }
    }
    progress.accept(all.size() + " service processes healthy");
  }

  private int status(int port, String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Reclaim latencies and victims from the broker's dashboard JSON ({@code /api/v1/reclaims}). */
  private void recordReclaims() {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(dashboardUrl() + "api/v1/reclaims"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      if (r.statusCode() != 200) {
        return;
      }
      for (JsonNode e : json.readTree(r.body())) {
        if (e.path("dryRun").asBoolean(false)) {
          continue;
        }
        long latency = e.path("latencyMs").asLong(-1);
        List<String> victims = new ArrayList<>();
        e.path("victims").forEach(v -> victims.add(v.path("pod").asText()));
        // Reclaim timings are on the simulated clock; the summary reports wall milliseconds.
        summary.recordReclaim(
            e.path("id").asText(),
            e.path("cluster").asText(),
            victims,
            latency < 0 ? -1 : latency / options.speed());
      }
    } catch (IOException e) {
      log.debug("reclaims not read: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private SimulatedFederation buildFederation() {
    SimulatedFederation.Builder b =
        SimulatedFederation.builder()
            .clock(clock)
            .kubeconfigDir(options.kubeconfigDir())
            .zookeeper(true)
            .zookeeperServers(zookeeperServers)
            // TLS to ZooKeeper as the chart's bundled ensemble serves it (zookeeper.tls)
            .zookeeperTls(true)
            .registerMembers(false);
    if (customMembers != null) {
      specs.addAll(customMembers);
      specs.forEach(b::member);
      return b.build();
    }
    for (int i = 1; i <= options.onlineClusters(); i++) {
      specs.add(
          MemberSpec.of(
                  "online-" + i,
                  MemberRole.ONLINE,
                  NodeShape.of(10, "16", "64Gi").withInstanceType("c6.4xlarge"))
              .withZone("zone-" + (char) ('a' + i % 3), "region-1")
              .withOnlineLoad(220 + 20 * i));
    }
    for (int i = 1; i <= options.trainingClusters(); i++) {
      specs.add(
          MemberSpec.of(
                  "train-" + i,
                  MemberRole.TRAINING,
                  NodeShape.of(6, "32", "256Gi").withGpus(8).withInstanceType("gn7.8xlarge"))
              .withZone("zone-" + (char) ('a' + i % 3), "region-1"));
    }
    for (int i = 1; i <= options.colocationClusters(); i++) {
      specs.add(
          MemberSpec.of(
                  "coloc-" + i,
                  MemberRole.COLOCATION,
                  NodeShape.of(6, "32", "128Gi").withInstanceType("g7.8xlarge"))
              .withZone("zone-" + (char) ('a' + i % 3), "region-1")
              .withOnlineLoad(60));
    }
    for (int i = 1; i <= options.elasticClusters(); i++) {
      specs.add(
          MemberSpec.of("cloud-" + i, MemberRole.ELASTIC, ELASTIC_NODE.withCount(0))
              .withZone("zone-" + (char) ('a' + i % 3), "region-1"));
    }
    specs.forEach(b::member);
    return b.build();
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

  public String dashboardUrl() {
    return "http://127.0.0.1:" + dashboardPort + "/";
  }

  public String brokerTarget() {
    return "127.0.0.1:" + brokerPort;
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

  /** The service processes (one per replica of each rendered Deployment). */
  public ServiceProcesses processes() {
    return primary == null ? null : primary.processes();
  }

  /** Kinds the simulated API servers did not serve, so the install left them out. */
  public java.util.Set<String> notServed() {
    return installer == null ? java.util.Set.of() : installer.notServed();
  }

  /** The objects of the {@code gleaner-member} chart, as installed in every member. */
  public List<HasMetadata> memberRendered() {
    return primary == null ? List.of() : primary.memberRendered();
  }

  /** The installed objects of the {@code gleaner} chart. */
  public List<HasMetadata> rendered() {
    return primary == null ? List.of() : primary.rendered();
  }

  /** Takes a last sample and returns the run's outcome. */
  public SandboxSummary summary() {
    summary.sample();
    SandboxSummary s = summary.summary();
    s =
        s.withPodsReclaimed(Math.max(s.podsReclaimed(), jobs.podsReclaimed()))
            .withInvariantViolations(
                invariants == null ? Map.of() : invariants.counts(),
                invariants == null ? 0 : invariants.gangsRunWhole());
    if (options.elasticClusters() == 0) {
      return s;
    }
    int nodes = 0;
    for (MemberSpec m : specs) {
      if (m.roles().contains(MemberRole.ELASTIC)) {
        nodes += federation.member(m.name()).nodeNames().size();
      }
    }
    return s.withElastic(
        new SandboxSummary.ElasticUse(
            options.elasticClusters(),
            ELASTIC_MAX_CORES,
            ELASTIC_CORE_HOURS_PER_DAY,
            s.coreHoursBySource().getOrDefault("ELASTIC", 0.0),
            s.placedBySource().getOrDefault("ELASTIC", 0L),
            autoscalers.stream().mapToInt(SimAutoscaler::added).sum(),
            autoscalers.stream().mapToInt(SimAutoscaler::removed).sum(),
            nodes));
  }

  /**
   * Per process (every service replica, and the sandbox's own), whether heap, threads and open
   * files stayed flat after the first quarter of the run; empty before {@link #start()}.
   */
  public Map<String, VitalsReport> vitals() {
    return vitals == null ? Map.of() : vitals.reports();
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
