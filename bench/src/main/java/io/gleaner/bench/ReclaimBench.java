package io.gleaner.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.WithdrawRequest;
import io.gleaner.api.v1.WithdrawResponse;
import io.gleaner.descheduler.DeschedulerService;
import io.gleaner.descheduler.DeschedulerSettings;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.time.AcceleratedClock;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gleaner bench reclaim}: how fast lent capacity comes back when online work scales up.
 *
 * <p>Each member cluster has online nodes filled by online pods and lent nodes ({@code
 * gleaner.io/pool=idle}) filled by Gleaner member pods (created directly in the member, as the
 * virtual-kubelet would). Members run without native preemption, the case the descheduler exists
 * for. Online pods then scale up in waves; each wave adds one pod per member at the same moment, so
 * every burst spans all members. Measured on the members' clock: from the online pod becoming
 * Unschedulable to all its evictions issued, and from its creation to Running.
 *
 * <p>Phase 1 runs the event-driven descheduler at real time at full scale (default 100 members ×
 * 100 nodes, 20k Gleaner pods), after a quiet period without scale-ups that must evict nothing.
 * Phase 2 compares, on the same scenario per member at a smaller federation and an accelerated
 * clock (a periodic sweep needs minutes of cluster time), the event-driven descheduler with a
 * periodic one at the upstream default interval (kubernetes-sigs/descheduler chart, kind
 * Deployment: {@code deschedulingInterval: 5m}) and at 1 minute, and with no descheduler at all.
 */
@Command(
    name = "reclaim",
    mixinStandardHelpOptions = true,
    description =
        "Reclaim latency of the event-driven descheduler vs periodic descheduling vs nothing.")
public final class ReclaimBench implements Callable<Integer> {
  private static final ObjectMapper JSON = Serialization.jsonMapper();
  private static final String ONLINE_APP = "bench-online";

  @Option(
      names = "--members",
      description = "Member clusters in phase 1 (default ${DEFAULT-VALUE}).")
  int members = 100;

  @Option(
      names = "--nodes",
      description = "Nodes per member; half online, half lent (default ${DEFAULT-VALUE}).")
  int nodesPerMember = 100;

  @Option(
      names = "--gleaner-pods",
      description = "Gleaner pods over all members in phase 1 (default ${DEFAULT-VALUE}).")
  int gleanerPods = 20_000;

  @Option(
      names = "--waves",
      description =
          "Scale-up waves; each adds one online pod per member (default ${DEFAULT-VALUE}).")
  int waves = 5;

  @Option(
      names = "--wave-gap",
      description = "Cluster time between waves (default ${DEFAULT-VALUE}).")
  Duration waveGap = Duration.ofSeconds(4);

  @Option(
      names = "--grace",
      description = "Victims' terminationGracePeriodSeconds (default ${DEFAULT-VALUE}).")
  long grace = 30;

  @Option(
      names = "--quiet",
      description =
          "Cluster time without scale-ups before phase 1's waves (default ${DEFAULT-VALUE}).")
  Duration quiet = Duration.ofSeconds(5);

  @Option(
      names = "--compare-members",
      description = "Members in phase 2 (default ${DEFAULT-VALUE}).")
  int compareMembers = 10;

  @Option(
      names = "--compare-speed",
      description = "Clock speed in phase 2 (default ${DEFAULT-VALUE}).")
  double compareSpeed = 60;

  @Option(
      names = "--compare-waves",
      description = "Waves in phase 2, spread over 10 minutes (default ${DEFAULT-VALUE}).")
  int compareWaves = 10;

  @Option(
      names = "--warmup-waves",
      description =
          "Phase 1: waves run first to warm up the JIT, not measured; the bench "
              + "waits until their online pods run (default ${DEFAULT-VALUE}).")
  int warmupWaves = 5;

  @Option(names = "--skip-compare", description = "Run phase 1 only.")
  boolean skipCompare;

  enum Mode {
    EVENT("event-driven"),
    PERIODIC_5M("periodic 5m"),
    PERIODIC_1M("periodic 1m"),
    NONE("none");

    final String label;

    Mode(String label) {
      this.label = label;
    }

