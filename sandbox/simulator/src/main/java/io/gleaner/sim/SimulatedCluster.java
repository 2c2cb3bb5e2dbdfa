package io.gleaner.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.sim.apiserver.Times;
import io.gleaner.sim.controller.EphemeralVolumes;
import io.gleaner.sim.koordinator.ColocationAgent;
import io.gleaner.sim.kubelet.SimKubelet;
import io.gleaner.sim.load.LoadCurve;
import io.gleaner.sim.load.UsageModel;
import io.gleaner.sim.scheduler.SimScheduler;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One simulated Kubernetes cluster: a {@link SimulatedApiServer}, a {@link SimScheduler}, the
 * kubelets of its nodes ({@link SimKubelet}), simulated usage ({@link UsageModel}, served as {@code
 * metrics.k8s.io}), optionally Volcano (PodGroups and gang scheduling) and Koordinator-style
 * co-location ({@link ColocationAgent}).
 *
 * <pre>{@code
 * try (SimRuntime rt = SimRuntime.create();
 *      SimulatedCluster c = SimulatedCluster.builder("online-1").runtime(rt).clock(clock)
 *          .nodes(NodeShape.of(5, "16", "64Gi")).build()) {
 *   KubernetesClient client = c.client();
 *   ...
 * }
 * }</pre>
 *
 * <p>Nodes carry {@code kubernetes.io/hostname}, {@code kubernetes.io/arch=amd64}, {@code
 * kubernetes.io/os=linux}, {@code topology.kubernetes.io/zone}, {@code
 * topology.kubernetes.io/region}, {@code node.kubernetes.io/instance-type}, a Ready condition,
 * capacity = allocatable, an InternalIP and a kubelet endpoint.
 */
public final class SimulatedCluster implements AutoCloseable {
  private static final ObjectMapper MAPPER = Serialization.jsonMapper();
  private static final AtomicInteger INDEX = new AtomicInteger();

  /** Classpath folder where meta-cluster publishes its CRD YAML. */
  static final String GLEANER_CRD_RESOURCE = "/META-INF/gleaner/crds/";

  private final String name;
  private final String zone;
  private final String region;
  private final int index;
  private final Clock clock;
  private final SimRuntime runtime;
  private final boolean ownsRuntime;
  private final SimulatedApiServer apiServer;
  private final SimScheduler scheduler;
  private final SimKubelet kubelet;
  private final EphemeralVolumes ephemeralVolumes;
  private final UsageModel usage;
  private final ColocationAgent colocation;
  private final SimRuntime.Timeline timeline;
  private final boolean colocationNodes;
  private final AtomicInteger nodeCounter = new AtomicInteger();
  private volatile KubernetesClient client;

  private SimulatedCluster(Builder b) {
    this.name = b.name;
    this.zone = b.zone != null ? b.zone : b.name + "-zone-a";
    this.region = b.region != null ? b.region : "sim-region-1";
    this.index = b.index >= 0 ? b.index : INDEX.getAndIncrement() % 200;
    this.clock = b.clock;
    this.ownsRuntime = b.runtime == null;
    this.runtime = b.runtime != null ? b.runtime : SimRuntime.create();
    this.colocationNodes = b.colocation;
    KubeletHolder holder = new KubeletHolder();
    UsageHolder usageHolder = new UsageHolder();
    this.apiServer =
        new SimulatedApiServer(name, runtime, clock, new Extensions(usageHolder, holder));
    ObjectStore store = apiServer.store();
    if (b.volcano) {
      store.types().register(ResourceTypes.PODGROUPS);
      store.types().register(ResourceTypes.QUEUES);
      ObjectNode q = MAPPER.createObjectNode();
      q.putObject("metadata").put("name", "default");
      q.putObject("spec").put("weight", 1).put("reclaimable", true);
      store.create(ResourceTypes.QUEUES, null, q);
      store.mutate(
          ResourceTypes.QUEUES,
          null,
          "default",
          o -> {
            o.putObject("status").put("state", "Open");
            return o;
          });
    }
    if (b.gleanerCrds) {
      installGleanerCrds(store);
    }
    this.timeline = runtime.timeline(clock);
    this.usage = new UsageModel(store, b.loadCurve, b.cpuUsageFraction, b.memoryUsageFraction);
    usageHolder.usage = usage;
    this.kubelet =
        new SimKubelet(
            name,
            store,
            timeline,
            runtime.executor(),
            new SimKubelet.Options(b.podStartDelay, 100 + index % 150));
    holder.kubelet = kubelet;
    this.scheduler =
        new SimScheduler(
            name,
            store,
            runtime.executor(),
            new SimScheduler.Options(b.preemption, b.scoring, b.volcano));
    this.ephemeralVolumes = new EphemeralVolumes(store, runtime.executor());
    for (NodeShape shape : b.shapes) {
      addNodes(shape);
    }
    ephemeralVolumes.start();
    kubelet.start();
    scheduler.start();
    this.colocation = b.colocation ? new ColocationAgent(store, usage, b.colocationOptions) : null;
    if (colocation != null) {
      colocation.start(timeline);
    }
    Duration ttl = b.eventTtl;
    timeline.every(Duration.ofMinutes(5), () -> store.expireEvents(ttl));
  }

