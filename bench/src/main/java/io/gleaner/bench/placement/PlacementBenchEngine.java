package io.gleaner.bench.placement;

import io.gleaner.broker.ledger.Ledger;
import io.gleaner.broker.ledger.ZkLedgerStore;
import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.PlaceOutcome;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.broker.placement.PlacementEngine;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.HdrHistogram.Histogram;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * The placement benchmark: Gleaner's per-node placement side by side with an aggregate-capacity
 * baseline (tensile-kube/Liqo style, {@link AggregateBaseline}) on (a) generated fragmented
 * federations and (b) the real openb GPU trace, plus the latency and throughput of durable
 * reservations through ZooKeeper.
 *
 * <p>Every placement of ours is checked against the ground truth of what the member node has free
 * ({@link Truth}); a pod we accept that does not fit counts as {@code accepted_unfit}. Margins and
 * the near-line reserve are off for both sides, so both solve the same problem. The last line
 * printed is one JSON object.
 *
 * <p>Run: {@code java -cp broker.jar:... io.gleaner.bench.placement.PlacementBenchEngine [--quick]
 * [--no-zk]}.
 */
public final class PlacementBenchEngine {
  private static final long GI = 1L << 30;
  private static final long MI = 1L << 20;
  private static final String OPENB = "/bench/openb/";
  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /**
   * @param smallClusters clusters of the first generated federation (100 nodes each)
   * @param largeClusters clusters of the second generated federation
   * @param reservations existing reservations in each generated federation
   * @param arrivals pods arriving in each generated federation (after a warm-up run)
   * @param zkClusters clusters of 100 nodes for the ZooKeeper run (0 = skip it)
   * @param zkPlacements placements through ZooKeeper
   */
  public record Options(
      int smallClusters,
      int largeClusters,
      int nodesPerCluster,
      int reservations,
      int arrivals,
      long seed,
      boolean openb,
      int zkClusters,
      int zkPlacements,
      boolean warmup) {

    public static Options defaults() {
      return new Options(100, 1000, 100, 100_000, 20_000, 42, true, 10, 2000, true);
    }

    /** A tiny run for tests: seconds, not minutes. */
    public static Options quick() {
      return new Options(4, 8, 10, 400, 300, 42, false, 0, 0, false);
    }

    public Options withSeed(long s) {
      return new Options(
          smallClusters,
          largeClusters,
          nodesPerCluster,
          reservations,
          arrivals,
          s,
          openb,
          zkClusters,
          zkPlacements,
          warmup);
    }

    public Options withOpenb(boolean on) {
      return new Options(
          smallClusters,
          largeClusters,
          nodesPerCluster,
          reservations,
          arrivals,
          seed,
          on,
          zkClusters,
          zkPlacements,
          warmup);
    }

    public Options withZooKeeper(int clusters, int placements) {
      return new Options(
          smallClusters,
          largeClusters,
          nodesPerCluster,
          reservations,
          arrivals,
          seed,
          openb,
          clusters,
          placements,
          warmup);
    }
  }

  /**
   * Sets the root log level to WARN when logback is the SLF4J backend, so progress lines stay
   * readable.
   */
  public static void quietLogs() {
    Object root = org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    try {
      Class<?> level = Class.forName("ch.qos.logback.classic.Level");
      root.getClass().getMethod("setLevel", level).invoke(root, level.getField("WARN").get(null));
    } catch (ReflectiveOperationException | RuntimeException e) {
      // another backend: leave its configuration alone
    }
  }

  /** The one-line JSON form of {@link #run}'s result. */
  public static String json(Map<String, Object> result) {
    return Json.write(result);
  }

