package io.gleaner.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.OfferAck;
import io.gleaner.api.v1.OfferReport;
import io.gleaner.idle.IdleDetectorService;
import io.gleaner.idle.IdleDetectorSettings;
import io.gleaner.idle.source.Member;
import io.gleaner.idle.source.Members;
import io.gleaner.idle.source.StaticMemberDirectory;
import io.gleaner.idle.state.InMemoryIdleTimerStore;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gleaner bench detector}: one idle-detector tracking many simulated member clusters.
 *
 * <p>Members are split by role (60 % online, 20 % training with Volcano, 20 % co-location). On
 * online members half the nodes carry online load and half are idle; the idle ones are lent at once
 * ({@code idleAfter=0}, so the bench measures the offer path, not the 10-minute wait). The detector
 * runs its production wiring ({@link IdleDetectorService}: informers per member, metrics polls,
 * debounced per-node recompute) with its own client per member, and publishes over real gRPC on
 * loopback to a recording broker.
 *
 * <p>Measured: the time to the first full set of offers; CPU (process, and the detector's own
 * threads) and heap (after GC, with and without the detector) at that size; and offer latency —
 * from issuing a node change (an online pod bound to an offered node) to the node's new offer
 * arriving at the broker — p50/p99 over many changes, spread over all members at a steady rate.
 */
@Command(
    name = "detector",
    mixinStandardHelpOptions = true,
    description =
        "Offer latency, CPU and heap of one idle-detector tracking many simulated members.")