  private static void installGleanerCrds(ObjectStore store) {
    boolean memberClusters = false;
    boolean policies = false;
    for (String file :
        List.of("memberclusters.gleaner.io-v1.yml", "gleanerpolicies.gleaner.io-v1.yml")) {
      try (InputStream in =
          SimulatedCluster.class.getResourceAsStream(GLEANER_CRD_RESOURCE + file)) {
        if (in == null) {
          continue;
        }
        JsonNode crd = Serialization.yamlMapper().readTree(in);
        store.create(ResourceTypes.CRDS, null, (ObjectNode) crd);
        memberClusters |= file.startsWith("memberclusters");
        policies |= file.startsWith("gleanerpolicies");
      } catch (IOException e) {
        throw new IllegalStateException("cannot read CRD " + file + " from the classpath", e);
      }
    }
    if (!memberClusters) {
      store.types().register(ResourceTypes.MEMBER_CLUSTERS);
    }
    if (!policies) {
      store.types().register(ResourceTypes.GLEANER_POLICIES);
    }
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public String name() {
    return name;
  }

  public String zone() {
    return zone;
  }

  public String region() {
    return region;
  }

  public Clock clock() {
    return clock;
  }

  public SimRuntime runtime() {
    return runtime;
  }

  public SimulatedApiServer apiServer() {
    return apiServer;
  }

  /** The cluster's object database (white-box access for tests and simulated controllers). */
  public ObjectStore store() {
    return apiServer.store();
  }

  public String url() {
    return apiServer.url();
  }

  /** Kubeconfig YAML for this cluster (context and cluster named after it). */
  public String kubeconfig() {
    return apiServer.kubeconfig();
  }

  /** A shared fabric8 client for this cluster (created on first use, closed with the cluster). */
  public KubernetesClient client() {
    KubernetesClient c = client;
    if (c == null) {
      synchronized (this) {
        if (client == null) {
          client = apiServer.newClient();
        }
        c = client;
      }
    }
    return c;
  }

  public SimScheduler scheduler() {
    return scheduler;
  }

  public SimKubelet kubelet() {
    return kubelet;
  }

  public UsageModel usage() {
    return usage;
  }

  public Optional<ColocationAgent> colocation() {
    return Optional.ofNullable(colocation);
  }

  /** Timers on this cluster's clock (shared runtime ticker). */
  public SimRuntime.Timeline timeline() {
    return timeline;
  }

  /** Names of the cluster's nodes (virtual ones included). */
  public List<String> nodeNames() {
    return store().list(ResourceTypes.NODES).stream()
        .map(n -> n.path("metadata").path("name").asText())
        .toList();
  }

  /** Adds {@code shape.count()} nodes; returns their names. */
  public List<String> addNodes(NodeShape shape) {
    List<String> names = new ArrayList<>();
    String prefix = shape.namePrefix() != null ? shape.namePrefix() : name + "-node";
    for (int i = 0; i < shape.count(); i++) {
      int n = nodeCounter.getAndIncrement();
      String nodeName = prefix + "-" + n;
      store().create(ResourceTypes.NODES, null, nodeObject(nodeName, n, shape));
      names.add(nodeName);
    }
    return names;
  }

  /** Deletes a node; the pods on it are removed as the pod garbage collector would. */
  public void removeNode(String nodeName) {
    store().delete(ResourceTypes.NODES, null, nodeName, ObjectStore.DeleteOptions.DEFAULT);
  }

  private ObjectNode nodeObject(String nodeName, int n, NodeShape shape) {
    ObjectNode node = MAPPER.createObjectNode();
    ObjectNode meta = node.putObject("metadata");
    meta.put("name", nodeName);
    ObjectNode labels = meta.putObject("labels");
    labels.put("kubernetes.io/hostname", nodeName);
    labels.put("kubernetes.io/arch", "amd64");
    labels.put("kubernetes.io/os", "linux");
    labels.put("beta.kubernetes.io/arch", "amd64");
    labels.put("beta.kubernetes.io/os", "linux");
    labels.put("topology.kubernetes.io/zone", zone);
    labels.put("topology.kubernetes.io/region", region);
    labels.put("node.kubernetes.io/instance-type", shape.instanceType());
    labels.put("sim.gleaner.io/cluster", name);
    if (colocationNodes) {
      labels.put(ColocationAgent.COLOCATION_LABEL, "true");
    }
    shape.labels().forEach(labels::put);
    ObjectNode annotations = meta.putObject("annotations");
    annotations.put("node.alpha.kubernetes.io/ttl", "0");
    ObjectNode spec = node.putObject("spec");
    spec.put("podCIDR", "10." + (100 + index % 150) + "." + (n % 250) + ".0/24");
    spec.put("providerID", "sim://" + name + "/" + nodeName);
    if (!shape.taints().isEmpty()) {
      ArrayNode taints = spec.putArray("taints");
      for (Taint t : shape.taints()) {
        taints.add(MAPPER.valueToTree(t));
      }
    }
    ObjectNode status = node.putObject("status");
    Map<String, String> capacity = shape.capacity().toStrings();
    ObjectNode cap = status.putObject("capacity");
    ObjectNode alloc = status.putObject("allocatable");
    capacity.forEach(
        (k, v) -> {
          cap.put(k, v);
          alloc.put(k, v);
        });
    String now = Times.format(clock.instant());
    ArrayNode conditions = status.putArray("conditions");
    condition(
        conditions,
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
        now);
    condition(
        conditions,
        "DiskPressure",
        "False",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
        now);
    condition(
        conditions,
        "PIDPressure",
        "False",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
        now);
    condition(conditions, "Ready", "True", "KubeletReady", "kubelet is posting ready status", now);
    ArrayNode addresses = status.putArray("addresses");
    addresses
        .addObject()
        .put("type", "InternalIP")
        .put("address", "10.250." + (index % 250) + "." + (n % 250 + 1));
    addresses.addObject().put("type", "Hostname").put("address", nodeName);
    status.putObject("daemonEndpoints").putObject("kubeletEndpoint").put("Port", 10250);
    ObjectNode info = status.putObject("nodeInfo");
    info.put("machineID", Integer.toHexString((name + nodeName).hashCode()));
    info.put(
        "systemUUID",
        java.util.UUID.nameUUIDFromBytes((name + "/" + nodeName).getBytes()).toString());
    info.put("bootID", java.util.UUID.nameUUIDFromBytes(nodeName.getBytes()).toString());
    info.put("kernelVersion", "6.1.0-sim");
    info.put("osImage", "Gleaner simulated node");
    info.put("containerRuntimeVersion", "sim://1.0.0");
    info.put("kubeletVersion", "v1.31.0-sim");
    info.put("kubeProxyVersion", "v1.31.0-sim");
    info.put("operatingSystem", "linux");
    info.put("architecture", "amd64");
    return node;
  }

  private static void condition(
      ArrayNode conditions, String type, String status, String reason, String message, String now) {
    conditions
        .addObject()
        .put("type", type)
        .put("status", status)
        .put("lastHeartbeatTime", now)
        .put("lastTransitionTime", now)
        .put("reason", reason)
        .put("message", message);
  }

  /**
   * Simulates a network partition of this cluster's API server (see {@link
   * SimulatedApiServer#setReachable}).
   */
  public void setReachable(boolean reachable) {
    apiServer.setReachable(reachable);
  }

  @Override
  public void close() {
    scheduler.close();
    kubelet.close();
    ephemeralVolumes.close();
    timeline.close();
    apiServer.close();
    if (ownsRuntime) {
      runtime.close();
    }
  }

  @Override
  public String toString() {
    return "SimulatedCluster[" + name + " " + url() + "]";
  }

  private static final class KubeletHolder {
    volatile SimKubelet kubelet;
  }

  private static final class UsageHolder {
    volatile UsageModel usage;
  }

  /** Metrics and logs for the API server, from the usage model and the kubelet. */
  private record Extensions(UsageHolder usage, KubeletHolder kubelet) implements ServerExtensions {
    @Override
    public Map<String, String> nodeUsage(JsonNode node) {
      UsageModel u = usage.usage;
      if (u == null || SimKubelet.isVirtual(node)) {
        return null;
      }
      Resources r = u.nodeUsage().get(node.path("metadata").path("name").asText());
      return r == null ? null : cpuMemory(r);
    }

    @Override
    public Map<String, String> podUsage(JsonNode pod) {
      UsageModel u = usage.usage;
      Resources r = u == null ? null : u.podUsage(pod);
      return r == null ? null : cpuMemory(r);
    }

    private static Map<String, String> cpuMemory(Resources r) {
      return Map.of("cpu", r.cpuMillis() + "m", "memory", (r.memoryBytes() / 1024) + "Ki");
    }

    @Override
    public String logs(JsonNode pod, String container, LogOptions options) {
      SimKubelet k = kubelet.kubelet;
      return k == null ? "" : k.logs(pod, container, options);
    }

    @Override
    public ExecResult exec(JsonNode pod, String container, List<String> command, String stdin) {
      SimKubelet k = kubelet.kubelet;
      return k == null
          ? ExecResult.notStarted("the node's kubelet is not running")
          : k.exec(pod, container, command, stdin);
    }
  }

  /** Builds and starts a {@link SimulatedCluster}. */
  public static final class Builder {
    private final String name;
    private SimRuntime runtime;
    private Clock clock = Clock.systemUTC();
    private String zone;
    private String region;
    private int index = -1;
    private final List<NodeShape> shapes = new ArrayList<>();
    private boolean preemption = true;
    private boolean volcano;
    private boolean colocation;
    private ColocationAgent.Options colocationOptions = ColocationAgent.Options.DEFAULTS;
    private boolean gleanerCrds;
    private SimScheduler.Scoring scoring = SimScheduler.Scoring.LEAST_ALLOCATED;
    private Duration podStartDelay = Duration.ofSeconds(1);
    private Duration eventTtl = Duration.ofHours(1);
    private LoadCurve loadCurve = LoadCurve.alibaba2018();
    private double cpuUsageFraction = 0.5;
    private double memoryUsageFraction = 0.6;

    private Builder(String name) {
      if (name == null || !name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || name.length() > 63) {
        throw new IllegalArgumentException(
            "cluster name must be a DNS label (lower-case letters, digits, '-'), got \""
                + name
                + "\"");
      }
      this.name = name;
    }

    /** Shared threads (recommended); without it the cluster creates and owns its own runtime. */
    public Builder runtime(SimRuntime rt) {
      this.runtime = Objects.requireNonNull(rt, "runtime");
      return this;
    }

    /**
     * The cluster's clock (timestamps, grace periods, start delays, load curve). Default: system
     * UTC.
     */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    public Builder zone(String z) {
      this.zone = z;
      return this;
    }

    public Builder region(String r) {
      this.region = r;
      return this;
    }

    /** Distinguishes IP ranges between clusters (0..199); default: a process-wide counter. */
    public Builder index(int i) {
      this.index = i;
      return this;
    }

    public Builder nodes(NodeShape... s) {
      shapes.addAll(List.of(s));
      return this;
    }

    /**
     * Default preemption of lower-priority pods (default on; some member clusters run without it).
     */
    public Builder preemption(boolean on) {
      this.preemption = on;
      return this;
    }

    /**
     * Volcano: serve PodGroups/Queues (scheduling.volcano.sh/v1beta1) and gang-schedule group
     * members.
     */
    public Builder volcano(boolean on) {
      this.volcano = on;
      return this;
    }

    /** Koordinator-style co-location on every node of the cluster. */
    public Builder colocation(boolean on) {
      this.colocation = on;
      return this;
    }

    public Builder colocationOptions(ColocationAgent.Options o) {
      this.colocationOptions = Objects.requireNonNull(o, "colocationOptions");
      return this;
    }

    /** Serve Gleaner's CRDs (MemberCluster, GleanerPolicy): for the metadata cluster. */
    public Builder gleanerCrds(boolean on) {
      this.gleanerCrds = on;
      return this;
    }

    public Builder scoring(SimScheduler.Scoring s) {
      this.scoring = Objects.requireNonNull(s, "scoring");
      return this;
    }

    /** Clock time from binding to Running (default 1 s). */
    public Builder podStartDelay(Duration d) {
      if (d.isNegative()) {
        throw new IllegalArgumentException("podStartDelay must be >= 0, got " + d);
      }
      this.podStartDelay = d;
      return this;
    }

    /** How long Events are kept (clock time; default 1 h, as kube-apiserver's --event-ttl). */
    public Builder eventTtl(Duration d) {
      this.eventTtl = Objects.requireNonNull(d, "eventTtl");
      return this;
    }

    /**
     * The curve that pods labelled {@code sim.gleaner.io/load=curve} follow (default: Alibaba
     * 2018).
     */
    public Builder loadCurve(LoadCurve c) {
      this.loadCurve = c;
      return this;
    }

    /** Usage of other pods as a fraction of their requests (defaults 0.5 CPU, 0.6 memory). */
    public Builder defaultUsage(double cpuFraction, double memoryFraction) {
      if (cpuFraction < 0 || memoryFraction < 0) {
        throw new IllegalArgumentException(
            "usage fractions must be >= 0, got " + cpuFraction + ", " + memoryFraction);
      }
      this.cpuUsageFraction = cpuFraction;
      this.memoryUsageFraction = memoryFraction;
      return this;
    }

    public SimulatedCluster build() {
      return new SimulatedCluster(this);
    }
  }
}