  /** The figures of one federation. */
  public record Result(
      int nodes,
      long arrivals,
      double p50Us,
      double p99Us,
      double maxUs,
      double cpuP50Us,
      double cpuP99Us,
      long placed,
      long acceptedUnfit,
      long refusedFit,
      long baselinePlaced,
      long baselineAcceptedUnfit,
      double cpuAllocRate,
      double gpuAllocRate,
      double baselineCpuAllocRate,
      double baselineGpuAllocRate) {

    double placedFraction() {
      return arrivals == 0 ? 0 : (double) placed / arrivals;
    }

    double baselinePlacedFraction() {
      return arrivals == 0 ? 0 : (double) baselinePlaced / arrivals;
    }

    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("nodes", nodes);
      m.put("arrivals", arrivals);
      m.put("p50_us", round(p50Us));
      m.put("p99_us", round(p99Us));
      m.put("max_us", round(maxUs));
      m.put("cpu_p50_us", round(cpuP50Us));
      m.put("cpu_p99_us", round(cpuP99Us));
      m.put("accepted_unfit", acceptedUnfit);
      m.put("baseline_accepted_unfit", baselineAcceptedUnfit);
      m.put("refused_fit", refusedFit);
      m.put("placed_fraction", round(placedFraction()));
      m.put("baseline_placed_fraction", round(baselinePlacedFraction()));
      m.put("cpu_alloc_rate", round(cpuAllocRate));
      m.put("gpu_alloc_rate", round(gpuAllocRate));
      m.put("baseline_cpu_alloc_rate", round(baselineCpuAllocRate));
      m.put("baseline_gpu_alloc_rate", round(baselineGpuAllocRate));
      return m;
    }
  }

  private final PrintStream out;
  private final PlacementPolicy policy = PlacementPolicy.defaults().withoutMargins();

  public PlacementBenchEngine(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    Options o = Options.defaults();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> o = Options.quick();
        case "--no-zk" -> o = o.withZooKeeper(0, 0);
        case "--no-openb" -> o = o.withOpenb(false);
        case "--seed" -> o = o.withSeed(Long.parseLong(args[++i]));
        default ->
            throw new IllegalArgumentException(
                "unknown option " + args[i] + " (known: --quick, --no-zk, --no-openb, --seed N)");
      }
    }
    quietLogs();
    PlacementBenchEngine e = new PlacementBenchEngine(System.out);
    System.out.println(Json.write(e.run(o)));
  }

  /**
   * Runs everything the options ask for and returns the JSON object (printed last by the caller).
   */
  public Map<String, Object> run(Options o) {
    long start = System.nanoTime();
    if (o.warmup()) {
      out.println(
          "warm-up: two "
              + o.smallClusters()
              + "x"
              + o.nodesPerCluster()
              + " federations, JIT only");
      runGenerated(
          o.smallClusters(), o.nodesPerCluster(), o.reservations(), o.arrivals(), o.seed() + 1000);
      runGenerated(
          o.smallClusters(), o.nodesPerCluster(), o.reservations(), o.arrivals(), o.seed() + 2000);
    }
    Result small =
        runGenerated(
            o.smallClusters(), o.nodesPerCluster(), o.reservations(), o.arrivals(), o.seed());
    print(o.smallClusters() + "x" + o.nodesPerCluster(), small);
    Result large =
        runGenerated(
            o.largeClusters(), o.nodesPerCluster(), o.reservations(), o.arrivals(), o.seed());
    print(o.largeClusters() + "x" + o.nodesPerCluster(), large);
    Map<String, Object> json = new LinkedHashMap<>(small.json());
    json.put("federation_" + o.largeClusters() + "x" + o.nodesPerCluster(), large.json());
    json.put(
        "gangs",
        GangBench.run(o.smallClusters(), o.nodesPerCluster(), o.arrivals(), o.seed(), out));
    if (o.openb()) {
      json.put("openb", runOpenb(42));
    }
    if (o.zkClusters() > 0) {
      json.put("zookeeper", runZooKeeper(o.zkClusters(), o.zkPlacements(), o.seed()));
    }
    json.put("margins", "off (both sides solve the same problem)");
    json.put("seconds", round((System.nanoTime() - start) / 1e9));
    return json;
  }

  private void print(String name, Result r) {
    out.printf(
        "%-9s nodes=%d arrivals=%d decision p50=%.1fus p99=%.1fus max=%.0fus | ours placed=%.3f"
            + " accepted_unfit=%d | baseline placed=%.3f accepted_unfit=%d%n",
        name,
        r.nodes(),
        r.arrivals(),
        r.p50Us(),
        r.p99Us(),
        r.maxUs(),
        r.placedFraction(),
        r.acceptedUnfit(),
        r.baselinePlacedFraction(),
        r.baselineAcceptedUnfit());
  }

  // ------------------------------------------------------------------------------------------------------------
  // (a) generated fragmented federations

  /** A federation loaded into both the engine and the ground truth. */
  private static final class Federation {
    final Truth truth;
    final PlacementEngine engine;
    final NodeKey[] keys;
    final Map<NodeKey, Integer> index;
    final CapacitySource[] sources;

    Federation(Truth truth, PlacementEngine engine, NodeKey[] keys, CapacitySource[] sources) {
      this.truth = truth;
      this.engine = engine;
      this.keys = keys;
      this.sources = sources;
      this.index = new HashMap<>(keys.length * 2);
      for (int i = 0; i < keys.length; i++) {
        index.put(keys[i], i);
      }
    }
  }

  Result runGenerated(int clusters, int perCluster, int reservations, int arrivals, long seed) {
    Random rnd = new Random(seed);
    int n = clusters * perCluster;
    Truth truth = new Truth(n, clusters);
    PlacementEngine engine = new PlacementEngine(policy);
    NodeKey[] keys = new NodeKey[n];
    CapacitySource[] sources = new CapacitySource[n];
    long[][] types = {{16, 64}, {32, 128}, {48, 192}, {64, 256}, {96, 384}};
    for (int i = 0; i < n; i++) {
      int c = i / perCluster;
      boolean gpu = rnd.nextInt(10) == 0;
      long[] t = gpu ? new long[] {96, 768} : types[rnd.nextInt(types.length)];
      int gpus = gpu ? 8 : 0;
      truth.node(i, c, t[0] * 1000, t[1] * GI, 110, gpus);
      keys[i] = new NodeKey("c" + c, "n" + i);
      sources[i] =
          i % 4 == 0
              ? CapacitySource.COLOCATION
              : i % 4 == 1 ? CapacitySource.VOLCANO : CapacitySource.IDLE;
      Resources usable =
          Resources.builder()
              .putCanonical(Resources.CPU, t[0] * 1000)
              .putCanonical(Resources.MEMORY, t[1] * GI)
              .putCanonical(Resources.PODS, 110)
              .putCanonical(Resources.GPU, gpus)
              .build();
      engine.offer(
          new NodeOffer(
              keys[i],
              sources[i],
              usable,
              Map.of("topology.kubernetes.io/zone", "z" + (c % 3)),
              List.of(),
              rnd.nextDouble() * 0.3,
              "z" + (c % 3),
              List.of(),
              0));
    }
    Federation fed = new Federation(truth, engine, keys, sources);
    // existing reservations: random slices of random nodes, cpu and memory drawn independently
    // (fragmentation)
    double perNode = (double) reservations / n;
    int made = 0;
    for (int attempt = 0; made < reservations && attempt < reservations * 4; attempt++) {
      int i = rnd.nextInt(n);
      double frac = Math.min(0.97, 0.9 / perNode * (0.6 + 0.8 * rnd.nextDouble()));
      long cpu = Math.max(100, (long) (truth.cpuCap[i] * frac) / 100 * 100);
      long mem =
          Math.max(
              64 * MI, (long) (truth.memCap[i] * frac * (0.4 + 1.2 * rnd.nextDouble())) / MI * MI);
      int gpus = truth.dev[i].length > 0 && rnd.nextBoolean() ? 1 + rnd.nextInt(3) : 0;
      Shape s = new Shape(cpu, mem, gpus, 1000);
      if (!truth.fits(i, s)) {
        s = new Shape(cpu / 2, mem / 2, 0, 0);
        if (!truth.fits(i, s)) {
          continue;
        }
      }
      reserveDirect(fed, i, s, "pre-" + made);
      made++;
    }
    // arrivals: until they ask for 110% of the free cpu (at least `arrivals`, at most 4 per node)
    long freeCpu = 0;
    for (int i = 0; i < n; i++) {
      freeCpu += truth.cpu[i];
    }
    List<Shape> shapes = new ArrayList<>();
    long asked = 0;
    while ((asked < 1.1 * freeCpu || shapes.size() < arrivals) && shapes.size() < 4 * n) {
      Shape s = generatedArrivals(rnd, 1).get(0);
      shapes.add(s);
      asked += s.cpuMilli();
    }
    out.printf(
        "  %dx%d: %d nodes, %d existing reservations, %.0f%% of cpu reserved; %d arrivals ask %.0f%% of the"
            + " free cpu%n",
        clusters,
        perCluster,
        n,
        made,
        pct(truth.usedCpu(), truth.totalCpu()),
        shapes.size(),
        pct(asked, freeCpu));
    return replay(fed, shapes, rnd, null);
  }

  private static List<Shape> generatedArrivals(Random rnd, int count) {
    long[] cpus = {500, 1000, 2000, 4000, 8000, 16000, 32000};
    int[] weights = {15, 25, 25, 15, 10, 6, 4};
    List<Shape> out = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      int w = rnd.nextInt(100);
      int idx = 0;
      while (w >= weights[idx]) {
        w -= weights[idx++];
      }
      long cpu = cpus[idx];
      long mem = cpu / 1000 * (1L << rnd.nextInt(4)) * GI + (cpu < 1000 ? GI : 0);
      int r = rnd.nextInt(100);
      Shape s;
      if (r < 3) {
        s = new Shape(cpu, mem, 1, 250 * (1 + rnd.nextInt(3)));
      } else if (r < 6) {
        s = new Shape(cpu, mem, 1 << rnd.nextInt(4), 1000);
      } else {
        s = new Shape(cpu, mem, 0, 0);
      }
      out.add(s);
    }
    return out;
  }

  private static void reserveDirect(Federation fed, int i, Shape s, String uid) {
    int[] devices = s.gpus() == 0 ? new int[0] : null;
    Truth t = fed.truth;
    if (devices == null) {
      devices = pickDevices(t, i, s);
    }
    t.take(i, s, devices);
    fed.engine.reserve(
        new Placement(
            uid,
            "",
            "",
            fed.keys[i],
            fed.sources[i],
            WorkloadClass.OFFLINE,
            s.request(uid, WorkloadClass.OFFLINE).requests(),
            Arrays.stream(devices).boxed().toList(),
            s.gpus() == 0 ? 0 : s.sharesGpu() ? s.gpuMilli() : 1000,
            0,
            true));
  }

  private static int[] pickDevices(Truth t, int i, Shape s) {
    int count = s.sharesGpu() ? 1 : s.gpus();
    int[] out = new int[count];
    int k = 0;
    for (int d = 0; d < t.dev[i].length && k < count; d++) {
      if (t.dev[i][d] >= (s.sharesGpu() ? s.gpuMilli() : 1000)) {
        out[k++] = d;
      }
    }
    return out;
  }

  /**
   * Replays arrivals through our engine (timing decide + reserve, checking each placement against
   * the truth) and through the baseline on a copy of the same truth. {@code onProgress} sees
   * (arrival index, our truth).
   */
  private Result replay(
      Federation fed,
      List<Shape> shapes,
      Random rnd,
      java.util.function.BiConsumer<Integer, Truth> onProgress) {
    Truth baseTruth = fed.truth.copy();
    AggregateBaseline baseline = new AggregateBaseline(baseTruth);
    List<PodRequest> requests = new ArrayList<>(shapes.size());
    for (int k = 0; k < shapes.size(); k++) {
      requests.add(
          shapes
              .get(k)
              .request(
                  "pod-" + k,
                  rnd.nextInt(10) < 3 ? WorkloadClass.NEAR_LINE : WorkloadClass.OFFLINE));
    }
    Histogram h = new Histogram(3_600_000_000L, 3);
    Histogram cpuH = new Histogram(3_600_000_000L, 3);
    Histogram noFitH = new Histogram(3_600_000_000L, 3);
    Histogram gpuH = new Histogram(3_600_000_000L, 3);
    long placed = 0;
    long unfit = 0;
    long refusedFit = 0;
    int checkEvery = fed.truth.n > 20_000 ? 20 : 1;
    System.gc();
    for (int k = 0; k < shapes.size(); k++) {
      PodRequest req = requests.get(k);
      long c0 = THREADS.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      PlacementEngine.Decision d = fed.engine.decide(req);
      PlacementEngine.Fit fit = null;
      if (d instanceof PlacementEngine.Fit f) {
        fit = f;
        fed.engine.reserve(
            new Placement(
                req.podUid(),
                "",
                "",
                f.node(),
                f.source(),
                req.workloadClass(),
                req.requests(),
                toList(f.gpuDevices()),
                f.gpuMilli(),
                0,
                false));
      }
      long t1 = System.nanoTime();
      long c1 = THREADS.getCurrentThreadCpuTime();
      h.recordValue(Math.max(1, t1 - t0));
      cpuH.recordValue(Math.max(1, c1 - c0));
      if (fit == null) {
        noFitH.recordValue(Math.max(1, c1 - c0));
      }
      if (req.requests().gpus() > 0) {
        gpuH.recordValue(Math.max(1, c1 - c0));
      }
      if (fit == null
          && (noFitH.getTotalCount() % checkEvery == 0)
          && fitsSomewhere(fed.truth, shapes.get(k))) {
        refusedFit++;
      }
      if (fit != null) {
        int i = fed.index.get(fit.node());
        Shape s = shapes.get(k);
        if (fed.truth.fits(i, s) && devicesFit(fed.truth, i, s, fit.gpuDevices())) {
          fed.truth.take(i, s, s.gpus() == 0 ? null : fit.gpuDevices());
          placed++;
        } else {
          unfit++;
        }
      }
      if (onProgress != null) {
        onProgress.accept(k, fed.truth);
      }
    }
    out.printf(
        "  %d nodes: thread-CPU p50=%.1fus p99=%.1fus; %d no-fit decisions p99=%.1fus; %d GPU pods p99=%.1fus"
            + " (thread CPU)%n",
        fed.truth.n,
        cpuH.getValueAtPercentile(50) / 1000.0,
        cpuH.getValueAtPercentile(99) / 1000.0,
        noFitH.getTotalCount(),
        noFitH.getValueAtPercentile(99) / 1000.0,
        gpuH.getTotalCount(),
        gpuH.getValueAtPercentile(99) / 1000.0);
    long bPlaced = 0;
    long bUnfit = 0;
    for (Shape s : shapes) {
      switch (baseline.place(s)) {
        case PLACED -> bPlaced++;
        case ACCEPTED_UNFIT -> bUnfit++;
        default -> {}
      }
    }
    out.printf(
        "  refused although a node fits (checked on %s of the no-fit answers): %d%n",
        checkEvery == 1 ? "all" : "1 in " + checkEvery, refusedFit);
    return new Result(
        fed.truth.n,
        shapes.size(),
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getMaxValue() / 1000.0,
        cpuH.getValueAtPercentile(50) / 1000.0,
        cpuH.getValueAtPercentile(99) / 1000.0,
        placed,
        unfit,
        refusedFit,
        bPlaced,
        bUnfit,
        pct(fed.truth.usedCpu(), fed.truth.totalCpu()),
        pct(fed.truth.usedGpuMilli(), fed.truth.totalGpuMilli()),
        pct(baseTruth.usedCpu(), baseTruth.totalCpu()),
        pct(baseTruth.usedGpuMilli(), baseTruth.totalGpuMilli()));
  }

  private static boolean fitsSomewhere(Truth t, Shape s) {
    for (int i = 0; i < t.n; i++) {
      if (t.fits(i, s)) {
        return true;
      }
    }
    return false;
  }

  private static boolean devicesFit(Truth t, int i, Shape s, int[] devices) {
    if (s.gpus() == 0) {
      return true;
    }
    int per = s.sharesGpu() ? s.gpuMilli() : 1000;
    for (int d : devices) {
      if (d >= t.dev[i].length || t.dev[i][d] < per) {
        return false;
      }
    }
    return devices.length == (s.sharesGpu() ? 1 : s.gpus());
  }

  private static List<Integer> toList(int[] a) {
    if (a.length == 0) {
      return List.of();
    }
    Integer[] boxed = new Integer[a.length];
    for (int i = 0; i < a.length; i++) {
      boxed[i] = a[i];
    }
    return Arrays.asList(boxed);
  }

  // ------------------------------------------------------------------------------------------------------------
  // (b) the openb trace

  Map<String, Object> runOpenb(long seed) {
    List<String[]> nodeRows = csv(OPENB + "openb_node_list_all_node.csv");
    int clusters = 50;
    int n = nodeRows.size();
    Truth truth = new Truth(n, clusters);
    PlacementEngine engine = new PlacementEngine(policy);
    NodeKey[] keys = new NodeKey[n];
    CapacitySource[] sources = new CapacitySource[n];
    for (int i = 0; i < n; i++) {
      String[] r = nodeRows.get(i);
      long cpu = Long.parseLong(r[1]);
      long mem = Long.parseLong(r[2]) * MI;
      int gpus = Integer.parseInt(r[3]);
      int c = i % clusters;
      truth.node(i, c, cpu, mem, Long.MAX_VALUE / 4, gpus);
      keys[i] = new NodeKey("openb-" + c, r[0]);
      sources[i] = CapacitySource.IDLE;
      engine.offer(
          NodeOffer.of(
              keys[i].cluster(),
              keys[i].node(),
              CapacitySource.IDLE,
              Resources.builder()
                  .putCanonical(Resources.CPU, cpu)
                  .putCanonical(Resources.MEMORY, mem)
                  .putCanonical(Resources.GPU, gpus)
                  .build()));
    }
    Federation fed = new Federation(truth, engine, keys, sources);
    List<String[]> podRows = csv(OPENB + "openb_pod_list_default.csv");
    podRows.sort(Comparator.comparing(r -> r[0]));
    List<Shape> trace = new ArrayList<>();
    for (String[] r : podRows) {
      trace.add(
          new Shape(
              Long.parseLong(r[1]),
              Long.parseLong(r[2]) * MI,
              Integer.parseInt(r[3]),
              Integer.parseInt(r[4])));
    }
    Random rnd = new Random(seed);
    Collections.shuffle(trace, rnd);
    long cpuCap = truth.totalCpu();
    long gpuCap = truth.totalGpuMilli();
    long cpuSum = 0;
    long gpuSum = 0;
    for (Shape s : trace) {
      cpuSum += s.cpuMilli();
      gpuSum += s.gpuDemandMilli();
    }
    double ratio = 1.3;
    List<Shape> arrivals = new ArrayList<>(trace);
    int original = trace.size();
    while (arrivals.size() < (int) (ratio * original)) {
      Shape s = trace.get(rnd.nextInt(original));
      if (cpuSum + s.cpuMilli() > ratio * cpuCap || gpuSum + s.gpuDemandMilli() > ratio * gpuCap) {
        break;
      }
      arrivals.add(s);
      cpuSum += s.cpuMilli();
      gpuSum += s.gpuDemandMilli();
    }
    double arrivalPct = 100.0 * gpuSum / gpuCap;
    out.printf(
        "openb: %d nodes in %d clusters, %d GPUs; %d trace pods inflated to %d arrivals (%.1f%% of GPU"
            + " capacity requested)%n",
        n, clusters, gpuCap / 1000, original, arrivals.size(), arrivalPct);
    long[] submitted = {0};
    int[] nextMark = {100};
    Result r =
        replay(
            fed,
            arrivals,
            new Random(seed),
            (k, t) -> {
              submitted[0] += arrivals.get(k).gpuDemandMilli();
              double pct = 100.0 * submitted[0] / gpuCap;
              if (pct >= nextMark[0]) {
                out.printf(
                    "openb: arrived %.0f%% of GPU capacity -> GPU allocation %.2f%% (paper BestFit %.2f%%, FGD"
                        + " %.2f%%)%n",
                    pct,
                    pct(t.usedGpuMilli(), gpuCap),
                    paperRate("05-BestFit", (int) pct),
                    paperRate("06-FGD", (int) pct));
                nextMark[0] += 10;
              }
            });
    int column = Math.min(130, (int) Math.floor(arrivalPct));
    Map<String, Object> m = r.json();
    m.put("clusters", clusters);
    m.put("arrival_pct", round(arrivalPct));
    m.put("paper_column", column);
    m.put("paper_bestfit_gpu_alloc_rate", round(paperRate("05-BestFit", column)));
    m.put("paper_fgd_gpu_alloc_rate", round(paperRate("06-FGD", column)));
    out.printf(
        "openb     nodes=%d arrivals=%d decision p50=%.1fus p99=%.1fus | ours placed=%.3f accepted_unfit=%d"
            + " gpu_alloc=%.2f%% cpu_alloc=%.2f%% | baseline placed=%.3f accepted_unfit=%d gpu_alloc=%.2f%% |"
            + " paper at %d%%: BestFit %.2f%% FGD %.2f%%%n",
        r.nodes(),
        r.arrivals(),
        r.p50Us(),
        r.p99Us(),
        r.placedFraction(),
        r.acceptedUnfit(),
        r.gpuAllocRate(),
        r.cpuAllocRate(),
        r.baselinePlacedFraction(),
        r.baselineAcceptedUnfit(),
        r.baselineGpuAllocRate(),
        column,
        paperRate("05-BestFit", column),
        paperRate("06-FGD", column));
    return m;
  }

  private Map<String, double[]> paperRows;

  /**
   * The paper's mean GPU allocation rate (%) over seeds, for workload openb_pod_list_default, at
   * column k.
   */
  double paperRate(String policyName, int column) {
    if (paperRows == null) {
      paperRows = new HashMap<>();
      List<String[]> rows = csv(OPENB + "analysis_allo_discrete.csv");
      Map<String, Integer> counts = new HashMap<>();
      for (String[] r : rows) {
        if (!r[0].equals("openb_pod_list_default")) {
          continue;
        }
        double[] acc = paperRows.computeIfAbsent(r[1], x -> new double[131]);
        for (int k = 0; k <= 130; k++) {
          acc[k] += Double.parseDouble(r[5 + k]);
        }
        counts.merge(r[1], 1, Integer::sum);
      }
      paperRows.forEach(
          (p, acc) -> {
            for (int k = 0; k <= 130; k++) {
              acc[k] /= counts.get(p);
            }
          });
    }
    double[] acc = paperRows.get(policyName);
    return acc == null ? Double.NaN : acc[Math.max(0, Math.min(130, column))];
  }

  // ------------------------------------------------------------------------------------------------------------
  // durable reservations through ZooKeeper

  Map<String, Object> runZooKeeper(int clusters, int placements, long seed) {
    Map<String, Object> m = new LinkedHashMap<>();
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start();
        CuratorFramework client =
            CuratorFrameworkFactory.newClient(
                zk.connectString(), 30_000, 10_000, new ExponentialBackoffRetry(100, 5))) {
      client.start();
      client.blockUntilConnected();
      Random rnd = new Random(seed);
      int n = clusters * 100;
      try (ZkLedgerStore store = new ZkLedgerStore(client, "/bench/ledger")) {
        Ledger ledger = new Ledger(store, policy, Clock.systemUTC(), Duration.ofHours(1), null);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          ledger.offer(
              NodeOffer.of(
                  "c" + (i / 100),
                  "n" + i,
                  CapacitySource.IDLE,
                  Resources.of("cpu", "64", "memory", "256Gi", "pods", "110")),
              "bench");
        }
        double offerSecs = (System.nanoTime() - t0) / 1e9;
        List<Shape> shapes = generatedArrivals(rnd, placements + 500);
        for (int k = 0; k < 500; k++) {
          ledger.place(shapes.get(k).request("warm-" + k, WorkloadClass.OFFLINE));
        }
        Histogram h = new Histogram(60_000_000_000L, 3);
        long placed = 0;
        long start = System.nanoTime();
        for (int k = 500; k < shapes.size(); k++) {
          PodRequest req = shapes.get(k).request("zk-" + k, WorkloadClass.OFFLINE);
          long a = System.nanoTime();
          PlaceOutcome o = ledger.place(req);
          h.recordValue(Math.max(1, System.nanoTime() - a));
          if (o instanceof PlaceOutcome.Placed) {
            placed++;
          }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        m.put("nodes", n);
        m.put("placements", placements);
        m.put("placed", placed);
        m.put("p50_us", round(h.getValueAtPercentile(50) / 1000.0));
        m.put("p99_us", round(h.getValueAtPercentile(99) / 1000.0));
        m.put("placements_per_s", round(placements / secs));
        m.put("offer_writes_per_s", round(n / offerSecs));
        out.printf(
            "zookeeper nodes=%d placements=%d durable reservation p50=%.0fus p99=%.0fus, %.0f placements/s"
                + " (one broker, sequential, fsync on)%n",
            n,
            placements,
            h.getValueAtPercentile(50) / 1000.0,
            h.getValueAtPercentile(99) / 1000.0,
            placements / secs);
      }
    } catch (Exception e) {
      out.println("zookeeper run failed: " + e);
      m.put("error", e.toString());
    }
    return m;
  }

  // ------------------------------------------------------------------------------------------------------------

  private static List<String[]> csv(String resource) {
    try (InputStream in = PlacementBenchEngine.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "benchmark data " + resource + " is missing from the classpath");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      List<String[]> rows = new ArrayList<>();
      String line = r.readLine();
      while ((line = r.readLine()) != null) {
        if (!line.isBlank()) {
          rows.add(line.split(",", -1));
        }
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double pct(long part, long total) {
    return total == 0 ? 0 : 100.0 * part / total;
  }

  static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