public final class DetectorBench implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--members", description = "Member clusters (default ${DEFAULT-VALUE}).")
  int members = 100;

  @Option(names = "--nodes", description = "Nodes per member (default ${DEFAULT-VALUE}).")
  int nodes = 100;

  @Option(
      names = "--changes",
      description = "Node changes whose offer latency is measured (default ${DEFAULT-VALUE}).")
  int changes = 2000;

  @Option(names = "--rate", description = "Node changes per second (default ${DEFAULT-VALUE}).")
  double rate = 50;

  @Option(
      names = "--quiet",
      description = "Length of each quiet CPU window (default ${DEFAULT-VALUE}).")
  Duration quiet = Duration.ofSeconds(10);

  /** Offers as the broker received them, and waiters for the next change of a node. */
  static final class LatencyBroker extends BrokerGrpc.BrokerImplBase {
    final Map<String, NodeOffer> offers = new ConcurrentHashMap<>();
    final Map<String, Waiter> waiters = new ConcurrentHashMap<>();
    final AtomicLong reports = new AtomicLong();

    record Waiter(
        long expectedPods, long startNanos, CountDownLatch done, AtomicLong arrivedNanos) {}

    @Override
    public StreamObserver<OfferReport> reportOffers(StreamObserver<OfferAck> answer) {
      return new StreamObserver<>() {
        @Override
        public void onNext(OfferReport r) {
          long now = System.nanoTime();
          reports.incrementAndGet();
          for (NodeOffer o : r.getOffersList()) {
            String key = o.getCluster() + "/" + o.getNode();
            offers.put(key, o);
            Waiter w = waiters.get(key);
            if (w != null
                && pods(o) == w.expectedPods()
                && w.arrivedNanos().compareAndSet(0, now)) {
              w.done().countDown();
            }
          }
          r.getWithdrawalsList().forEach(w -> offers.remove(w.getCluster() + "/" + w.getNode()));
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          answer.onNext(OfferAck.getDefaultInstance());
          answer.onCompleted();
        }
      };
    }

    static long pods(NodeOffer o) {
      return Long.parseLong(o.getUsableOrDefault("pods", "0"));
    }
  }

  /** CPU seconds used by the process and by the detector's own threads ({@code idle-*}). */
  record Cpu(double processSeconds, double detectorThreadSeconds) {
    Cpu minus(Cpu o) {
      return new Cpu(
          processSeconds - o.processSeconds, detectorThreadSeconds - o.detectorThreadSeconds);
    }
  }

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    Clock clock = Clock.systemUTC();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    List<SimulatedCluster> clusters = new ArrayList<>();
    List<KubernetesClient> detectorClients = new ArrayList<>();
    LatencyBroker broker = new LatencyBroker();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(broker)
            .build()
            .start();
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    AlwaysLeader election = new AlwaysLeader("bench");
    IdleDetectorService service = null;
    try (SimRuntime runtime = SimRuntime.create()) {
      List<Member> memberList = new ArrayList<>();
      ExecutorService setup = Executors.newFixedThreadPool(8);
      List<Future<?>> work = new ArrayList<>();
      for (int m = 0; m < members; m++) {
        MemberRole role =
            m % 5 < 3
                ? MemberRole.ONLINE
                : m % 5 == 3 ? MemberRole.TRAINING : MemberRole.COLOCATION;
        String name = "m" + m + "-" + role.wireName();
        SimulatedCluster c =
            SimulatedCluster.builder(name)
                .runtime(runtime)
                .clock(clock)
                .index(m % 200)
                .volcano(role == MemberRole.TRAINING)
                .colocation(role == MemberRole.COLOCATION)
                .podStartDelay(Duration.ZERO)
                .nodes(NodeShape.of(nodes, "8", "32Gi"))
                .build();
        clusters.add(c);
        work.add(setup.submit(() -> populate(c, role)));
        KubernetesClient own = c.apiServer().newClient();
        detectorClients.add(own);
        memberList.add(Members.direct(name, own, Set.of(role)));
      }
      for (Future<?> f : work) {
        f.get();
      }
      setup.shutdown();
      double setupSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "setup: %d members x %d nodes, %d pods, in %.0fs%n",
          members,
          nodes,
          clusters.stream()
              .mapToInt(c -> c.store().list(io.gleaner.sim.apiserver.ResourceTypes.PODS).size())
              .sum(),
          setupSeconds);

      long heapBefore = usedHeapAfterGc(memory);
      Cpu idleSim = cpuOver(quiet);

      IdleDetectorSettings config =
          IdleDetectorSettings.defaults()
              .withIdleAfter(Duration.ZERO)
              .withSourceId("idle-detector/bench");
      service =
          new IdleDetectorService(
              clock,
              meters,
              new StaticMemberDirectory(memberList),
              channel,
              new InMemoryIdleTimerStore(),
              election,
              config);
      long startNanos = System.nanoTime();
      Cpu startCpu0 = cpuNow();
      service.start();
      election.start();
      int expectedOffers = expectedOffers();
      while (broker.offers.size() < expectedOffers
          && System.nanoTime() - startNanos < TimeUnit.MINUTES.toNanos(5)) {
        Thread.sleep(100);
      }
      Thread.sleep(2000);
      double startupSeconds = (System.nanoTime() - startNanos) / 1e9;
      Cpu startCpu = cpuNow().minus(startCpu0);
      int offered = broker.offers.size();
      System.out.printf(
          Locale.ROOT,
          "detector: %d offers (expected about %d) within %.1fs, %.1f CPU-s%n",
          offered,
          expectedOffers,
          startupSeconds,
          startCpu.processSeconds());

      Thread.sleep(quiet.toMillis());
      long heapWith = usedHeapAfterGc(memory);
      Map<String, Double> threads0 = threadCpu();
      Cpu idleWith = cpuOver(quiet);
      Map<String, Double> quietThreads = top(threadCpu(), threads0, quiet.toSeconds());
      System.out.println("quiet CPU by thread group (cores): " + quietThreads);

      Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      int timeouts = 0;
      Random random = new Random(42);
      List<String> keys = new ArrayList<>(broker.offers.keySet());
      Map<String, KubernetesClient> byCluster = new LinkedHashMap<>();
      clusters.forEach(c -> byCluster.put(c.name(), c.client()));
      ExecutorService changers = Executors.newFixedThreadPool(16);
      List<Future<Long>> pending = new ArrayList<>();
      long periodNanos = (long) (1e9 / rate);
      Cpu changeCpu0 = cpuNow();
      long changeStart = System.nanoTime();
      for (int i = 0; i < changes; i++) {
        long due = changeStart + i * periodNanos;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        String key = keys.get(random.nextInt(keys.size()));
        if (broker.waiters.containsKey(key) || !broker.offers.containsKey(key)) {
          continue;
        }
        int n = i;
        pending.add(changers.submit(() -> change(broker, byCluster, key, n)));
      }
      for (Future<Long> f : pending) {
        long v = f.get();
        if (v < 0) {
          timeouts++;
        } else {
          latency.recordValue(Math.min(v, latency.getHighestTrackableValue()));
        }
      }
      changers.shutdown();
      Cpu changeCpu = cpuNow().minus(changeCpu0);
      double changeSeconds = (System.nanoTime() - changeStart) / 1e9;

      double p50 = latency.getValueAtPercentile(50) / 1e6;
      double p99 = latency.getValueAtPercentile(99) / 1e6;
      double max = latency.getMaxValue() / 1e6;
      double detectorHeapMb = (heapWith - heapBefore) / 1048576.0;
      System.out.printf(
          Locale.ROOT,
          "heap after GC: %.0f MB simulator only, %.0f MB with detector (+%.0f MB)%n",
          heapBefore / 1048576.0,
          heapWith / 1048576.0,
          detectorHeapMb);
      System.out.printf(
          Locale.ROOT,
          "CPU, quiet %ds: simulator alone %.2f cores; with detector %.2f cores "
              + "(detector threads %.3f cores)%n",
          quiet.toSeconds(),
          idleSim.processSeconds() / quiet.toSeconds(),
          idleWith.processSeconds() / quiet.toSeconds(),
          idleWith.detectorThreadSeconds() / quiet.toSeconds());
      System.out.printf(
          Locale.ROOT,
          "changes: %d measured at %.0f/s over %.0fs, %d timeouts; CPU %.2f cores "
              + "(detector threads %.3f cores)%n",
          latency.getTotalCount(),
          rate,
          changeSeconds,
          timeouts,
          changeCpu.processSeconds() / changeSeconds,
          changeCpu.detectorThreadSeconds() / changeSeconds);
      System.out.printf(
          Locale.ROOT, "offer latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", p50, p99, max);

      Map<String, Object> json = new LinkedHashMap<>();
      json.put("bench", "detector");
      json.put("members", members);
      json.put("nodesPerMember", nodes);
      json.put("offers", offered);
      json.put("startupSeconds", round(startupSeconds));
      json.put("startupCpuSeconds", round(startCpu.processSeconds()));
      json.put("heapSimulatorMb", round(heapBefore / 1048576.0));
      json.put("heapWithDetectorMb", round(heapWith / 1048576.0));
      json.put("detectorHeapMb", round(detectorHeapMb));
      json.put("quietCoresSimulator", round(idleSim.processSeconds() / quiet.toSeconds()));
      json.put("quietCoresWithDetector", round(idleWith.processSeconds() / quiet.toSeconds()));
      json.put(
          "quietCoresDetectorThreads", round(idleWith.detectorThreadSeconds() / quiet.toSeconds()));
      json.put("quietCoresByThreadGroup", quietThreads);
      json.put("changeRate", rate);
      json.put("changeCores", round(changeCpu.processSeconds() / changeSeconds));
      json.put(
          "changeCoresDetectorThreads", round(changeCpu.detectorThreadSeconds() / changeSeconds));
      json.put("measured", latency.getTotalCount());
      json.put("timeouts", timeouts);
      json.put("latencyP50Ms", round(p50));
      json.put("latencyP99Ms", round(p99));
      json.put("latencyMaxMs", round(max));
      json.put("targetP99Under1s", p99 < 1000 && timeouts == 0);
      System.out.println(JSON.writeValueAsString(json));
      return p99 < 1000 && timeouts == 0 ? 0 : 1;
    } finally {
      if (service != null) {
        service.stop();
      }
      election.stop();
      channel.shutdownNow();
      server.shutdownNow();
      detectorClients.forEach(KubernetesClient::close);
      clusters.forEach(SimulatedCluster::close);
    }
  }

  private int expectedOffers() {
    int total = 0;
    for (int m = 0; m < members; m++) {
      total += m % 5 < 3 ? nodes / 2 : nodes;
    }
    return total;
  }

  /**
   * Online members: even nodes busy (4 of 8 CPUs requested), odd nodes idle (a 200m pod). Training:
   * a 4-CPU trainer per node. Co-location: a 2-CPU online pod per node.
   */
  private void populate(SimulatedCluster c, MemberRole role) {
    KubernetesClient client = c.client();
    List<String> names = c.nodeNames();
    for (int i = 0; i < names.size(); i++) {
      String node = names.get(i);
      String cpu =
          switch (role) {
            case ONLINE -> i % 2 == 0 ? "4" : "200m";
            case TRAINING -> "4";
            default -> "2";
          };
      client.pods().inNamespace("default").resource(pod("load-" + i, node, cpu, "1Gi")).create();
    }
  }

  private static Pod pod(String name, String node, String cpu, String mem) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(Map.of("app", "bench"))
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .addToRequests("memory", new Quantity(mem))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  /**
   * Binds a small online pod to the node and waits for the node's new offer at the broker; -1 on
   * timeout.
   */
  private static long change(
      LatencyBroker broker, Map<String, KubernetesClient> clients, String key, int n)
      throws InterruptedException {
    String cluster = key.substring(0, key.indexOf('/'));
    String node = key.substring(key.indexOf('/') + 1);
    NodeOffer before = broker.offers.get(key);
    LatencyBroker.Waiter w =
        new LatencyBroker.Waiter(
            LatencyBroker.pods(before) - 1,
            System.nanoTime(),
            new CountDownLatch(1),
            new AtomicLong());
    broker.waiters.put(key, w);
    try {
      clients
          .get(cluster)
          .pods()
          .inNamespace("default")
          .resource(pod("change-" + n, node, "100m", "64Mi"))
          .create();
      if (!w.done().await(10, TimeUnit.SECONDS)) {
        return -1;
      }
      return w.arrivedNanos().get() - w.startNanos();
    } finally {
      broker.waiters.remove(key);
    }
  }

  private static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static Cpu cpuOver(Duration window) throws InterruptedException {
    Cpu start = cpuNow();
    Thread.sleep(window.toMillis());
    return cpuNow().minus(start);
  }

  private static Cpu cpuNow() {
    double process =
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime()
            / 1e9;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    double detector = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String name = t.getName();
      if (name.startsWith("idle-")) {
        long ns = threads.getThreadCpuTime(t.getId());
        if (ns > 0) {
          detector += ns / 1e9;
        }
      }
    }
    return new Cpu(process, detector);
  }

  /** CPU seconds per thread group (name without digits). */
  private static Map<String, Double> threadCpu() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Double> out = new java.util.HashMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      long ns = threads.getThreadCpuTime(t.getId());
      if (ns > 0) {
        out.merge(t.getName().replaceAll("[0-9]+", "#"), ns / 1e9, Double::sum);
      }
    }
    return out;
  }

  /** The five thread groups that used most CPU between two snapshots, in cores. */
  private static Map<String, Double> top(
      Map<String, Double> after, Map<String, Double> before, long seconds) {
    Map<String, Double> out = new LinkedHashMap<>();
    after.entrySet().stream()
        .map(
            e ->
                Map.entry(
                    e.getKey(), (e.getValue() - before.getOrDefault(e.getKey(), 0.0)) / seconds))
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .limit(5)
        .forEach(e -> out.put(e.getKey(), round(e.getValue())));
    return out;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
