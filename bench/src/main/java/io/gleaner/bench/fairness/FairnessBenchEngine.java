package io.gleaner.bench.fairness;

import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.broker.placement.PlacementEngine;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.fair.Candidate;
import io.gleaner.meta.fair.FairQueue;
import io.gleaner.meta.fair.FairShares;
import io.gleaner.meta.fair.GuaranteeReclaim;
import io.gleaner.meta.fair.ReclaimOrder;
import io.gleaner.meta.fair.Running;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.load.LoadCurve;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;
import org.HdrHistogram.Histogram;

/**
 * The fairness benchmark: three backlogged teams share a harvested pool that follows the Alibaba
 * 2018 cluster-trace CPU curve ({@link LoadCurve#alibaba2018()}); the same scenario runs twice,
 * once placing waiting pods in Dominant Resource Fairness order ({@link FairQueue}, with {@link
 * ReclaimOrder} when the pool shrinks) and once in arrival order (FIFO, with class-order reclaim),
 * both through the broker's real {@link PlacementEngine}.
 *
 * <p>In DRF order, each round is also a reclaim cycle for guarantees ({@link GuaranteeReclaim}, as
 * the descheduler runs it): while a team below its guarantee waits and the room left does not cover
 * what it lacks, pods of the teams above their fair share are evicted. A second scenario ({@link
 * Options#longPods()}: the other teams' pods run for 6 hours) measures how many cycles the
 * guaranteed team needs to reach its guarantee with and without that reclaim.
 *
 * <p>The scenario: {@code ml-batch} (weight 1) and {@code search-offline} (weight 1, keeping ten
 * times as many pods waiting, so it submits far more) from the start; {@code ads-nearline} (weight
 * 2, near-line, guaranteed {@code guaranteeCores} CPUs) from {@code lateStart}, when the pool is
 * full. Each team tops its waiting pods up to its backlog every step, so every team always wants
 * more than its share. Every member node lends {@code (1 − its online load)} of its CPU and memory;
 * its load is the trace's cluster-average CPU curve scaled by a per-node factor and shifted by a
 * per-node phase. A pod runs for 5 minutes plus an exponential time (mean 20 minutes); a pod on a
 * node whose offer shrinks below what runs there is evicted (its work lost). Pod shapes are the
 * same for every team and both runs draw them from the same seeded streams.
 *
 * <p>The last line printed is one JSON object.
 */
public final class FairnessBenchEngine {
  private static final long GI = 1L << 30;
  private static final Instant TRACE_START = Instant.parse("1970-01-01T08:00:00Z");
  private static final String[] TEAM_NAMES = {"ml-batch", "search-offline", "ads-nearline"};
  private static final int ML = 0;
  private static final int SEARCH = 1;
  private static final int ADS = 2;
  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /**
   * @param clusters member clusters
   * @param nodesPerCluster nodes per member
   * @param nodeCores CPUs of a node (memory: 4 GiB per CPU)
   * @param duration simulated time of each run
   * @param step simulated time between two placement rounds
   * @param backlog waiting pods kept by ml-batch and ads-nearline; search-offline keeps ten times
   * @param guaranteeCores ads-nearline's guarantee, CPUs
   * @param lateStart when ads-nearline starts submitting
   * @param seed of the node factors and the pod streams
   * @param othersRun how long every pod of ml-batch and search-offline runs; null for the usual 5
   *     minutes plus an exponential time (mean 20 minutes)
   */
  public record Options(
      int clusters,
      int nodesPerCluster,
      int nodeCores,
      Duration duration,
      Duration step,
      int backlog,
      int guaranteeCores,
      Duration lateStart,
      long seed,
      Duration othersRun) {

    public static Options defaults() {
      return new Options(
          10,
          20,
          32,
          Duration.ofHours(24),
          Duration.ofMinutes(1),
          200,
          400,
          Duration.ofHours(1),
          42,
          null);
    }

    /** A small run for tests: seconds, not minutes. */
    public static Options quick() {
      return new Options(
          2,
          10,
          32,
          Duration.ofHours(4),
          Duration.ofMinutes(1),
          40,
          40,
          Duration.ofHours(1),
          42,
          null);
    }

    public Options withSeed(long s) {
      return new Options(
          clusters,
          nodesPerCluster,
          nodeCores,
          duration,
          step,
          backlog,
          guaranteeCores,
          lateStart,
          s,
          othersRun);
    }

    public Options withDuration(Duration d) {
      return new Options(
          clusters,
          nodesPerCluster,
          nodeCores,
          d,
          step,
          backlog,
          guaranteeCores,
          lateStart,
          seed,
          othersRun);
    }

    /**
     * The guarantee scenario: ml-batch's and search-offline's pods run for 6 hours, so when
     * ads-nearline arrives the pool is full of pods that do not finish soon; 2 hours from its
     * start.
     */
    public Options longPods() {
      return new Options(
          clusters,
          nodesPerCluster,
          nodeCores,
          lateStart.plusHours(2),
          step,
          backlog,
          guaranteeCores,
          lateStart,
          seed,
          Duration.ofHours(6));
    }
  }

