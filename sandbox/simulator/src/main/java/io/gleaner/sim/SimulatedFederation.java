package io.gleaner.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.load.LoadCurve;
import io.gleaner.sim.load.OnlineWorkload;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole simulated federation on loopback: a metadata cluster (serving Gleaner's CRDs), N member
 * clusters, an embedded ZooKeeper, one shared clock and one {@link SimRuntime}. Writes {@code
 * meta.kubeconfig} and {@code <member>.kubeconfig} into a directory and registers every member in
 * the metadata cluster as Gleaner expects: a Secret {@code <member>-kubeconfig} (key {@code
 * kubeconfig}) in {@link #namespace()} and a cluster-scoped {@code MemberCluster} named after the
 * member.
 *
 * <pre>{@code
 * try (SimulatedFederation f = SimulatedFederation.builder().clock(clock).kubeconfigDir(dir)
 *     .member(MemberSpec.of("online-1", MemberRole.ONLINE, NodeShape.of(10, "16", "64Gi")))
 *     .member(MemberSpec.of("train-1", MemberRole.TRAINING, NodeShape.of(4, "32", "256Gi").withGpus(8)))
 *     .build()) {
 *   f.meta().client() ...; f.member("online-1").client() ...; f.zookeeperConnectString();
 * }
 * }</pre>
 */
public final class SimulatedFederation implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedFederation.class);
  private static final ObjectMapper MAPPER = Serialization.jsonMapper();
  public static final String META = "meta";

  private final SimRuntime runtime;
  private final boolean ownsRuntime;
  private final boolean register;
  private final Clock clock;
  private final String namespace;
  private final Path kubeconfigDir;
  private final SimulatedCluster meta;
  private final List<NodeShape> metaNodes;
  private final Map<String, SimulatedCluster> metas = new LinkedHashMap<>();
  private final Map<String, SimulatedCluster> members = new LinkedHashMap<>();
  private final Map<String, OnlineWorkload> online = new LinkedHashMap<>();
  private final TestingServer zookeeper;
  private final ZooKeeperEnsemble ensemble;
  private final ZooKeeperTls zookeeperTls;
  private final Integer zookeeperSecurePort;
  private final Duration podStartDelay;
  private final LoadCurve loadCurve;
  private int nextIndex;

  private SimulatedFederation(Builder b) {
    this.ownsRuntime = b.runtime == null;
    this.runtime = b.runtime != null ? b.runtime : SimRuntime.create();
    this.clock = b.clock;
    this.namespace = b.namespace;
    this.register = b.register;
    List<AutoCloseable> started = new ArrayList<>();
    try {
      this.kubeconfigDir =
          b.kubeconfigDir != null ? b.kubeconfigDir : Files.createTempDirectory("gleaner-sim-");
      Files.createDirectories(kubeconfigDir);
      boolean single = b.zookeeper && b.zookeeperServers == 1;
      this.zookeeperTls = single && b.zookeeperTls ? ZooKeeperTls.create() : null;
      if (zookeeperTls != null) {
        started.add(zookeeperTls);
      }
      this.zookeeperSecurePort = zookeeperTls == null ? null : InstanceSpec.getRandomPort();
      this.zookeeper = single ? startZookeeper(zookeeperTls, zookeeperSecurePort) : null;
      if (zookeeper != null) {
        started.add(zookeeper);
      }
      this.ensemble =
          b.zookeeper && b.zookeeperServers > 1
              ? startEnsemble(b.zookeeperServers, b.zookeeperTls)
              : null;
      if (ensemble != null) {
        started.add(ensemble);
      }
      int index = 0;
      this.metaNodes = List.copyOf(b.metaNodes);
      this.meta =
          SimulatedCluster.builder(META)
              .runtime(runtime)
              .clock(clock)
              .index(index++)
              .gleanerCrds(true)
              .nodes(b.metaNodes.toArray(NodeShape[]::new))
              .podStartDelay(b.podStartDelay)
              .build();
      started.add(meta);
      // Volcano's PodGroup CRD, as a metadata cluster where teams submit training gangs has it
      meta.store().types().register(ResourceTypes.PODGROUPS);
      write(META, meta.kubeconfig());
      ObjectNode ns = MAPPER.createObjectNode();
      ns.putObject("metadata").put("name", namespace);
      meta.store().create(ResourceTypes.NAMESPACES, null, ns);
      this.podStartDelay = b.podStartDelay;
      this.loadCurve = b.loadCurve;
      this.nextIndex = index;
      for (MemberSpec m : b.members) {
        started.add(startMember(m, register));
      }
    } catch (IOException | RuntimeException e) {
      for (AutoCloseable c : started) {
        try {
          c.close();
        } catch (Exception ignored) {
          // best effort
        }
      }
      if (ownsRuntime) {
        runtime.close();
      }
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  /**
   * Starts one more metadata cluster (Gleaner's CRDs and Volcano's PodGroups, the nodes of {@link
   * #meta()}) on the same runtime and clock, for a second installation of Gleaner that has its own
   * federation and shares the members with the first; its kubeconfig is {@code <name>.kubeconfig}
   * in {@link #kubeconfigDir()}. No member is registered in it. Closed with the federation.
   */
  public synchronized SimulatedCluster addMetadataCluster(String name) {
    if (name.equals(META) || members.containsKey(name) || metas.containsKey(name)) {
      throw new IllegalArgumentException("duplicate cluster name \"" + name + "\"");
    }
    SimulatedCluster c =
        SimulatedCluster.builder(name)
            .runtime(runtime)
            .clock(clock)
            .index(nextIndex++)
            .gleanerCrds(true)
            .nodes(metaNodes.toArray(NodeShape[]::new))
            .podStartDelay(podStartDelay)
            .build();
    try {
      c.store().types().register(ResourceTypes.PODGROUPS);
      write(name, c.kubeconfig());
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    metas.put(name, c);
    return c;
  }

  private synchronized SimulatedCluster startMember(MemberSpec m, boolean register)
      throws IOException {
    if (m.name().equals(META) || members.containsKey(m.name()) || metas.containsKey(m.name())) {
      throw new IllegalArgumentException("duplicate cluster name \"" + m.name() + "\"");
    }
    int index = nextIndex++;
    SimulatedCluster.Builder cb =
        SimulatedCluster.builder(m.name())
            .runtime(runtime)
            .clock(clock)
            .index(index)
            .preemption(m.preemption())
            .scoring(m.scoring())
            .volcano(m.volcano())
            .colocation(m.colocation())
            .podStartDelay(podStartDelay)
            .loadCurve(loadCurve)
            .nodes(m.nodes().toArray(NodeShape[]::new));
    if (m.zone() != null) {
      cb.zone(m.zone());
    }
    if (m.region() != null) {
      cb.region(m.region());
    }
    SimulatedCluster c = cb.build();
    try {
      write(m.name(), c.kubeconfig());
      if (register) {
        register(m, c);
      }
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
    members.put(m.name(), c);
    if (m.onlineReplicas() > 0) {
      LoadCurve curve = loadCurve.scaled(1.0, Duration.ofMinutes(13L * ((index + 1) % 7)));
      online.put(
          m.name(),
          new OnlineWorkload(c, OnlineWorkload.Options.defaults(m.onlineReplicas(), curve))
              .start());
    }
    return c;
  }

  /**
   * Starts one more member while the federation runs and, unless the federation registers no member
   * ({@link Builder#registerMembers}), registers it (kubeconfig Secret and MemberCluster), as an
   * operator would after the install.
   */
  public SimulatedCluster addMember(MemberSpec spec) {
    try {
      return startMember(spec, register);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ZooKeeperEnsemble startEnsemble(int servers, boolean tls) {
    try {
      return new ZooKeeperEnsemble(servers, tls);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the embedded ZooKeeper ensemble", e);
    }
  }

  private static TestingServer startZookeeper(ZooKeeperTls tls, Integer securePort) {
    try {
      Map<String, Object> properties =
          new java.util.HashMap<>(
              Map.of("clientPortAddress", "127.0.0.1", "admin.enableServer", "false"));
      if (tls != null) {
        properties.putAll(tls.serverProperties(securePort));
      }
      InstanceSpec spec =
          new InstanceSpec(null, -1, -1, -1, true, -1, -1, 1000, properties, "127.0.0.1");
      return new TestingServer(spec, true);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the embedded ZooKeeper", e);
    }
  }

  private void write(String cluster, String kubeconfig) throws IOException {
    Files.writeString(
        kubeconfigDir.resolve(cluster + ".kubeconfig"), kubeconfig, StandardCharsets.UTF_8);
  }

  private void register(MemberSpec m, SimulatedCluster c) {
    ObjectNode secret = MAPPER.createObjectNode();
    secret
        .putObject("metadata")
        .put("name", m.name() + "-kubeconfig")
        .putObject("labels")
        .put("gleaner.io/member", m.name());
    secret.put("type", "Opaque");
    secret
        .putObject("data")
        .put(
            "kubeconfig",
            Base64.getEncoder().encodeToString(c.kubeconfig().getBytes(StandardCharsets.UTF_8)));
    meta.store().create(ResourceTypes.SECRETS, namespace, secret);
    ObjectNode mc = MAPPER.createObjectNode();
    mc.put("apiVersion", "gleaner.io/v1alpha1");
    mc.put("kind", "MemberCluster");
    mc.putObject("metadata").put("name", m.name());
    ObjectNode spec = mc.putObject("spec");
    spec.putObject("kubeconfigSecretRef")
        .put("name", m.name() + "-kubeconfig")
        .put("namespace", namespace)
        .put("key", "kubeconfig");
    ArrayNode roles = spec.putArray("roles");
    for (String r : new TreeSet<>(m.roles().stream().map(MemberRole::wireName).toList())) {
      roles.add(r);
    }
    spec.put("region", c.region());
    spec.put("zone", c.zone());
    spec.put("enabled", true);
    meta.store()
        .create(
            meta.store().types().find("gleaner.io", "v1alpha1", "memberclusters").orElseThrow(),
            null,
            mc);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The metadata cluster (named {@value #META}). */
  public SimulatedCluster meta() {
    return meta;
  }

  /** A member cluster by name. */
  public synchronized SimulatedCluster member(String name) {
    SimulatedCluster c = members.get(name);
    if (c == null) {
      throw new IllegalArgumentException(
          "no member cluster named \"" + name + "\"; members: " + members.keySet());
    }
    return c;
  }

  public synchronized List<SimulatedCluster> members() {
    return List.copyOf(members.values());
  }

  /** The online workload of a member started with {@link MemberSpec#withOnlineLoad}, if any. */
  public synchronized OnlineWorkload onlineWorkload(String member) {
    return online.get(member);
  }

  /** The connect string of the embedded ZooKeeper or ensemble (null when disabled). */
  public String zookeeperConnectString() {
    if (ensemble != null) {
      return ensemble.connectString();
    }
    return zookeeper == null ? null : zookeeper.getConnectString();
  }

  /**
   * The secure client ports of the embedded ZooKeeper ({@link Builder#zookeeperTls}), or null when
   * it serves plaintext only.
   */
  public String zookeeperSecureConnectString() {
    if (ensemble != null) {
      return ensemble.secureConnectString().orElse(null);
    }
    return zookeeperSecurePort == null ? null : "127.0.0.1:" + zookeeperSecurePort;
  }

  /** The CA of the embedded ZooKeeper's certificate (PEM), or null without TLS. */
  public Path zookeeperCaFile() {
    if (ensemble != null) {
      return ensemble.tls().map(ZooKeeperTls::caFile).orElse(null);
    }
    return zookeeperTls == null ? null : zookeeperTls.caFile();
  }

  /**
   * The embedded ensemble, when {@link Builder#zookeeperServers} asked for more than one server.
   */
  public java.util.Optional<ZooKeeperEnsemble> zookeeperEnsemble() {
    return java.util.Optional.ofNullable(ensemble);
  }

  public Path kubeconfigDir() {
    return kubeconfigDir;
  }

  /** {@code <dir>/<cluster>.kubeconfig}; the metadata cluster's is {@code meta.kubeconfig}. */
  public Path kubeconfigPath(String cluster) {
    return kubeconfigDir.resolve(cluster + ".kubeconfig");
  }

  /** Namespace of the member kubeconfig Secrets in the metadata cluster. */
  public String namespace() {
    return namespace;
  }

  public Clock clock() {
    return clock;
  }

  public SimRuntime runtime() {
    return runtime;
  }

  @Override
  public void close() {
    for (SimulatedCluster c : members()) {
      c.close();
    }
    List<SimulatedCluster> others;
    synchronized (this) {
      others = List.copyOf(metas.values());
    }
    others.forEach(SimulatedCluster::close);
    meta.close();
    if (ensemble != null) {
      try {
        ensemble.close();
      } catch (IOException e) {
        LOG.debug("closing the ZooKeeper ensemble", e);
      }
    }
    if (zookeeper != null) {
      try {
        zookeeper.close();
      } catch (IOException e) {
        LOG.debug("closing ZooKeeper", e);
      }
    }
    if (zookeeperTls != null) {
      zookeeperTls.close();
    }
    if (ownsRuntime) {
      runtime.close();
    }
  }

  /** Builds and starts a {@link SimulatedFederation}. */
  public static final class Builder {
    private SimRuntime runtime;
    private Clock clock = Clock.systemUTC();
    private Path kubeconfigDir;
    private String namespace = "gleaner-system";
    private boolean zookeeper = true;
    private int zookeeperServers = 1;
    private boolean zookeeperTls;
    private boolean register = true;
    private Duration podStartDelay = Duration.ofSeconds(1);
    private LoadCurve loadCurve = LoadCurve.alibaba2018();
    private final List<NodeShape> metaNodes =
        new ArrayList<>(List.of(NodeShape.of(1, "8", "32Gi")));
    private final List<MemberSpec> members = new ArrayList<>();

    private Builder() {}

    public Builder runtime(SimRuntime rt) {
      this.runtime = Objects.requireNonNull(rt, "runtime");
      return this;
    }

    /** The clock of every cluster (a FakeClock in tests, an AcceleratedClock in the sandbox). */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** Where kubeconfigs are written (created if missing; default: a new temporary directory). */
    public Builder kubeconfigDir(Path dir) {
      this.kubeconfigDir = Objects.requireNonNull(dir, "kubeconfigDir");
      return this;
    }

    /**
     * Namespace of the kubeconfig Secrets in the metadata cluster (default {@code gleaner-system}).
     */
    public Builder namespace(String ns) {
      this.namespace = Objects.requireNonNull(ns, "namespace");
      return this;
    }

    /** Start an embedded ZooKeeper (default true). */
    public Builder zookeeper(boolean on) {
      this.zookeeper = on;
      return this;
    }

    /** How many servers the embedded ZooKeeper has (default 1; 3 for an ensemble). */
    public Builder zookeeperServers(int servers) {
      if (servers < 1) {
        throw new IllegalArgumentException("zookeeperServers must be >= 1, got " + servers);
      }
      this.zookeeperServers = servers;
      return this;
    }

    /**
     * The embedded ZooKeeper also serves TLS on a secure client port of each server (default false;
     * {@link #zookeeperSecureConnectString()}, {@link #zookeeperCaFile()}).
     */
    public Builder zookeeperTls(boolean on) {
      this.zookeeperTls = on;
      return this;
    }

    /**
     * Create the kubeconfig Secret and MemberCluster of every member, those added later included
     * (default true).
     */
    public Builder registerMembers(boolean on) {
      this.register = on;
      return this;
    }

    /** Nodes of the metadata cluster besides the virtual node (default one 8-CPU/32Gi node). */
    public Builder metaNodes(NodeShape... shapes) {
      metaNodes.clear();
      metaNodes.addAll(List.of(shapes));
      return this;
    }

    public Builder member(MemberSpec spec) {
      if (spec.name().equals(META)
          || members.stream().anyMatch(m -> m.name().equals(spec.name()))) {
        throw new IllegalArgumentException("duplicate cluster name \"" + spec.name() + "\"");
      }
      members.add(spec);
      return this;
    }

    public Builder podStartDelay(Duration d) {
      this.podStartDelay = Objects.requireNonNull(d, "podStartDelay");
      return this;
    }

    public Builder loadCurve(LoadCurve c) {
      this.loadCurve = Objects.requireNonNull(c, "loadCurve");
      return this;
    }

    public SimulatedFederation build() {
      return new SimulatedFederation(this);
    }
  }
}
