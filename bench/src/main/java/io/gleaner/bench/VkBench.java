package io.gleaner.bench;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.ConfirmRequest;
import io.gleaner.api.v1.ConfirmResponse;
import io.gleaner.api.v1.ListPlacementsRequest;
import io.gleaner.api.v1.ListPlacementsResponse;
import io.gleaner.api.v1.NoFit;
import io.gleaner.api.v1.NodeRef;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.PlaceResponse;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.ReleaseRequest;
import io.gleaner.api.v1.ReleaseResponse;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.SimulatedFederation;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.vk.pod.MemberClusters;
import io.gleaner.vk.pod.PodController;
import io.gleaner.vk.pod.PodControllerConfig;
import io.gleaner.vk.pod.VkMetrics;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.TranslationConfig;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gleaner bench vk}: the virtual-kubelet's pod pipeline at scale.
 *
 * <p>A simulated federation (metadata cluster + {@code --members} members, each with a scheduler
 * and kubelet) and the real {@link PodController} talking real gRPC to a first-fit placement stub
 * (this bench measures the virtual-kubelet, not placement quality; the broker has its own bench).
 * {@code --pods} metadata pods are created already bound to the virtual node, paced at {@code
 * --rate} by a pool of {@code --bind-threads} binding threads (so the bench can offer more binds
 * per second than one blocking API call at a time allows). Halfway through, the controller is
 * closed and a new one started (a kill-and-restart, in the background: binding goes on while the
 * virtual-kubelet is down); with {@code --standby} the kill hands over to a second controller that
 * has been watching since the start (the chart's warm standby) instead. At the end every metadata
 * pod must have exactly one member pod.
 *
 * <p>Measured: member pods created per second (sustained, over the whole run), bind → member pod
 * created and bind → metadata pod Running (p50/p99, bench wall clock), and heap per tracked pod:
 * the retained heap of the virtual-kubelet (controller state and its informer caches of metadata
 * and member pods), from a full GC before and after the controller is closed, divided by the pods.
 */
@Command(
    name = "vk",
    mixinStandardHelpOptions = true,
    description =
        "Virtual-kubelet throughput, latency and heap per pod, with a kill-and-restart mid-run.")
public final class VkBench implements Callable<Integer> {
  @Option(
      names = "--pods",
      description = "Metadata pods bound to the virtual node (default ${DEFAULT-VALUE}).")
  int pods = 10_000;

  @Option(names = "--members", description = "Member clusters (default ${DEFAULT-VALUE}).")
  int members = 20;

  @Option(names = "--nodes", description = "Nodes per member (default ${DEFAULT-VALUE}).")
  int nodes = 10;

  @Option(
      names = "--rate",
      description = "Metadata pods bound per second (default ${DEFAULT-VALUE}).")
  int rate = 250;

  @Option(
      names = "--bind-threads",
      description =
          "Threads creating the bound metadata pods, paced at --rate (default ${DEFAULT-VALUE}).")
  int bindThreads = 32;

  @Option(
      names = "--warmup",
      description = "Pods bound first to warm up the JIT, not measured (default ${DEFAULT-VALUE}).")
  int warmup = 15_000;

  @Option(names = "--no-restart", description = "Skip the kill-and-restart in the middle.")
  boolean noRestart;

  @Option(
      names = "--standby",
      description =
          "The kill hands over to a warm standby (a second virtual-kubelet that "
              + "has listed and watched since the start, as the second replica of the chart does) instead of a cold restart.")
  boolean standby;

  @Option(
      names = "--timeout",
      description = "Give up after this many seconds (default ${DEFAULT-VALUE}).")
  int timeoutSeconds = 600;

  private final Map<String, Long> boundAt = new ConcurrentHashMap<>();
  private final Map<String, Long> createdAt = new ConcurrentHashMap<>();
  private final Map<String, Long> runningAt = new ConcurrentHashMap<>();
  private final Map<String, Integer> memberCount = new ConcurrentHashMap<>();
  private final AtomicInteger bindFailures = new AtomicInteger();
  private final AtomicInteger metaWrites = new AtomicInteger();
  private final AtomicReference<PodController> warmStandby = new AtomicReference<>();

  @Override
  public Integer call() throws Exception {
    int podsPerNode = Math.max(110, (pods + warmup) / (members * nodes) + 20);
    SimulatedFederation.Builder fb =
        SimulatedFederation.builder()
            .zookeeper(false)
            .registerMembers(false)
            .podStartDelay(Duration.ofMillis(200));
    for (int i = 0; i < members; i++) {
      fb.member(
          MemberSpec.of(
              String.format("m%02d", i),
              MemberRole.ONLINE,
              NodeShape.of(nodes, "64", "256Gi").withPods(podsPerNode)));
    }
    System.out.printf(
        "starting federation: %d members x %d nodes (%d pods per node)%n",
        members, nodes, podsPerNode);
    try (SimulatedFederation fed = fb.build()) {
      Map<String, KubernetesClient> clients = new LinkedHashMap<>();
      List<String[]> memberNodes = new ArrayList<>();
      for (SimulatedCluster c : fed.members()) {
        clients.put(c.name(), c.client());
        for (String n : c.nodeNames()) {
          memberNodes.add(new String[] {c.name(), n});
        }
      }
      KubernetesClient meta = fed.meta().client();
      String ns = fed.namespace();
      Server broker =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
              .directExecutor()
              .addService(new FirstFitBroker(memberNodes, 64_000L, podsPerNode))
              .build()
              .start();
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", broker.getPort()).usePlaintext().build();
      List<ObjectStore.Subscription> watchers = watch(fed);
      MemberClusters mc = MemberClusters.of(clients);
      long heapBefore = usedHeapAfterGc();
      AtomicReference<PodController> current = new AtomicReference<>(controller(meta, mc, channel));
      if (standby && !noRestart) {
        PodController warm = controller(meta, mc, channel, false);
        warmStandby.set(warm);
        System.out.printf("warm standby watching (%d metadata pods cached)%n", warm.metaPodCount());
      }
      ExecutorService binders = Executors.newFixedThreadPool(Math.max(1, bindThreads));
      if (warmup > 0) {
        // JMH-style warm-up: a long-running virtual-kubelet is JIT-compiled; these pods are bound,
        // created and
        // Running before measuring starts, stay tracked, and are not in the figures
        System.out.printf("warm-up: %d pods at %d/s (not measured)%n", warmup, rate);
        Map<String, Long> warm = new ConcurrentHashMap<>();
        long w0 = System.nanoTime();
        bind(meta, ns, binders, 0, warmup, warm, -1, current, mc, channel);
        awaitAll(warm.keySet(), warmup, w0);
        System.out.printf(
            "warm-up done in %.1f s (%d member pods)%n",
            (System.nanoTime() - w0) / 1e9, createdAt.size());
      }
      long start = System.nanoTime();
      Thread restarter =
          bind(
              meta,
              ns,
              binders,
              warmup,
              pods,
              boundAt,
              noRestart ? -1 : warmup + pods / 2,
              current,
              mc,
              channel);
      if (restarter != null) {
        restarter.join();
      }
      binders.shutdown();
      if (!binders.awaitTermination(timeoutSeconds, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "binding threads did not finish within --timeout " + timeoutSeconds + " s");
      }
      double bindSeconds = (System.nanoTime() - start) / 1e9;
      awaitAll(boundAt.keySet(), pods, start);
      explainStragglers(fed);
      long lastCreate =
          boundAt.keySet().stream()
              .map(createdAt::get)
              .filter(java.util.Objects::nonNull)
              .mapToLong(Long::longValue)
              .max()
              .orElse(start);
      double seconds = (lastCreate - start) / 1e9;
      long heapWithController = usedHeapAfterGc();
      int tracked = current.get().trackedCount();
      long[] footprint = current.get().cacheFootprint();
      System.out.printf(
          "informer caches: %d objects in %d bytes (%d bytes per object, compact JSON)%n",
          footprint[0], footprint[1], footprint[1] / Math.max(1, footprint[0]));
      // closed and unreferenced, so that its informer caches are collected too
      current.getAndSet(null).close();
      long heapAfter = usedHeapAfterGc();
      watchers.forEach(ObjectStore.Subscription::close);
      channel.shutdownNow();
      broker.shutdownNow();

      Histogram create = new Histogram(3_600_000L, 3);
      Histogram running = new Histogram(3_600_000L, 3);
      boundAt.forEach(
          (uid, t0) -> {
            Long c = createdAt.get(uid);
            Long r = runningAt.get(uid);
            if (c != null) {
              create.recordValue(Math.max(0, (c - t0) / 1_000_000));
            }
            if (r != null) {
              running.recordValue(Math.max(0, (r - t0) / 1_000_000));
            }
          });
      long duplicates = memberCount.values().stream().filter(n -> n > 1).count();
      long lost = boundAt.keySet().stream().filter(uid -> !createdAt.containsKey(uid)).count();
      long perPod = Math.max(0, (heapWithController - heapAfter) / Math.max(1, pods + warmup));
      long created = boundAt.keySet().stream().filter(createdAt::containsKey).count();
      long runningCount = boundAt.keySet().stream().filter(runningAt::containsKey).count();
      double podsPerS = created / Math.max(0.001, seconds);
      System.out.printf(
          "metadata pods bound: %d in %.1f s -> %.0f/s (asked for %d/s)%n",
          pods, bindSeconds, pods / bindSeconds, rate);
      System.out.printf(
          "member pods created: %d of %d in %.1f s -> %.0f pods/s%n",
          created, pods, seconds, podsPerS);
      System.out.printf(
          "bind -> member pod created: p50 %d ms, p99 %d ms, max %d ms%n",
          create.getValueAtPercentile(50), create.getValueAtPercentile(99), create.getMaxValue());
      System.out.printf(
          "bind -> metadata pod Running: p50 %d ms, p99 %d ms (%d Running)%n",
          running.getValueAtPercentile(50), running.getValueAtPercentile(99), runningCount);
      System.out.printf(
          "metadata pod writes after create: %.2f per pod (status mirrors)%n",
          metaWrites.get() / (double) Math.max(1, pods + warmup));
      System.out.printf(
          "duplicates: %d, lost: %d, restart: %s%n",
          duplicates, lost, noRestart ? "no" : standby ? "to a warm standby" : "cold");
      System.out.printf(
          "heap: %d bytes before, %d with %d tracked pods, %d after close -> %d bytes per pod "
              + "(controller state + informer caches of metadata and member pods)%n",
          heapBefore, heapWithController, tracked, heapAfter, perPod);
      System.out.printf(
          "{\"pods\":%d,\"members\":%d,\"pods_per_s\":%.1f,\"p50_create_ms\":%d,\"p99_create_ms\":%d,"
              + "\"p50_running_ms\":%d,\"p99_running_ms\":%d,\"heap_bytes_per_pod\":%d,\"duplicates\":%d,"
              + "\"lost\":%d,\"not_running\":%d,\"restarted\":%b,\"standby\":%b,\"bind_per_s\":%.1f}%n",
          pods,
          members,
          podsPerS,
          create.getValueAtPercentile(50),
          create.getValueAtPercentile(99),
          running.getValueAtPercentile(50),
          running.getValueAtPercentile(99),
          perPod,
          duplicates,
          lost,
          boundAt.size() - runningCount,
          !noRestart,
          standby && !noRestart,
          pods / bindSeconds);
      if (bindFailures.get() > 0) {
        System.out.printf("bind failures: %d (not counted as lost)%n", bindFailures.get());
      }
      return duplicates == 0
              && lost == 0
              && runningCount == boundAt.size()
              && bindFailures.get() == 0
          ? 0
          : 1;
    }
  }

  /**
   * Binds pods {@code from .. from+count-1} at {@code --rate} from the binding pool, recording bind
   * times in {@code into}; at pod {@code restartAt} the controller is closed and a new one started
   * in the background.
   */
  private Thread bind(
      KubernetesClient meta,
      String ns,
      ExecutorService binders,
      int from,
      int count,
      Map<String, Long> into,
      int restartAt,
      AtomicReference<PodController> current,
      MemberClusters mc,
      ManagedChannel channel)
      throws InterruptedException {
    long start = System.nanoTime();
    long intervalNanos = 1_000_000_000L / Math.max(1, rate);
    Thread restarter = null;
    for (int k = 0; k < count; k++) {
      long due = start + k * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      int n = from + k;
      binders.execute(
          () -> {
            long t0 = System.nanoTime();
            try {
              Pod p = meta.pods().inNamespace(ns).resource(pod(ns, n)).create();
              into.put(p.getMetadata().getUid(), t0);
            } catch (RuntimeException e) {
              bindFailures.incrementAndGet();
              System.err.printf("bind of vk-bench-%d failed: %s%n", n, e.getMessage());
            }
          });
      if (n == restartAt) {
        restarter =
            new Thread(
                () -> {
                  System.out.printf(
                      "killing the virtual-kubelet at pod %d (%d member pods so far)%n",
                      n, createdAt.size());
                  long killedAt = System.nanoTime();
                  current.get().close();
                  long closedAt = System.nanoTime();
                  PodController warm = warmStandby.getAndSet(null);
                  if (warm != null) {
                    warm.startActing();
                    current.set(warm);
                    System.out.printf(
                        "old virtual-kubelet closed in %.3f s; warm standby acting %.3f s later%n",
                        (closedAt - killedAt) / 1e9, (System.nanoTime() - closedAt) / 1e9);
                  } else {
                    current.set(controller(meta, mc, channel));
                    System.out.printf(
                        "virtual-kubelet restarted in %.1f s%n",
                        (System.nanoTime() - killedAt) / 1e9);
                  }
                },
                "vk-bench-restart");
        restarter.start();
      }
    }
    return restarter;
  }

  /**
   * Prints a few pods that never got a member pod or never showed Running, with what each side
   * says.
   */
  private void explainStragglers(SimulatedFederation fed) {
    boundAt.keySet().stream()
        .filter(uid -> !createdAt.containsKey(uid) || !runningAt.containsKey(uid))
        .limit(5)
        .forEach(
            uid -> {
              String meta =
                  fed
                      .meta()
                      .store()
                      .list(ResourceTypes.PODS, fed.namespace(), p -> true)
                      .items()
                      .stream()
                      .filter(p -> uid.equals(p.path("metadata").path("uid").asText()))
                      .findFirst()
                      .map(
                          p ->
                              p.path("metadata").path("name").asText()
                                  + " "
                                  + p.path("status").toString())
                      .orElse("gone");
              String member =
                  fed.members().stream()
                      .flatMap(
                          c ->
                              c.store().list(ResourceTypes.PODS, null, p -> true).items().stream()
                                  .filter(
                                      p ->
                                          uid.equals(
                                              p.path("metadata")
                                                  .path("labels")
                                                  .path(GleanerKeys.META_UID)
                                                  .asText()))
                                  .map(
                                      p ->
                                          c.name()
                                              + "/"
                                              + p.path("metadata").path("name").asText()
                                              + " "
                                              + p.path("status").path("phase").asText()
                                              + " node="
                                              + p.path("spec").path("nodeName").asText()))
                      .findFirst()
                      .orElse("none");
              System.out.printf("straggler %s: metadata %s; member %s%n", uid, meta, member);
            });
  }

  /**
   * Waits (up to --timeout) until the pods in {@code uids} all have a member pod and are Running.
   */
  private void awaitAll(java.util.Set<String> uids, int expected, long since)
      throws InterruptedException {
    long deadline = since + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (System.nanoTime() < deadline) {
      if (uids.size() >= expected - bindFailures.get()
          && createdAt.keySet().containsAll(uids)
          && runningAt.keySet().containsAll(uids)) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }

  private PodController controller(
      KubernetesClient meta, MemberClusters mc, ManagedChannel channel) {
    return controller(meta, mc, channel, true);
  }

  /** A pod controller that has listed; acting at once, or only watching (a warm standby). */
  private PodController controller(
      KubernetesClient meta, MemberClusters mc, ManagedChannel channel, boolean act) {
    PodControllerConfig cfg = PodControllerConfig.defaults().withMirrorEvents(false);
    PodController c =
        new PodController(
            meta,
            mc,
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("bench", "gleaner")),
            Clock.systemUTC(),
            UnaryOperator.identity(),
            new VkMetrics(new SimpleMeterRegistry()),
            cfg);
    long t0 = System.nanoTime();
    c.startWatching();
    long t1 = System.nanoTime();
    if (act) {
      c.startActing();
    }
    long cached = c.cacheFootprint()[0];
    if (cached > 0) {
      System.out.printf(
          "  listed %d cached pods in %.1f s, acting after %.2f s more%n",
          cached, (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
    }
    return c;
  }

  /**
   * Observes the simulated API servers' stores in-process (no HTTP watch, no JSON): the bench's own
   * bookkeeping must not compete with the virtual-kubelet for the CPU it measures.
   */
  private List<ObjectStore.Subscription> watch(SimulatedFederation fed) {
    List<ObjectStore.Subscription> out = new ArrayList<>();
    for (SimulatedCluster c : fed.members()) {
      out.add(
          c.store()
              .watch(
                  ResourceTypes.PODS,
                  null,
                  p ->
                      "true"
                          .equals(
                              p.path("metadata").path("labels").path(GleanerKeys.MANAGED).asText()),
                  null,
                  e -> {
                    String uid =
                        e.object()
                            .path("metadata")
                            .path("labels")
                            .path(GleanerKeys.META_UID)
                            .asText(null);
                    if (uid == null) {
                      return;
                    }
                    if (ObjectStore.ADDED.equals(e.type())) {
                      createdAt.putIfAbsent(uid, System.nanoTime());
                      memberCount.merge(uid, 1, Integer::sum);
                    } else if (ObjectStore.DELETED.equals(e.type())) {
                      memberCount.merge(uid, -1, Integer::sum);
                    }
                  }));
    }
    out.add(
        fed.meta()
            .store()
            .watch(
                ResourceTypes.PODS,
                null,
                p -> "gleaner".equals(p.path("spec").path("nodeName").asText()),
                null,
                e -> {
                  if (ObjectStore.MODIFIED.equals(e.type())) {
                    metaWrites.incrementAndGet();
                  }
                  if (!ObjectStore.DELETED.equals(e.type())
                      && "Running".equals(e.object().path("status").path("phase").asText())) {
                    runningAt.putIfAbsent(
                        e.object().path("metadata").path("uid").asText(), System.nanoTime());
                  }
                }));
    return out;
  }

  private static final PodSpec SPEC =
      new PodBuilder()
          .withNewSpec()
          .withNodeName("gleaner")
          .withRestartPolicy("Never")
          .addNewToleration()
          .withKey(GleanerKeys.VIRTUAL_NODE_TAINT_KEY)
          .withOperator("Exists")
          .endToleration()
          .addNewToleration()
          .withKey("node.kubernetes.io/not-ready")
          .withOperator("Exists")
          .withEffect("NoExecute")
          .endToleration()
          .addNewToleration()
          .withKey("node.kubernetes.io/unreachable")
          .withOperator("Exists")
          .withEffect("NoExecute")
          .endToleration()
          .addNewContainer()
          .withName("main")
          .withImage("busybox")
          .withNewResources()
          .addToRequests("cpu", new Quantity("100m"))
          .addToRequests("memory", new Quantity("128Mi"))
          .endResources()
          .endContainer()
          .endSpec()
          .build()
          .getSpec();

  /** A bound metadata pod; the spec object is shared (only serialized, never modified). */
  private static Pod pod(String ns, int i) {
    Pod p = new Pod();
    p.setApiVersion("v1");
    p.setKind("Pod");
    p.setMetadata(
        new ObjectMetaBuilder()
            .withName("vk-bench-" + i)
            .withNamespace(ns)
            .addToLabels(GleanerKeys.CLASS, i % 3 == 0 ? "near-line" : "offline")
            .addToLabels("app", "bench")
            .build());
    p.setSpec(SPEC);
    return p;
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      TimeUnit.MILLISECONDS.sleep(200);
      best = Math.min(best, rt.totalMemory() - rt.freeMemory());
    }
    return best;
  }

  /** First fit by cpu and pod count over the member nodes; idempotent per pod UID. */
  static final class FirstFitBroker extends BrokerGrpc.BrokerImplBase {
    private final List<String[]> nodes;
    private final long cpuPerNode;
    private final int podsPerNode;
    private final Map<String, long[]> used = new HashMap<>();
    private final Map<String, Placement> placements = new HashMap<>();
    private final Map<String, Long> cpuOf = new HashMap<>();
    private int cursor;

    FirstFitBroker(List<String[]> nodes, long cpuPerNode, int podsPerNode) {
      this.nodes = nodes;
      this.cpuPerNode = cpuPerNode;
      this.podsPerNode = podsPerNode;
    }

    @Override
    public synchronized void place(PlaceRequest req, StreamObserver<PlaceResponse> out) {
      Placement existing = placements.get(req.getPodUid());
      if (existing == null) {
        long cpu = Resources.parse(req.getShape().getRequestsMap()).cpuMillis();
        for (int k = 0; k < nodes.size() && existing == null; k++) {
          String[] n = nodes.get((cursor + k) % nodes.size());
          long[] u = used.computeIfAbsent(n[0] + "/" + n[1], x -> new long[2]);
          if (u[0] + cpu <= cpuPerNode && u[1] + 1 <= podsPerNode - 10) {
            u[0] += cpu;
            u[1]++;
            cursor = (cursor + k + 1) % nodes.size(); // spread over members
            existing =
                Placement.newBuilder()
                    .setPodUid(req.getPodUid())
                    .setNode(NodeRef.newBuilder().setCluster(n[0]).setNode(n[1]))
                    .setSource(SourceKind.IDLE)
                    .setWorkloadClass(req.getWorkloadClass())
                    .build();
            placements.put(req.getPodUid(), existing);
            cpuOf.put(req.getPodUid(), cpu);
          }
        }
      }
      if (existing == null) {
        out.onNext(
            PlaceResponse.newBuilder()
                .setNoFit(NoFit.newBuilder().setMessage("federation full"))
                .build());
      } else {
        out.onNext(PlaceResponse.newBuilder().setPlacement(existing).build());
      }
      out.onCompleted();
    }

    @Override
    public synchronized void confirm(ConfirmRequest req, StreamObserver<ConfirmResponse> out) {
      Placement p =
          placements.computeIfPresent(
              req.getPodUid(), (k, v) -> v.toBuilder().setConfirmed(true).build());
      out.onNext(
          ConfirmResponse.newBuilder()
              .setPlacement(p == null ? Placement.getDefaultInstance() : p)
              .build());
      out.onCompleted();
    }

    @Override
    public synchronized void listPlacements(
        ListPlacementsRequest req, StreamObserver<ListPlacementsResponse> out) {
      ListPlacementsResponse.Builder b = ListPlacementsResponse.newBuilder();
      placements.values().stream()
          .filter(
              p -> req.getCluster().isEmpty() || req.getCluster().equals(p.getNode().getCluster()))
          .forEach(b::addPlacements);
      out.onNext(b.build());
      out.onCompleted();
    }

    @Override
    public synchronized void release(ReleaseRequest req, StreamObserver<ReleaseResponse> out) {
      Placement p = placements.remove(req.getPodUid());
      if (p != null) {
        long[] u = used.get(p.getNode().getCluster() + "/" + p.getNode().getNode());
        u[0] -= cpuOf.getOrDefault(req.getPodUid(), 0L);
        u[1]--;
      }
      out.onNext(
          ReleaseResponse.newBuilder()
              .setReleased(p == null ? Placement.getDefaultInstance() : p)
              .build());
      out.onCompleted();
    }
  }
}
