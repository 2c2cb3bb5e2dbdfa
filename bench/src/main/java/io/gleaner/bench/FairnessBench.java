package io.gleaner.bench;

import io.gleaner.bench.fairness.FairnessBenchEngine;
import io.gleaner.bench.placement.PlacementBenchEngine;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gleaner bench fairness}: three backlogged teams (weights 1:1:2, one keeping ten times as
 * many pods waiting, one guaranteed and arriving late) on a harvested pool following the Alibaba
 * 2018 CPU curve, placed in Dominant Resource Fairness order and in arrival order through the
 * broker's placement engine. Progress lines first; the last line is one JSON object.
 */
@Command(
    name = "fairness",
    mixinStandardHelpOptions = true,
    description =
        "Team shares, Jain's index, guarantee and allocation: DRF order vs FIFO; last line is JSON.")
public final class FairnessBench implements Callable<Integer> {
  @Option(names = "--quick", description = "A small pool for 4 simulated hours (seconds).")
  boolean quick;

  @Option(
      names = "--hours",
      description = "Simulated hours of each run (default: 24, or 4 with --quick).")
  Integer hours;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Seed of the node loads and pod streams (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--seeds",
      defaultValue = "3",
      description =
          "Seeds on which the allocation (harvested / offered core-hours) is compared with and"
              + " without fairness, side by side: --seed and the next ones, each run in DRF order"
              + " and in FIFO order (default ${DEFAULT-VALUE}).")
  int seeds;

  @Override
  public Integer call() {
    FairnessBenchEngine.Options o =
        quick ? FairnessBenchEngine.Options.quick() : FairnessBenchEngine.Options.defaults();
    o = o.withSeed(seed);
    if (hours != null) {
      o = o.withDuration(Duration.ofHours(hours));
    }
    PlacementBenchEngine.quietLogs();
    Map<String, Object> result = new FairnessBenchEngine(System.out).run(o, seeds);
    System.out.println(PlacementBenchEngine.json(result));
    return 0;
  }
}
