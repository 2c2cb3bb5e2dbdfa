package io.gleaner.vk;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.client.LeaderFencedCalls;
import io.gleaner.api.tls.TlsMaterial;
import io.gleaner.meta.coord.LeaderElection;
import io.gleaner.meta.coord.LeadershipListener;
import io.gleaner.meta.policy.PolicySource;
import io.gleaner.meta.time.AcceleratedClock;
import io.gleaner.vk.admission.AdmissionMetrics;
import io.gleaner.vk.admission.FairAdmission;
import io.gleaner.vk.kubelet.ControllerKubeletBackend;
import io.gleaner.vk.kubelet.KubeletAuth;
import io.gleaner.vk.kubelet.KubeletMetrics;
import io.gleaner.vk.kubelet.KubeletServer;
import io.gleaner.vk.kubelet.SelfSignedCertificate;
import io.gleaner.vk.node.CapacityWatcher;
import io.gleaner.vk.node.NodeConfig;
import io.gleaner.vk.node.NodeController;
import io.gleaner.vk.pod.MemberClusters;
import io.gleaner.vk.pod.PodController;
import io.gleaner.vk.pod.PodControllerConfig;
import io.gleaner.vk.pod.VkMetrics;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.NamespaceMapping;
import io.gleaner.vk.translate.TranslationConfig;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The virtual-kubelet's composition root: kubelet API, broker capacity stream, node lifecycle and
 * pod controller.
 *
 * <p>The kubelet API and the capacity stream run on every replica. The node controller and the pod
 * controller run on the leader only; a replica that stops leading stops them at once. A standby
 * keeps a pod controller that has listed and keeps watching the metadata and member pods without
 * acting (a warm standby, as controller-runtime starts its caches before the election); when it
 * wins it acts on those caches at once (state rebuilt from member pod labels), so a takeover costs
 * no re-list. Takeover comes within one ZooKeeper session timeout of the leader's loss. While the
 * leader's lease is not valid (ZooKeeper SUSPENDED, a pause past its deadline) the controllers stay
 * and pause: the pod controller's queues hold their keys, the broker's writes are refused ({@link
 * LeaderFencedCalls}) and so are the Kubernetes clients' ({@code LeaderFencing}, installed by
 * whoever builds them); only the end of the term (session LOST) stops them.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #stop()}; a second start fails.
 */
