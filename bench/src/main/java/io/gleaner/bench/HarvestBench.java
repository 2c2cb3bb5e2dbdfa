package io.gleaner.bench;

import io.gleaner.bench.harvest.HarvestBenchEngine;
import io.gleaner.bench.harvest.HarvestBenchEngine.Design;
import io.gleaner.bench.harvest.HarvestBenchEngine.Options;
import io.gleaner.bench.harvest.HarvestBenchEngine.Result;
import io.gleaner.bench.placement.PlacementBenchEngine;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.time.Durations;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gleaner bench harvest}: one simulated day, four lending designs (Gleaner with the
 * forecast, Gleaner reactive, aggregate capacity, Gleaner with a periodic descheduler) on the same
 * seed, members, online load and offline backlog. A table, the lendable core-hours by cause, then
 * one JSON line.
 */
@Command(
    name = "harvest",
    mixinStandardHelpOptions = true,
    description =
        "Harvest ratio, wasted work, reclaims, online delay and member-Pending pods of four lending"
            + " designs on the same simulated day, then where each design's lendable core-hours"
            + " went, by cause; last line is JSON.")
public final class HarvestBench implements Callable<Integer> {
  @Option(
      names = "--members",
      defaultValue = "8",
      description = "Online members (${DEFAULT-VALUE}).")
  int members;

  @Option(
      names = "--nodes",
      defaultValue = "50",
      description = "Nodes per member (${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--hours",
      defaultValue = "24",
      description = "Simulated hours (${DEFAULT-VALUE}).")
  int hours;

  @Option(
      names = "--warmup-days",
      defaultValue = "7",
      description = "Days of online history before the scored day (${DEFAULT-VALUE}).")
  int warmupDays;

  @Option(
      names = "--backlog",
      description =
          "Waiting pods kept per class, offline and near-line (default: 2.5 per CPU of the"
              + " federation, 32,000 for the default one; fewer leave the forecast design's"
              + " draining room short of pods short enough for it).")
  Integer backlog;

  @Option(
      names = "--periodic-forecast",
      description = "Design 4 lends with the forecast (default: reactively, as design 2).")
  boolean periodicForecast;

  @Option(
      names = "--taint-lent",
      description =
          "What-if, every design alike: lent nodes carry a PreferNoSchedule taint that the"
              + " member schedulers honour (Gleaner does not taint lent nodes).")
  boolean taintLent;

  @Option(
      names = "--no-declared-runtime",
      description =
          "The offline pods declare no expected run time (default: each declares its team's"
              + " estimate, 0.8-1.4 of its actual run time), so no pod may go to a draining node.")
  boolean noDeclaredRuntime;

  @Option(
      names = "--safety-margin",
      description = "The policy's forecast safety margin (default: the policy's, 0.15).")
  Double safetyMargin;

  @Option(
      names = "--lead-time",
      description = "The policy's forecast lead time, e.g. 30m (default: the policy's, 30m).")
  String leadTime;

  @Option(names = "--seed", defaultValue = "42", description = "Seed (${DEFAULT-VALUE}).")
  long seed;

  private EffectivePolicy policy() {
    EffectivePolicy p = EffectivePolicy.DEFAULTS;
    EffectivePolicy.Forecast f = p.forecast();
    f =
        new EffectivePolicy.Forecast(
            f.enabled(),
            f.weekWeight(),
            f.dayWeight(),
            f.lastHourWeight(),
            safetyMargin == null ? f.safetyMargin() : safetyMargin,
            leadTime == null ? f.leadTime() : Durations.parse(leadTime));
    return new EffectivePolicy(
        p.reserveMargins(),
        p.nearLineReserve(),
        p.idle(),
        p.reclaimCooldown(),
        p.eviction(),
        p.memberUnreachableTimeout(),
        p.nodeHeadroom(),
        p.pendingTimeout(),
        p.teams(),
        f,
        p.podSecurity(),
        p.elastic());
  }

  @Override
  public Integer call() {
    Options o =
        Options.defaults()
            .withFederation(members, nodes)
            .withHours(
                hours,
                warmupDays,
                backlog != null
                    ? backlog
                    : Options.saturatingBacklog(members, nodes, Options.defaults().nodeCores()))
            .withSeed(seed)
            .withPeriodicForecast(periodicForecast)
            .withTaintLent(taintLent)
            .withDeclaredRuntimes(!noDeclaredRuntime)
            .withPolicy(policy());
    PlacementBenchEngine.quietLogs();
    System.out.printf(
        "%d members x %d nodes of %d CPUs, online replicas of %d CPUs on the Alibaba 2018 curve;"
            + " %d h scored after %d days of history; backlog %d per class; seed %d%n",
        o.members(),
        o.nodesPerMember(),
        o.nodeCores(),
        o.onlinePodCores(),
        o.hours(),
        o.warmupDays(),
        o.backlog(),
        o.seed());
    long start = System.nanoTime();
    List<Result> results = new ArrayList<>();
    for (Design d : Design.values()) {
      long t0 = System.nanoTime();
      results.add(HarvestBenchEngine.run(o, d));
      System.out.printf("%s done in %.1f s%n", d.tag(), (System.nanoTime() - t0) / 1e9);
    }
    HarvestBenchEngine.table(results).forEach(System.out::println);
    HarvestBenchEngine.causes(results).forEach(System.out::println);
    System.out.println(
        PlacementBenchEngine.json(
            HarvestBenchEngine.json(o, results, (System.nanoTime() - start) / 1e9)));
    return 0;
  }
}