    Duration interval() {
      return switch (this) {
        case PERIODIC_5M -> Duration.ofMinutes(5);
        case PERIODIC_1M -> Duration.ofMinutes(1);
        default -> null;
      };
    }
  }

  /** What one scenario run measured; times in milliseconds of cluster time. */
  record Result(
      String mode,
      int members,
      int nodes,
      int gleanerPods,
      double speed,
      int onlinePods,
      int running,
      long evictions,
      long quietEvictions,
      double evictP50,
      double evictP99,
      double runP50,
      double runP99,
      double runMax,
      Map<String, Double> stagesP50,
      Map<String, Double> stagesP99,
      double setupSeconds,
      double runSeconds) {}

  @Override
  public Integer call() throws Exception {
    List<Result> results = new ArrayList<>();
    Result full = run(Mode.EVENT, 1.0, members, gleanerPods, waves, waveGap, quiet, warmupWaves);
    results.add(full);
    print(full);
    if (!skipCompare) {
      int perMember = gleanerPods / Math.max(1, members);
      Duration gap = Duration.ofMinutes(10).dividedBy(Math.max(1, compareWaves));
      for (Mode m : Mode.values()) {
        Result r =
            run(
                m,
                compareSpeed,
                compareMembers,
                perMember * compareMembers,
                compareWaves,
                gap,
                Duration.ZERO,
                0);
        results.add(r);
        print(r);
      }
    }
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "%-14s %7s %6s %8s %6s %10s %10s %10s %10s %8s %10s%n",
        "mode",
        "members",
        "speed",
        "online",
        "run",
        "evict p50",
        "evict p99",
        "run p50",
        "run p99",
        "victims",
        "quiet evict");
    for (Result r : results) {
      System.out.printf(
          Locale.ROOT,
          "%-14s %7d %6.0f %8d %6d %10s %10s %10s %10s %8d %10d%n",
          r.mode(),
          r.members(),
          r.speed(),
          r.onlinePods(),
          r.running(),
          ms(r.evictP50()),
          ms(r.evictP99()),
          ms(r.runP50()),
          ms(r.runP99()),
          r.evictions(),
          r.quietEvictions());
    }
    boolean latencyOk = full.evictP50() < 200 && full.evictP99() < 1000;
    boolean runningOk =
        full.running() == full.onlinePods() && full.runP99() <= (grace + 5) * 1000.0;
    boolean quietOk = full.quietEvictions() == 0;
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("bench", "reclaim");
    json.put("graceSeconds", grace);
    json.put(
        "targets",
        Map.of(
            "evictP50Under200ms",
            latencyOk && full.evictP50() < 200,
            "evictP99Under1s",
            full.evictP99() < 1000,
            "runningWithinGracePlus5s",
            runningOk,
            "quietZeroEvictions",
            quietOk));
    json.put("results", results);
    System.out.println(JSON.writeValueAsString(json));
    return latencyOk && runningOk && quietOk ? 0 : 1;
  }

  private static String ms(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    return v >= 10_000
        ? String.format(Locale.ROOT, "%.1fs", v / 1000)
        : String.format(Locale.ROOT, "%.0fms", v);
  }

  private void print(Result r) {
    System.out.printf(
        Locale.ROOT,
        "%s: %d members, %d online pods, %d running; eviction p50 %s p99 %s; running p50 %s p99 %s; "
            + "%d victims; quiet-period evictions %d; stages p50 %s p99 %s; setup %.0fs, run %.0fs%n",
        r.mode(),
        r.members(),
        r.onlinePods(),
        r.running(),
        ms(r.evictP50()),
        ms(r.evictP99()),
        ms(r.runP50()),
        ms(r.runP99()),
        r.evictions(),
        r.quietEvictions(),
        r.stagesP50(),
        r.stagesP99(),
        r.setupSeconds(),
        r.runSeconds());
  }

  /** A broker that accepts every Withdraw. */
  static final class CountingBroker extends BrokerGrpc.BrokerImplBase {
    final AtomicLong withdrawals = new AtomicLong();

    @Override
    public void withdraw(WithdrawRequest request, StreamObserver<WithdrawResponse> response) {
      withdrawals.incrementAndGet();
      response.onNext(WithdrawResponse.newBuilder().setWithdrawn(true).build());
      response.onCompleted();
    }
  }

  /** Per online pod, on the cluster clock. */
  static final class Track {
    volatile Instant created;
    volatile Instant unschedulable;
    volatile Instant running;
    volatile Instant evicted;
    volatile Instant triggered;
    volatile Instant decided;
    final java.util.concurrent.atomic.AtomicInteger reclaims =
        new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger victims =
        new java.util.concurrent.atomic.AtomicInteger();
  }

  private Result run(
      Mode mode,
      double speed,
      int memberCount,
      int gleanerTotal,
      int waveCount,
      Duration gap,
      Duration quietPeriod,
      int warmups)
      throws Exception {
    long t0 = System.nanoTime();
    Clock clock = speed == 1.0 ? Clock.systemUTC() : AcceleratedClock.startingNow(speed);
    AcceleratedClock accel = clock instanceof AcceleratedClock a ? a : null;
    int lentNodes = nodesPerMember / 2;
    int onlineNodes = nodesPerMember - lentNodes;
    int perMember = Math.max(1, gleanerTotal / memberCount);
    int perNode = Math.max(1, (perMember + lentNodes - 1) / lentNodes);
    long gleanerMillis = 16_000L / perNode;
    List<SimulatedCluster> clusters = new ArrayList<>();
    Map<String, Track> tracks = new ConcurrentHashMap<>();
    CountingBroker broker = new CountingBroker();
    Server brokerServer =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(broker)
            .build()
            .start();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", brokerServer.getPort()).usePlaintext().build();
    AtomicLong victims = new AtomicLong();
    DeschedulerService service = null;
    try (SimRuntime rt = SimRuntime.create()) {
      Map<String, KubernetesClient> clients = new LinkedHashMap<>();
      for (int i = 0; i < memberCount; i++) {
        String name = String.format(Locale.ROOT, "m%03d", i);
        SimulatedCluster c =
            SimulatedCluster.builder(name)
                .runtime(rt)
                .clock(clock)
                .preemption(false)
                .index(i % 200)
                .nodes(
                    NodeShape.of(onlineNodes, "16", "64Gi").withNamePrefix(name + "-online"),
                    NodeShape.of(lentNodes, "16", "64Gi")
                        .withNamePrefix(name + "-lent")
                        .withLabel(GleanerKeys.POOL, "idle"))
                .build();
        clusters.add(c);
        clients.put(name, c.client());
        ObjectStore store = c.store();
        store.create(
            ResourceTypes.NAMESPACES,
            null,
            JSON.valueToTree(
                new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                    .withNewMetadata()
                    .withName("gleaner")
                    .endMetadata()
                    .build()));
        List<String> onlineNames =
            c.nodeNames().stream().filter(x -> x.startsWith(name + "-online-")).toList();
        List<String> lentNames =
            c.nodeNames().stream().filter(x -> x.startsWith(name + "-lent-")).toList();
        for (int n = 0; n < onlineNames.size(); n++) {
          store.create(
              ResourceTypes.PODS,
              "default",
              tree(pod("base-" + n, onlineNames.get(n), "15", 1000, false)));
        }
        int made = 0;
        for (int n = 0; n < lentNames.size() && made < perMember; n++) {
          for (int k = 0; k < perNode && made < perMember; k++, made++) {
            Pod g = pod("gl-" + n + "-" + k, lentNames.get(n), gleanerMillis + "m", -10, true);
            store.create(ResourceTypes.PODS, "gleaner", tree(g));
          }
        }
        store.watch(
            ResourceTypes.PODS,
            "default",
            o -> ONLINE_APP.equals(o.path("metadata").path("labels").path("app").asText()),
            null,
            ev -> observe(name, ev.object(), tracks, clock));
      }
      waitFor(
          () -> clusters.stream().allMatch(c -> runningGleaner(c.store()) >= perMember),
          Duration.ofMinutes(10),
          "Gleaner pods Running");
      double setup = (System.nanoTime() - t0) / 1e9;

      if (mode != Mode.NONE) {
        DeschedulerSettings settings =
            DeschedulerSettings.DEFAULTS.withMemberPreemption(false, Map.of());
        // evictions are what the bench measures: 200/s per cluster, no cap on those in flight
        io.gleaner.meta.crd.GleanerPolicySpec spec = new io.gleaner.meta.crd.GleanerPolicySpec();
        spec.setEviction(new io.gleaner.meta.crd.EvictionLimits(200.0, 100_000));
        if (mode.interval() != null) {
          settings = settings.periodic(mode.interval());
        }
        service =
            new DeschedulerService(
                clock,
                new SimpleMeterRegistry(),
                clients,
                channel,
                new AlwaysLeader("bench"),
                settings,
                io.gleaner.meta.policy.PolicySource.fixed(spec.effective()),
                null);
        service.hub().addListener(e -> onReclaim(e, tracks, victims));
        service.start();
      }
      long quietEvictions = 0;
      if (!quietPeriod.isZero()) {
        sleep(quietPeriod, accel);
        quietEvictions = victims.get();
      }
      int[] sizes = {4, 4, 8, 2};
      if (warmups > 0) {
        // JMH-style warm-up: the same reclaims, not measured; measuring starts once their online
        // pods run
        Map<String, Track> warm = new ConcurrentHashMap<>();
        for (SimulatedCluster c : clusters) {
          c.store()
              .watch(
                  ResourceTypes.PODS,
                  "default",
                  o -> o.path("metadata").path("name").asText().startsWith("warm-"),
                  null,
                  ev -> observe(c.name(), ev.object(), warm, clock));
        }
        for (int w = 0; w < warmups; w++) {
          for (int i = 0; i < clusters.size(); i++) {
            Pod p = pod("warm-" + w, null, sizes[(w + i) % sizes.length] + "", 1000, false);
            Track t = new Track();
            t.created = clock.instant();
            warm.put(clusters.get(i).name() + "/default/warm-" + w, t);
            clusters.get(i).store().create(ResourceTypes.PODS, "default", tree(p));
          }
          sleep(gap, accel);
        }
        Instant until = clock.instant().plus(Duration.ofSeconds(grace + 60));
        while (clock.instant().isBefore(until)
            && warm.values().stream().anyMatch(t -> t.running == null)) {
          Thread.sleep(100);
        }
        List<String> warmStuck =
            warm.entrySet().stream()
                .filter(e -> e.getValue().running == null)
                .map(Map.Entry::getKey)
                .sorted()
                .limit(10)
                .toList();
        if (!warmStuck.isEmpty()) {
          System.out.println("warm-up: not Running: " + warmStuck);
          String first = warmStuck.get(0);
          SimulatedCluster sc =
              clusters.stream()
                  .filter(c -> first.startsWith(c.name() + "/"))
                  .findFirst()
                  .orElseThrow();
          JsonNode stuckPod =
              sc.store()
                  .get(ResourceTypes.PODS, "default", first.substring(first.lastIndexOf('/') + 1));
          System.out.println(
              "warm-up: "
                  + first
                  + " status "
                  + (stuckPod == null ? "gone" : stuckPod.path("status")));
          for (String node : sc.nodeNames()) {
            if (node.contains("-lent-")) {
              List<String> on =
                  sc
                      .store()
                      .list(
                          ResourceTypes.PODS,
                          null,
                          x -> node.equals(x.path("spec").path("nodeName").asText()))
                      .items()
                      .stream()
                      .map(
                          x ->
                              x.path("metadata").path("name").asText()
                                  + (x.path("metadata").has("deletionTimestamp")
                                      ? "(terminating)"
                                      : ""))
                      .toList();
              JsonNode nn = sc.store().get(ResourceTypes.NODES, null, node);
              if (nn != null && !nn.path("metadata").path("labels").has(GleanerKeys.POOL)) {
                System.out.println("warm-up: returned node " + node + ": " + on);
              }
            }
          }
        }
        System.out.printf(
            "warm-up: %d waves, %d of %d online pods running, %d victims (not measured)%n",
            warmups,
            warm.values().stream().filter(t -> t.running != null).count(),
            warm.size(),
            victims.get() - quietEvictions);
        victims.set(quietEvictions);
        // the reclaimed nodes (returned to online work, with the room their victims left) leave the
        // scenario,
        // so the measured waves meet full online nodes and full lent nodes, as without a warm-up
        int removed = 0;
        for (SimulatedCluster c : clusters) {
          for (String node : c.nodeNames()) {
            JsonNode n = c.store().get(ResourceTypes.NODES, null, node);
            if (node.contains("-lent-")
                && n != null
                && n.path("metadata").path("labels").path(GleanerKeys.POOL).isMissingNode()) {
              c.removeNode(node);
              removed++;
            }
          }
        }
        sleep(Duration.ofSeconds(2), accel);
        System.out.printf("warm-up: %d reclaimed nodes removed from the scenario%n", removed);
      }
      long r0 = System.nanoTime();
      int online = 0;
      for (int w = 0; w < waveCount; w++) {
        for (int i = 0; i < clusters.size(); i++) {
          SimulatedCluster c = clusters.get(i);
          String podName = "web-" + w;
          Pod p = pod(podName, null, sizes[(w + i) % sizes.length] + "", 1000, false);
          p.getMetadata().getLabels().put("app", ONLINE_APP);
          Track t = new Track();
          t.created = clock.instant();
          tracks.put(c.name() + "/default/" + podName, t);
          c.store().create(ResourceTypes.PODS, "default", tree(p));
          online++;
        }
        if (w < waveCount - 1) {
          sleep(gap, accel);
        }
      }
      Duration limit =
          Duration.ofSeconds(grace + 60)
              .plus(mode.interval() == null ? Duration.ZERO : mode.interval());
      if (mode == Mode.NONE) {
        limit = Duration.ofMinutes(10);
      }
      Instant deadline = clock.instant().plus(limit);
      while (clock.instant().isBefore(deadline)
          && tracks.values().stream().anyMatch(t -> t.running == null)) {
        Thread.sleep(100);
      }
      double runSeconds = (System.nanoTime() - r0) / 1e9;
      List<String> stuck =
          tracks.entrySet().stream()
              .filter(e -> e.getValue().running == null)
              .map(Map.Entry::getKey)
              .sorted()
              .toList();
      if (!stuck.isEmpty() && mode != Mode.NONE) {
        System.out.println(
            mode.label
                + ": not Running at the end: "
                + stuck.subList(0, Math.min(10, stuck.size()))
                + (stuck.size() > 10 ? " and " + (stuck.size() - 10) + " more" : ""));
      }
      long again = tracks.values().stream().filter(t -> t.reclaims.get() > 1).count();
      System.out.printf(
          "%s: %d online pods had nodes reclaimed for them more than once; victims per pod: %s%n",
          mode.label,
          again,
          tracks.values().stream()
              .collect(
                  java.util.stream.Collectors.groupingBy(
                      t -> t.victims.get(),
                      java.util.TreeMap::new,
                      java.util.stream.Collectors.counting())));
      List<Double> evict = new ArrayList<>();
      List<Double> toRunning = new ArrayList<>();
      List<Double> observe = new ArrayList<>();
      List<Double> decide = new ArrayList<>();
      List<Double> issue = new ArrayList<>();
      int running = 0;
      for (Track t : tracks.values()) {
        if (t.evicted != null && t.unschedulable != null) {
          evict.add((double) Math.max(0, Duration.between(t.unschedulable, t.evicted).toMillis()));
          observe.add(
              (double) Math.max(0, Duration.between(t.unschedulable, t.triggered).toMillis()));
          decide.add((double) Math.max(0, Duration.between(t.triggered, t.decided).toMillis()));
          issue.add((double) Math.max(0, Duration.between(t.decided, t.evicted).toMillis()));
        }
        if (t.running != null) {
          running++;
          toRunning.add((double) Duration.between(t.created, t.running).toMillis());
        }
      }
      return new Result(
          mode.label,
          memberCount,
          nodesPerMember,
          perMember * memberCount,
          speed,
          online,
          running,
          victims.get(),
          quietEvictions,
          pct(evict, 50),
          pct(evict, 99),
          pct(toRunning, 50),
          pct(toRunning, 99),
          pct(toRunning, 100),
          stages(observe, decide, issue, 50),
          stages(observe, decide, issue, 99),
          setup,
          runSeconds);
    } finally {
      if (service != null) {
        service.stop();
      }
      for (SimulatedCluster c : clusters) {
        c.close();
      }
      channel.shutdownNow();
      brokerServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * Where the eviction latency goes: seen by the descheduler, planned, evictions issued (earliest
   * pod of a reclaim).
   */
  private static Map<String, Double> stages(
      List<Double> observe, List<Double> decide, List<Double> issue, double p) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("observe", pct(observe, p));
    m.put("windowAndPlan", pct(decide, p));
    m.put("evict", pct(issue, p));
    return m;
  }

  private static void onReclaim(ReclaimEvent e, Map<String, Track> tracks, AtomicLong victims) {
    victims.addAndGet(e.getVictimsCount());
    Instant at = Instant.ofEpochMilli(e.getEvictedAtMs());
    for (String pod : e.getOnlinePodsList()) {
      Track t = tracks.get(e.getCluster() + "/" + pod);
      if (t != null) {
        t.reclaims.incrementAndGet();
        t.victims.addAndGet(e.getVictimsCount());
      }
      if (t != null && t.evicted == null) {
        t.triggered = Instant.ofEpochMilli(e.getTriggeredAtMs());
        t.decided = Instant.ofEpochMilli(e.getDecidedAtMs());
        t.evicted = at;
      }
    }
  }

  private static void observe(
      String cluster, JsonNode pod, Map<String, Track> tracks, Clock clock) {
    Track t = tracks.get(cluster + "/default/" + pod.path("metadata").path("name").asText());
    if (t == null) {
      return;
    }
    if (t.unschedulable == null) {
      for (JsonNode c : pod.path("status").path("conditions")) {
        if ("PodScheduled".equals(c.path("type").asText())
            && "False".equals(c.path("status").asText())
            && "Unschedulable".equals(c.path("reason").asText())) {
          t.unschedulable = clock.instant();
        }
      }
    }
    if (t.running == null && "Running".equals(pod.path("status").path("phase").asText())) {
      t.running = clock.instant();
    }
  }

  private static long runningGleaner(ObjectStore store) {
    return store
        .list(
            ResourceTypes.PODS,
            "gleaner",
            p -> "Running".equals(p.path("status").path("phase").asText()))
        .items()
        .size();
  }

  private Pod pod(String name, String node, String cpu, int priority, boolean gleaner) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(gleaner ? "gleaner" : "default")
            .addToLabels("app", gleaner ? "gleaner" : "online")
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .withPriority(priority)
            .addNewContainer()
            .withName("main")
            .withImage("busybox")
            .withNewResources()
            .addToRequests("cpu", new Quantity(cpu))
            .addToRequests("memory", new Quantity("1Gi"))
            .endResources()
            .endContainer()
            .endSpec();
    if (gleaner) {
      b.editMetadata()
          .addToLabels(GleanerKeys.MANAGED, "true")
          .addToLabels(GleanerKeys.CLASS, "offline")
          .addToLabels(GleanerKeys.SOURCE, "idle")
          .addToLabels(GleanerKeys.META_UID, "meta-" + name)
          .endMetadata()
          .editSpec()
          .withPreemptionPolicy("Never")
          .withTerminationGracePeriodSeconds(grace)
          .endSpec();
    }
    return b.build();
  }

  private static ObjectNode tree(Pod p) {
    return JSON.valueToTree(p);
  }

  private static void sleep(Duration clusterTime, AcceleratedClock accel)
      throws InterruptedException {
    Duration real = accel == null ? clusterTime : accel.toReal(clusterTime);
    Thread.sleep(Math.max(1, real.toMillis()));
  }

  private static void waitFor(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
      }
      Thread.sleep(200);
    }
  }

  static double pct(List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] a = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    int idx = (int) Math.ceil(p / 100.0 * a.length) - 1;
    return a[Math.min(a.length - 1, Math.max(0, idx))];
  }
}