public final class VirtualKubeletService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VirtualKubeletService.class);

  /**
   * Everything configurable.
   *
   * @param node the Node's identity; its kubeletPort is what the kubelet API binds (0 = any free
   *     port)
   * @param instance the {@code gleaner.io/instance} value
   * @param namespaces metadata → member namespace mapping
   * @param pods pod controller tuning
   * @param timing node status / lease intervals
   * @param brokerDeadline deadline of every broker call
   * @param kubeletHost address the kubelet API binds
   * @param tls kubelet certificate; null generates a self-signed one (sandbox)
   * @param anonymousKubelet authenticate kubelet API requests without credentials as {@code
   *     system:anonymous} (still authorized by SubjectAccessReview)
   * @param kubeletClientCas the CAs whose client certificates the kubelet API accepts (as {@code
   *     --client-ca-file}); empty = bearer tokens only
   */
  public record Settings(
      NodeConfig node,
      String instance,
      NamespaceMapping namespaces,
      PodControllerConfig pods,
      NodeController.Timing timing,
      Duration brokerDeadline,
      String kubeletHost,
      TlsMaterial tls,
      boolean anonymousKubelet,
      List<X509Certificate> kubeletClientCas) {
    public Settings {
      kubeletClientCas = kubeletClientCas == null ? List.of() : List.copyOf(kubeletClientCas);
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(namespaces, "namespaces");
      Objects.requireNonNull(pods, "pods");
      Objects.requireNonNull(timing, "timing");
      if (brokerDeadline == null || brokerDeadline.isZero() || brokerDeadline.isNegative()) {
        throw new IllegalArgumentException(
            "virtualKubelet.brokerDeadline must be > 0, got " + brokerDeadline);
      }
      kubeletHost = kubeletHost == null ? "0.0.0.0" : kubeletHost;
    }

    /**
     * Sandbox defaults: node {@code gleaner} on 127.0.0.1, any free kubelet port, self-signed,
     * bearer tokens only.
     */
    public static Settings sandbox(String instance) {
      return new Settings(
          NodeConfig.defaults().withKubeletPort(0),
          instance,
          NamespaceMapping.prefixed(TranslationConfig.DEFAULT_PREFIX),
          PodControllerConfig.defaults(),
          NodeController.Timing.defaults(),
          Duration.ofSeconds(5),
          "127.0.0.1",
          null,
          false,
          List.of());
    }
  }

  private final Clock clock;
  private final UnaryOperator<Duration> toReal;
  private final KubernetesClient meta;
  private final MemberClusters members;
  private final ManagedChannel broker;
  private final Vertx vertx;
  private final Settings settings;
  private final LeaderElection election;
  private volatile KubeletAuth auth;
  private final PolicySource policy;
  private final VkMetrics metrics;
  private final ExecutorService leadership =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "vk-leadership");
            t.setDaemon(true);
            return t;
          });
  private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
  private final AtomicReference<PodController> podController = new AtomicReference<>();
  private final AtomicReference<NodeController> nodeController = new AtomicReference<>();
  private final AtomicReference<FairAdmission> admission = new AtomicReference<>();
  private final AdmissionMetrics admissionMetrics;
  private KubeletServer kubelet;
  private CapacityWatcher capacity;

  /** A watching, not acting, pod controller while another replica leads (guarded by this). */
  private PodController standby;

  private NodeConfig node;

  private enum State {
    LATENT,
    STARTED,
    STOPPED
  }

  /**
   * @param election leader election (not yet started; the service starts and stops it); null =
   *     always lead
   */
  public VirtualKubeletService(
      Clock clock,
      MeterRegistry registry,
      KubernetesClient meta,
      MemberClusters members,
      ManagedChannel broker,
      Vertx vertx,
      Settings settings,
      LeaderElection election) {
    this(
        clock, registry, meta, members, broker, vertx, settings, election, PolicySource.defaults());
  }

  /**
   * @param election leader election (not yet started; the service starts and stops it); null =
   *     always lead
   * @param policy the GleanerPolicy; its {@code memberUnreachableTimeout} is read live
   */
  public VirtualKubeletService(
      Clock clock,
      MeterRegistry registry,
      KubernetesClient meta,
      MemberClusters members,
      ManagedChannel broker,
      Vertx vertx,
      Settings settings,
      LeaderElection election,
      PolicySource policy) {
    this.policy = java.util.Objects.requireNonNull(policy, "policy");
    this.clock = clock;
    this.toReal = clock instanceof AcceleratedClock a ? a::toReal : UnaryOperator.identity();
    this.meta = meta;
    this.members = members;
    this.broker = broker;
    this.vertx = vertx;
    this.settings = settings;
    this.election = election;
    this.metrics = new VkMetrics(registry);
    this.admissionMetrics = new AdmissionMetrics(registry);
  }

  public void start() {
    if (!state.compareAndSet(State.LATENT, State.STARTED)) {
      throw new IllegalStateException("virtual-kubelet service already started or stopped");
    }
    TlsMaterial tls =
        settings.tls() != null
            ? settings.tls()
            : SelfSignedCertificate.generate(
                settings.node().name(), settings.node().internalIp(), clock, Duration.ofDays(365));
    auth =
        KubeletAuth.webhook(
            meta, settings.node().name(), settings.kubeletClientCas(), settings.anonymousKubelet());
    kubelet =
        new KubeletServer(
            vertx, new DelegatingBackend(), auth, clock, new KubeletMetrics(metrics.registry()));
    int port = kubelet.start(settings.kubeletHost(), settings.node().kubeletPort(), tls);
    node = settings.node().withKubeletPort(port);
    capacity =
        new CapacityWatcher(
            broker,
            c -> {
              NodeController nc = nodeController.get();
              if (nc != null) {
                nc.requestStatusUpdate();
              }
              PodController pc = podController.get();
              if (pc != null) {
                pc.capacityChanged();
              }
              FairAdmission fa = admission.get();
              if (fa != null) {
                fa.requestRound();
              }
            },
            () -> {
              NodeController nc = nodeController.get();
              if (nc != null) {
                nc.requestStatusUpdate();
              }
            });
    capacity.start();
    if (election == null) {
      startActing();
    } else {
      // a warm standby: informers listed and watching before the election is won, so a takeover
      // needs no re-list
      leadership.execute(this::prepareStandby);
      election.addListener(
          new LeadershipListener() {
            @Override
            public void onStartedLeading(long epoch) {
              leadership.execute(VirtualKubeletService.this::startActing);
            }

            @Override
            public void onStoppedLeading() {
              leadership.execute(VirtualKubeletService.this::stopActing);
            }
          });
      election.start();
    }
  }

  private synchronized void startActing() {
    if (state.get() != State.STARTED || podController.get() != null) {
      return;
    }
    log.info("acting as the leader of virtual node {}", node.name());
    NodeController nc =
        new NodeController(
            meta, node, clock, toReal, capacity::latest, capacity::health, settings.timing());
    nc.start();
    nodeController.set(nc);
    nc.requestStatusUpdate(); // a capacity snapshot may have arrived while the controller was
    // starting
    PodController pc = standby;
    standby = null;
    if (pc == null) {
      pc = newPodController();
      pc.startWatching();
    }
    pc.startActing();
    podController.set(pc);
    FairAdmission fa = newFairAdmission(pc);
    fa.start();
    admission.set(fa);
  }

  /**
   * Fair admission to the virtual node (pods gated by {@code gleaner.io/fair-share}): the room is
   * what the node advertises less what the pods bound to it (the pod controller's cache) request.
   */
  private FairAdmission newFairAdmission(PodController pc) {
    return new FairAdmission(
        meta,
        io.gleaner.meta.kube.KubeTaint.from(io.gleaner.vk.node.NodeBuilder.taint()),
        clock,
        admissionMetrics,
        pc::boundPods,
        () -> {
          CapacityWatcher c = capacity;
          io.gleaner.api.v1.Capacity latest = c == null ? null : c.latest();
          return latest == null ? null : io.gleaner.vk.node.NodeBuilder.allocatable(node, latest);
        },
        this::offered,
        () -> policy.current().teams(),
        election == null ? () -> true : election::isLeader,
        Duration.ofMillis(Math.max(200, toReal.apply(ADMISSION_RESYNC).toMillis())));
  }

  /** Fair admission runs a round this often without a change (clock time). */
  private static final Duration ADMISSION_RESYNC = Duration.ofSeconds(5);

  /** The harvested pool: what the members offer in all, as the broker last reported. */
  /** What the members have free in all (healthy ones), from the capacity stream; null before. */
  private io.gleaner.meta.resources.Resources freeRoom() {
    CapacityWatcher c = capacity;
    io.gleaner.api.v1.Capacity latest = c == null ? null : c.latest();
    if (latest == null) {
      return null;
    }
    try {
      io.gleaner.meta.resources.Resources free = io.gleaner.meta.resources.Resources.ZERO;
      for (io.gleaner.api.v1.ClusterCapacity cc : latest.getClustersList()) {
        if (cc.getHealthy()) {
          free = free.plus(io.gleaner.meta.resources.Resources.parse(cc.getFreeMap()));
        }
      }
      return free;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The broker's largest placeable shape, from the capacity stream; null before the first. */
  private io.gleaner.meta.resources.Resources largestShape() {
    CapacityWatcher c = capacity;
    io.gleaner.api.v1.Capacity latest = c == null ? null : c.latest();
    if (latest == null) {
      return null;
    }
    try {
      return io.gleaner.meta.resources.Resources.parse(latest.getLargestShapeMap());
    } catch (RuntimeException e) {
      return null;
    }
  }

  private io.gleaner.meta.resources.Resources offered() {
    CapacityWatcher c = capacity;
    io.gleaner.api.v1.Capacity latest = c == null ? null : c.latest();
    if (latest == null) {
      return io.gleaner.meta.resources.Resources.ZERO;
    }
    try {
      return io.gleaner.meta.resources.Resources.parse(latest.getOfferedMap());
    } catch (RuntimeException e) {
      return io.gleaner.meta.resources.Resources.ZERO;
    }
  }

  private PodController newPodController() {
    TranslationConfig tc =
        new TranslationConfig(
            settings.instance(),
            node.virtualNode(),
            settings.namespaces(),
            TranslationConfig.defaultPoolTolerations());
    PodController pc =
        new PodController(
            meta,
            members,
            BrokerApiClient.on(
                election == null
                    ? broker
                    : LeaderFencedCalls.fence(broker, election::isLeader, metrics.registry()),
                settings.brokerDeadline()),
            new MemberPodTranslator(tc),
            clock,
            toReal,
            metrics,
            settings.pods());
    pc.unreachableTimeout(() -> policy.current().memberUnreachableTimeout());
    pc.podSecurity(() -> policy.current().podSecurity());
    if (election != null) {
      pc.pauseUnless(election::isLeader);
    }
    pc.fairness(() -> policy.current().teams(), this::offered);
    pc.largestFree(this::largestShape);
    pc.freeRoom(this::freeRoom);
    return pc;
  }

  /**
   * While not leading: a pod controller that only watches, ready to act the moment this replica
   * wins.
   */
  private synchronized void prepareStandby() {
    if (state.get() != State.STARTED || podController.get() != null || standby != null) {
      return;
    }
    PodController pc = newPodController();
    try {
      pc.startWatching();
    } catch (RuntimeException e) {
      pc.close();
      log.warn(
          "warm standby could not list the clusters ({}); a takeover will list them then",
          e.toString());
      return;
    }
    standby = pc;
    log.info(
        "standing by for virtual node {}: {} metadata pods cached", node.name(), pc.metaPodCount());
  }

  private synchronized void stopActing() {
    FairAdmission fa = admission.getAndSet(null);
    if (fa != null) {
      fa.close();
    }
    PodController pc = podController.getAndSet(null);
    if (pc != null) {
      pc.close();
    }
    NodeController nc = nodeController.getAndSet(null);
    if (nc != null) {
      nc.close();
    }
    log.info(
        "stopped acting for virtual node {}", node == null ? settings.node().name() : node.name());
    if (election != null && state.get() == State.STARTED && pc != null) {
      // the acting controller's state is dropped whole; a fresh one stands by for the next term
      leadership.execute(this::prepareStandby);
    }
  }

  public void stop() {
    if (!state.compareAndSet(State.STARTED, State.STOPPED)) {
      return;
    }
    if (election != null) {
      election.stop();
    }
    stopActing();
    leadership.shutdownNow();
    synchronized (this) {
      if (standby != null) {
        standby.close();
        standby = null;
      }
    }
    if (capacity != null) {
      capacity.close();
    }
    if (kubelet != null) {
      kubelet.close();
    }
  }

  @Override
  public void close() {
    stop();
  }

  /**
   * Verifies kubelet API client certificates against {@code cas} from the next request on (a
   * rotated client CA file).
   */
  public void trustKubeletClientCas(List<X509Certificate> cas) {
    auth.trustClientCas(cas);
  }

  /** Serves a new kubelet API certificate (renewed files, an issued CSR) to new connections. */
  public void updateKubeletTls(TlsMaterial tls) {
    kubelet.updateTls(tls);
  }

  /** The kubelet API port actually bound. */
  public int kubeletPort() {
    return node.kubeletPort();
  }

  public NodeConfig node() {
    return node;
  }

  /** The watching, not yet acting, pod controller of a standby replica, else null. */
  synchronized PodController standbyController() {
    return standby;
  }

  /** The pod controller while leading, else null. */
  public PodController podController() {
    return podController.get();
  }

  public VkMetrics metrics() {
    return metrics;
  }

  /** The metrics of fair admission (gated pods, pods admitted, rounds). */
  public AdmissionMetrics admissionMetrics() {
    return admissionMetrics;
  }

  public boolean isBrokerHealthy() {
    return capacity != null && capacity.isUp();
  }

  /** Routes kubelet API calls to whichever pod controller currently acts. */
  private final class DelegatingBackend implements io.gleaner.vk.kubelet.KubeletBackend {
    /** One backend per pod controller: it keeps the integrated CPU counters between scrapes. */
    private volatile ControllerKubeletBackend cached;

    private volatile PodController cachedFor;

    private io.gleaner.vk.kubelet.KubeletBackend current() {
      PodController pc = podController.get();
      if (pc == null) {
        return null;
      }
      synchronized (this) {
        if (cachedFor != pc) {
          cached =
              new ControllerKubeletBackend(pc, members, node.name(), settings.instance(), clock);
          cachedFor = pc;
        }
        return cached;
      }
    }

    @Override
    public java.util.Collection<io.fabric8.kubernetes.api.model.Pod> pods() {
      var b = current();
      return b == null ? java.util.List.of() : b.pods();
    }

    @Override
    public java.util.Optional<Target> resolve(String namespace, String pod) {
      var b = current();
      return b == null ? java.util.Optional.empty() : b.resolve(namespace, pod);
    }

    @Override
    public java.util.Map<String, Object> statsSummary() {
      var b = current();
      return b == null
          ? java.util.Map.of(
              "node", java.util.Map.of("nodeName", node.name()), "pods", java.util.List.of())
          : b.statsSummary();
    }

    @Override
    public String resourceMetrics() {
      var b = current();
      return b == null ? "" : b.resourceMetrics();
    }
  }
}