  private final PrintStream out;

  public FairnessBenchEngine(PrintStream out) {
    this.out = out;
  }

  /**
   * Runs both orders on the same scenario and returns the JSON object (printed last by the caller).
   */
  public Map<String, Object> run(Options o) {
    return run(o, 1);
  }

  /**
   * As {@link #run(Options)}, and the allocation (harvested ÷ offered core-hours) with and without
   * fairness on {@code seeds} seeds: {@code o}'s and the next ones, each scenario run in both
   * orders (DRF order with the reclaim for guarantees, FIFO without), side by side.
   */
  public Map<String, Object> run(Options o, int seeds) {
    if (seeds < 1) {
      throw new IllegalArgumentException("seeds must be >= 1, got " + seeds);
    }
    long start = System.nanoTime();
    Teams teams =
        new Teams(
            List.of(
                Team.of(TEAM_NAMES[ML], 1, TEAM_NAMES[ML]),
                Team.of(TEAM_NAMES[SEARCH], 1, TEAM_NAMES[SEARCH]),
                Team.of(TEAM_NAMES[ADS], 2, TEAM_NAMES[ADS])
                    .withGuarantee(Resources.of("cpu", String.valueOf(o.guaranteeCores())))),
            Team.of("default", 1));
    out.printf(
        "pool: %d members x %d nodes of %d CPUs lending (1 - online load), load = Alibaba 2018 CPU curve"
            + " x per-node factor; %s simulated, a round every %s%n",
        o.clusters(), o.nodesPerCluster(), o.nodeCores(), o.duration(), o.step());
    Run fair = new Run(o, teams, true, true);
    fair.simulate();
    print("fair (DRF)", fair);
    Run fifo = new Run(o, teams, false, false);
    fifo.simulate();
    print("FIFO", fifo);
    Options lp = o.longPods();
    Run longPods = new Run(lp, teams, true, true);
    longPods.simulate();
    Run longPodsNoReclaim = new Run(lp, teams, true, false);
    longPodsNoReclaim.simulate();
    out.printf(
        "guarantee, other teams' pods running %d h: reached in cycle %s with guarantee reclaim"
            + " (%d evictions), %s without%n",
        lp.othersRun().toHours(),
        longPods.guaranteeReachedCycles(),
        longPods.guaranteeEvictions,
        longPodsNoReclaim.guaranteeReachedCycles() == null
            ? "not within " + (lp.duration().minus(lp.lateStart()).toMinutes()) + " cycles"
            : "in cycle " + longPodsNoReclaim.guaranteeReachedCycles());
    out.printf(
        "fair choice per decision p50=%.2fus p99=%.2fus (with the round's build spread over its"
            + " decisions p99=%.2fus); round build p50=%.0fus p99=%.0fus (thread CPU p99=%.0fus) for"
            + " %.0f waiting pods%n",
        fair.choice.getValueAtPercentile(50) / 1000.0,
        fair.choice.getValueAtPercentile(99) / 1000.0,
        fair.withBuild.getValueAtPercentile(99) / 1000.0,
        fair.build.getValueAtPercentile(50) / 1000.0,
        fair.build.getValueAtPercentile(99) / 1000.0,
        fair.buildCpu.getValueAtPercentile(99) / 1000.0,
        fair.waitingPerRound());
    out.printf(
        "placement decision p99: %.2fus without fairness (FIFO), %.2fus with it (DRF: placement +"
            + " fair choice; placement alone %.2fus), %.2fus with the round's build spread%n",
        fifo.decide.getValueAtPercentile(99) / 1000.0,
        fair.decideWithChoice.getValueAtPercentile(99) / 1000.0,
        fair.decide.getValueAtPercentile(99) / 1000.0,
        fair.decideWithChoiceAndBuild.getValueAtPercentile(99) / 1000.0);

    Map<String, Object> json = new LinkedHashMap<>();
    json.put(
        "teams",
        "ml-batch w1, search-offline w1 (10x backlog), ads-nearline w2 guaranteed "
            + o.guaranteeCores()
            + " CPUs from "
            + o.lateStart().toMinutes()
            + " min");
    json.put("jain_weighted", round(fair.jain()));
    json.put("fifo_jain_weighted", round(fifo.jain()));
    json.put("core_hours", fair.coreHoursJson());
    json.put("fifo_core_hours", fifo.coreHoursJson());
    json.put("search_offline_share", round(fair.windowShare(SEARCH)));
    json.put("search_offline_fair_share", round(fair.meanFair(SEARCH)));
    json.put("search_offline_pool_share", round(fair.meanActual(SEARCH)));
    json.put("fifo_search_offline_share", round(fifo.windowShare(SEARCH)));
    json.put("submitted", fair.countsJson(fair.submitted));
    json.put("fifo_submitted", fifo.countsJson(fifo.submitted));
    json.put("guarantee_reached_s", fair.guaranteeReachedS);
    json.put("guarantee_reached_cycles", fair.guaranteeReachedCycles());
    json.put("guarantee_evictions", fair.guaranteeEvictions);
    json.put("fifo_guarantee_reached_s", fifo.guaranteeReachedS);
    json.put("long_pods_guarantee_reached_cycles", longPods.guaranteeReachedCycles());
    json.put("long_pods_guarantee_evictions", longPods.guaranteeEvictions);
    json.put(
        "long_pods_without_reclaim_guarantee_reached_cycles",
        longPodsNoReclaim.guaranteeReachedCycles());
    json.put(
        "long_pods_cycles_run",
        lp.duration().minus(lp.lateStart()).toSeconds() / lp.step().toSeconds());
    json.put("reclaim_cycle_s", o.step().toSeconds());
    json.put("allocation", round(fair.allocation()));
    json.put("fifo_allocation", round(fifo.allocation()));
    json.put("allocation_delta_points", round(100 * (fair.allocation() - fifo.allocation())));
    Map<String, Object> bySeed = new LinkedHashMap<>();
    bySeed.put(String.valueOf(o.seed()), allocationJson(fair, fifo));
    double deltaSum = fair.allocation() - fifo.allocation();
    double deltaMaxAbs = Math.abs(deltaSum);
    for (int k = 1; k < seeds; k++) {
      Options os = o.withSeed(o.seed() + k);
      Run f = new Run(os, teams, true, true);
      f.simulate();
      Run ff = new Run(os, teams, false, false);
      ff.simulate();
      double delta = f.allocation() - ff.allocation();
      out.printf(
          "seed %d: allocation DRF %.3f, FIFO %.3f (%+.2f points); jain %.3f vs %.3f%n",
          os.seed(), f.allocation(), ff.allocation(), 100 * delta, f.jain(), ff.jain());
      bySeed.put(String.valueOf(os.seed()), allocationJson(f, ff));
      deltaSum += delta;
      deltaMaxAbs = Math.max(deltaMaxAbs, Math.abs(delta));
    }
    json.put("allocation_by_seed", bySeed);
    json.put("allocation_delta_points_mean", round(100 * deltaSum / seeds));
    json.put("allocation_delta_points_max_abs", round(100 * deltaMaxAbs));
    json.put("evictions", fair.evictions);
    json.put("fifo_evictions", fifo.evictions);
    json.put("decisions", fair.choice.getTotalCount());
    json.put("ads_nearline_fair_share", round(fair.meanFair(ADS)));
    json.put("ads_nearline_share", round(fair.windowShare(ADS)));
    json.put("ads_nearline_pool_share", round(fair.meanActual(ADS)));
    json.put("ml_batch_fair_share", round(fair.meanFair(ML)));
    json.put("ml_batch_pool_share", round(fair.meanActual(ML)));
    json.put("fifo_ads_nearline_share", round(fifo.windowShare(ADS)));
    json.put("choice_p50_us", round(fair.choice.getValueAtPercentile(50) / 1000.0));
    json.put("choice_p99_us", round(fair.choice.getValueAtPercentile(99) / 1000.0));
    json.put("choice_max_us", round(fair.choice.getMaxValue() / 1000.0));
    json.put(
        "choice_with_round_build_p99_us", round(fair.withBuild.getValueAtPercentile(99) / 1000.0));
    json.put("round_build_p50_us", round(fair.build.getValueAtPercentile(50) / 1000.0));
    json.put("round_build_p99_us", round(fair.build.getValueAtPercentile(99) / 1000.0));
    json.put(
        "round_build_thread_cpu_p99_us", round(fair.buildCpu.getValueAtPercentile(99) / 1000.0));
    json.put("pods_waiting_per_round_mean", round(fair.waitingPerRound()));
    json.put("placement_decide_p99_us", round(fair.decide.getValueAtPercentile(99) / 1000.0));
    // the target "fairness adds less than 10 us to the p99 placement decision", side by side: a
    // decision in arrival order is the placement engine's alone; in DRF order it is the engine's
    // plus the fair choice (next() and placed()/passed()), and with the round's build spread over
    // its decisions
    Map<String, Object> decision = new LinkedHashMap<>();
    double withoutFairness = us(fifo.decide, 99);
    decision.put("without_fairness", withoutFairness);
    decision.put("with_fairness", us(fair.decideWithChoice, 99));
    decision.put("with_fairness_and_round_build", us(fair.decideWithChoiceAndBuild, 99));
    decision.put("drf_placement_only", us(fair.decide, 99));
    json.put("placement_decision_p99_us", decision);
    json.put("fairness_adds_p99_us", round(us(fair.decideWithChoice, 99) - withoutFairness));
    json.put(
        "fairness_adds_p99_us_with_round_build",
        round(us(fair.decideWithChoiceAndBuild, 99) - withoutFairness));
    json.put("pool_core_hours", round(fair.poolCoreHours));
    json.put("trace", "Alibaba cluster-trace-v2018 machine_usage, cluster-average CPU per 300 s");
    json.put("seconds", round((System.nanoTime() - start) / 1e9));
    return json;
  }

  private static double us(Histogram h, double percentile) {
    return round(h.getValueAtPercentile(percentile) / 1000.0);
  }

  /** One seed's allocation with and without fairness, and the difference in points. */
  private static Map<String, Object> allocationJson(Run fair, Run fifo) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("allocation", round(fair.allocation()));
    m.put("fifo_allocation", round(fifo.allocation()));
    m.put("delta_points", round(100 * (fair.allocation() - fifo.allocation())));
    m.put("jain_weighted", round(fair.jain()));
    m.put("fifo_jain_weighted", round(fifo.jain()));
    return m;
  }

  private void print(String name, Run r) {
    out.printf(
        "%-10s core-hours ml=%.0f search=%.0f ads=%.0f (window from ads' start: %.0f / %.0f / %.0f)"
            + " jain=%.3f allocation=%.3f evictions=%d (for the guarantee %d) guarantee reached"
            + " after %s s (cycle %s)%n",
        name,
        r.coreHours[ML],
        r.coreHours[SEARCH],
        r.coreHours[ADS],
        r.windowCoreHours[ML],
        r.windowCoreHours[SEARCH],
        r.windowCoreHours[ADS],
        r.jain(),
        r.allocation(),
        r.evictions,
        r.guaranteeEvictions,
        r.guaranteeReachedS,
        r.guaranteeReachedCycles());
  }

  static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }

  /** One pod of the scenario: the same in both runs, its state per run. */
  private static final class Pod {
    final int team;
    final Resources request;
    final long runSeconds;
    Candidate candidate;
    PodRequest podRequest;
    Running running;
    int node = -1;
    Placement placement;
    long endS;

    Pod(int team, Resources request, long runSeconds) {
      this.team = team;
      this.request = request;
      this.runSeconds = runSeconds;
    }
  }

  /** A team's stream of pods: shapes and run times from its own seeded generator. */
  private static final class Stream {
    final int team;
    final Random rnd;
    int made;

    final Duration fixedRun;

    Stream(int team, long seed, Duration fixedRun) {
      this.team = team;
      this.rnd = new Random(seed * 31 + team);
      this.fixedRun = fixedRun;
    }

    Pod next() {
      int r = rnd.nextInt(100);
      long cores = r < 30 ? 1 : r < 65 ? 2 : r < 90 ? 4 : 8;
      long memGi = cores * (2 + rnd.nextInt(3));
      long run = 300 + (long) (-Math.log(1 - rnd.nextDouble()) * 1200);
      if (fixedRun != null) {
        run = fixedRun.toSeconds();
      }
      made++;
      return new Pod(
          team,
          Resources.builder()
              .putCanonical(Resources.CPU, cores * 1000)
              .putCanonical(Resources.MEMORY, memGi * GI)
              .build(),
          run);
    }
  }

  /** One run of the scenario in one order. */
  private static final class Run {
    final Options o;
    final Teams teams;
    final boolean fair;
    final boolean guaranteeReclaim;
    final PlacementEngine engine = new PlacementEngine(PlacementPolicy.defaults().withoutMargins());
    final NodeKey[] keys;
    final LoadCurve[] loads;
    final Map<NodeKey, Integer> index = new HashMap<>();
    final List<List<Pod>> onNode = new ArrayList<>();
    final Stream[] streams = new Stream[3];
    final List<Pod> waiting = new ArrayList<>();
    final int[] waitingCount = new int[3];
    final Resources[] usage = {Resources.ZERO, Resources.ZERO, Resources.ZERO};
    final PriorityQueue<Pod> ends = new PriorityQueue<>((a, b) -> Long.compare(a.endS, b.endS));
    final double[] coreHours = new double[3];
    final double[] windowCoreHours = new double[3];
    final long[] submitted = new long[3];
    final Histogram choice = new Histogram(3_600_000_000L, 3);
    final Histogram build = new Histogram(3_600_000_000L, 3);
    final Histogram withBuild = new Histogram(3_600_000_000L, 3);
    final Histogram buildCpu = new Histogram(3_600_000_000L, 3);
    long[] roundChoices = new long[1024];
    long[] roundDecides = new long[1024];
    final Histogram decide = new Histogram(3_600_000_000L, 3);

    /** Per decision of the DRF order: the placement decision with the fair choice around it. */
    final Histogram decideWithChoice = new Histogram(3_600_000_000L, 3);

    /** The same with the round's build spread over its decisions. */
    final Histogram decideWithChoiceAndBuild = new Histogram(3_600_000_000L, 3);

    long lastDecideNs;
    final double[] fairSum = new double[3];
    final double[] actualSum = new double[3];
    long fairSteps;
    double poolCoreHours;
    double harvestedCoreHours;
    long evictions;
    long guaranteeEvictions;
    Long guaranteeReachedS;
    long rounds;
    long waitingSum;
    long seq;
    Resources pool = Resources.ZERO;

    Run(Options o, Teams teams, boolean fair, boolean guaranteeReclaim) {
      this.o = o;
      this.teams = teams;
      this.fair = fair;
      this.guaranteeReclaim = guaranteeReclaim;
      Random rnd = new Random(o.seed());
      int n = o.clusters() * o.nodesPerCluster();
      keys = new NodeKey[n];
      loads = new LoadCurve[n];
      LoadCurve trace = LoadCurve.alibaba2018();
      for (int i = 0; i < n; i++) {
        keys[i] = new NodeKey("member-" + i / o.nodesPerCluster(), "node-" + i);
        index.put(keys[i], i);
        loads[i] = trace.scaled(0.6 + rnd.nextDouble(), Duration.ofMinutes(rnd.nextInt(180)));
        onNode.add(new ArrayList<>());
      }
      for (int t = 0; t < 3; t++) {
        streams[t] = new Stream(t, o.seed(), t == ADS ? null : o.othersRun());
      }
    }

    void simulate() {
      long stepS = o.step().toSeconds();
      long endS = o.duration().toSeconds();
      long adsStartS = o.lateStart().toSeconds();
      for (long now = 0; now < endS; now += stepS) {
        Instant at = TRACE_START.plusSeconds(now);
        offer(at);
        complete(now);
        reclaim();
        submit(now, now >= adsStartS);
        if (guaranteeReclaim) {
          guaranteeCycle();
        }
        if (fair) {
          fairRound(now);
        } else {
          fifoRound(now);
        }
        double hours = stepS / 3600.0;
        poolCoreHours += pool.cpuMillis() / 1000.0 * hours;
        for (int t = 0; t < 3; t++) {
          double cores = usage[t].cpuMillis() / 1000.0;
          coreHours[t] += cores * hours;
          harvestedCoreHours += cores * hours;
          if (now >= adsStartS) {
            windowCoreHours[t] += cores * hours;
          }
        }
        if (now >= adsStartS) {
          Map<String, Resources> demand = new HashMap<>();
          for (Pod p : waiting) {
            demand.merge(TEAM_NAMES[p.team], p.request, Resources::plus);
          }
          Map<String, FairShares.Share> shares =
              FairShares.compute(pool, teams, usageByName(), demand);
          for (int t = 0; t < 3; t++) {
            fairSum[t] += shares.get(TEAM_NAMES[t]).fair();
            actualSum[t] += shares.get(TEAM_NAMES[t]).actual();
          }
          fairSteps++;
          if (guaranteeReachedS == null && usage[ADS].cpuMillis() >= o.guaranteeCores() * 1000L) {
            guaranteeReachedS = now - adsStartS;
          }
        }
      }
    }

    /** Every node offers (1 − its online load) of its CPU and memory. */
    void offer(Instant at) {
      long cpuSum = 0;
      long memSum = 0;
      for (int i = 0; i < keys.length; i++) {
        double free = 1 - loads[i].cpu(at);
        long cpu = (long) (o.nodeCores() * 1000L * free);
        long mem = (long) (o.nodeCores() * 4 * GI * free);
        cpuSum += cpu;
        memSum += mem;
        engine.offer(
            NodeOffer.of(
                keys[i].cluster(),
                keys[i].node(),
                CapacitySource.IDLE,
                Resources.builder()
                    .putCanonical(Resources.CPU, cpu)
                    .putCanonical(Resources.MEMORY, mem)
                    .build()));
      }
      pool =
          Resources.builder()
              .putCanonical(Resources.CPU, cpuSum)
              .putCanonical(Resources.MEMORY, memSum)
              .build();
    }

    void complete(long now) {
      while (!ends.isEmpty() && ends.peek().endS <= now) {
        remove(ends.poll());
      }
    }

    private void remove(Pod p) {
      engine.release(p.placement);
      onNode.get(p.node).remove(p);
      usage[p.team] = usage[p.team].minus(p.request);
      p.node = -1;
    }

    /** Evicts pods from nodes whose offer no longer holds what runs there. */
    void reclaim() {
      Map<String, Double> fairShares = null;
      for (int i = 0; i < keys.length; i++) {
        List<Pod> pods = onNode.get(i);
        if (pods.isEmpty()) {
          continue;
        }
        Resources held = Resources.ZERO;
        for (Pod p : pods) {
          held = held.plus(p.request);
        }
        Resources offered = engine.offerOf(keys[i]).usable();
        if (held.fitsIn(offered)) {
          continue;
        }
        List<Running> candidates = new ArrayList<>();
        Map<String, Pod> byId = new HashMap<>();
        for (Pod p : pods) {
          candidates.add(p.running);
          byId.put(p.running.id(), p);
        }
        List<Running> order;
        if (fair) {
          if (fairShares == null) {
            fairShares = new HashMap<>();
            Map<String, Resources> demand = new HashMap<>();
            for (Pod p : waiting) {
              demand.merge(TEAM_NAMES[p.team], p.request, Resources::plus);
            }
            for (FairShares.Share s :
                FairShares.compute(pool, teams, usageByName(), demand).values()) {
              fairShares.put(s.team(), s.fair());
            }
          }
          Map<String, Resources> others = new HashMap<>(usageByName());
          for (Pod p : pods) {
            others.merge(TEAM_NAMES[p.team], p.request, (a, b) -> a.minus(b));
          }
          order = ReclaimOrder.order(pool, teams, fairShares, candidates, others);
        } else {
          order = new ArrayList<>(candidates);
          order.sort(Running.CLASS_ORDER);
        }
        for (Running r : order) {
          if (held.fitsIn(offered)) {
            break;
          }
          Pod p = byId.get(r.id());
          held = held.minus(p.request);
          ends.remove(p);
          remove(p);
          evictions++;
        }
      }
    }

    /**
     * One reclaim cycle for guarantees, as the descheduler runs it ({@link GuaranteeReclaim}):
     * evicts pods of teams above their fair share while a team below its guarantee waits and the
     * room left does not cover what it lacks. The victims go at once (no grace period here).
     */
    void guaranteeCycle() {
      Map<String, Resources> demand = new HashMap<>();
      Map<String, Long> pending = new HashMap<>();
      for (Pod p : waiting) {
        demand.merge(TEAM_NAMES[p.team], p.request, Resources::plus);
        pending.merge(TEAM_NAMES[p.team], 1L, Long::sum);
      }
      List<Running> running = new ArrayList<>();
      Map<String, Pod> byId = new HashMap<>();
      Map<String, Resources> free = new HashMap<>(keys.length * 2);
      Map<String, String> nodeOf = new HashMap<>();
      for (int i = 0; i < keys.length; i++) {
        String node = keys[i].node();
        free.put(node, engine.freeOf(keys[i]));
        for (Pod p : onNode.get(i)) {
          running.add(p.running);
          byId.put(p.running.id(), p);
          nodeOf.put(p.running.id(), node);
        }
      }
      GuaranteeReclaim.Decision d =
          GuaranteeReclaim.decide(
              pool, teams, usageByName(), demand, pending, free, nodeOf, running);
      for (Running r : d.victims()) {
        Pod p = byId.get(r.id());
        ends.remove(p);
        remove(p);
        guaranteeEvictions++;
      }
    }

    /**
     * Reclaim cycles (placement rounds) from ads-nearline's first waiting pod until it held its
     * guarantee, the cycle that reached it included: 1 is within the first; null if never.
     */
    Long guaranteeReachedCycles() {
      return guaranteeReachedS == null ? null : guaranteeReachedS / o.step().toSeconds() + 1;
    }

    void submit(long now, boolean adsStarted) {
      for (int t = 0; t < 3; t++) {
        if (t == ADS && !adsStarted) {
          continue;
        }
        int target = t == SEARCH ? 10 * o.backlog() : o.backlog();
        while (waitingCount[t] < target) {
          Pod p = streams[t].next();
          String id = TEAM_NAMES[t] + "-" + streams[t].made;
          boolean nearLine = t == ADS;
          Instant created = TRACE_START.plusSeconds(now).plusNanos(seq++);
          p.candidate = new Candidate(id, TEAM_NAMES[t], p.request, nearLine, created);
          p.podRequest =
              PodRequest.of(
                  id, nearLine ? WorkloadClass.NEAR_LINE : WorkloadClass.OFFLINE, p.request);
          waiting.add(p);
          waitingCount[t]++;
          submitted[t]++;
        }
      }
    }

    void fairRound(long now) {
      List<Candidate> candidates = new ArrayList<>(waiting.size());
      Map<String, Pod> byId = new HashMap<>(waiting.size() * 2);
      for (Pod p : waiting) {
        candidates.add(p.candidate);
        byId.put(p.candidate.id(), p);
      }
      Map<String, Resources> usageNow = usageByName();
      long cpu0 = THREADS.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      FairQueue q = new FairQueue(pool, teams, usageNow, candidates);
      long buildNs = System.nanoTime() - t0;
      build.recordValue(Math.max(1, buildNs));
      buildCpu.recordValue(Math.max(1, THREADS.getCurrentThreadCpuTime() - cpu0));
      rounds++;
      waitingSum += waiting.size();
      int decisions = 0;
      while (true) {
        long c0 = System.nanoTime();
        Optional<Candidate> next = q.next();
        long c1 = System.nanoTime();
        if (next.isEmpty()) {
          break;
        }
        Pod p = byId.get(next.get().id());
        boolean placed = tryPlace(p, now);
        long c2 = System.nanoTime();
        if (placed) {
          q.placed(next.get());
        } else {
          q.passed(next.get());
        }
        long c3 = System.nanoTime();
        long ns = (c1 - c0) + (c3 - c2);
        choice.recordValue(Math.max(1, ns));
        decideWithChoice.recordValue(Math.max(1, lastDecideNs + ns));
        if (decisions == roundChoices.length) {
          roundChoices = java.util.Arrays.copyOf(roundChoices, decisions * 2);
          roundDecides = java.util.Arrays.copyOf(roundDecides, decisions * 2);
        }
        roundDecides[decisions] = lastDecideNs;
        roundChoices[decisions++] = ns;
      }
      for (int i = 0; i < decisions; i++) {
        withBuild.recordValue(Math.max(1, roundChoices[i] + buildNs / decisions));
        decideWithChoiceAndBuild.recordValue(
            Math.max(1, roundDecides[i] + roundChoices[i] + buildNs / decisions));
      }
      waiting.removeIf(p -> p.node >= 0);
    }

    void fifoRound(long now) {
      // waiting is kept in arrival order: the FIFO order needs no sort
      List<Pod> order = new ArrayList<>(waiting);
      rounds++;
      waitingSum += waiting.size();
      for (Pod p : order) {
        tryPlace(p, now);
      }
      waiting.removeIf(p -> p.node >= 0);
    }

    boolean tryPlace(Pod p, long now) {
      long d0 = System.nanoTime();
      PlacementEngine.Decision d = engine.decide(p.podRequest);
      lastDecideNs = System.nanoTime() - d0;
      decide.recordValue(Math.max(1, lastDecideNs));
      if (!(d instanceof PlacementEngine.Fit f)) {
        return false;
      }
      p.placement =
          new Placement(
              p.podRequest.podUid(),
              TEAM_NAMES[p.team],
              p.podRequest.podUid(),
              f.node(),
              f.source(),
              p.podRequest.workloadClass(),
              p.request,
              List.of(),
              0,
              now * 1000,
              true);
      engine.reserve(p.placement);
      p.node = index.get(f.node());
      p.endS = now + p.runSeconds;
      p.running =
          new Running(
              p.candidate.id(),
              TEAM_NAMES[p.team],
              p.request,
              p.candidate.nearLine(),
              TRACE_START.plusSeconds(now));
      onNode.get(p.node).add(p);
      ends.add(p);
      usage[p.team] = usage[p.team].plus(p.request);
      waitingCount[p.team]--;
      return true;
    }

    Map<String, Resources> usageByName() {
      Map<String, Resources> m = new HashMap<>();
      for (int t = 0; t < 3; t++) {
        m.put(TEAM_NAMES[t], usage[t]);
      }
      return m;
    }

    /** Jain's index of the weighted core-hours of the window in which all three teams compete. */
    double jain() {
      double sum = 0;
      double sumSq = 0;
      for (int t = 0; t < 3; t++) {
        double x = windowCoreHours[t] / teams.named(TEAM_NAMES[t]).weight();
        sum += x;
        sumSq += x * x;
      }
      return sumSq == 0 ? 0 : sum * sum / (3 * sumSq);
    }

    double windowShare(int team) {
      double total = windowCoreHours[0] + windowCoreHours[1] + windowCoreHours[2];
      return total == 0 ? 0 : windowCoreHours[team] / total;
    }

    double meanFair(int team) {
      return fairSteps == 0 ? 0 : fairSum[team] / fairSteps;
    }

    /** The mean dominant share of the pool the team held, in the unit of its fair share. */
    double meanActual(int team) {
      return fairSteps == 0 ? 0 : actualSum[team] / fairSteps;
    }

    double allocation() {
      return poolCoreHours == 0 ? 0 : harvestedCoreHours / poolCoreHours;
    }

    double waitingPerRound() {
      return rounds == 0 ? 0 : (double) waitingSum / rounds;
    }

    Map<String, Object> coreHoursJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      for (int t = 0; t < 3; t++) {
        m.put(TEAM_NAMES[t], round(coreHours[t]));
      }
      return m;
    }

    Map<String, Object> countsJson(long[] counts) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (int t = 0; t < 3; t++) {
        m.put(TEAM_NAMES[t], counts[t]);
      }
      return m;
    }
  }
}
