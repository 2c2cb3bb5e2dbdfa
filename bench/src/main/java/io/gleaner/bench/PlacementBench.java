package io.gleaner.bench;

import io.gleaner.bench.placement.PlacementBenchEngine;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gleaner bench placement}: Gleaner's per-node placement against an aggregate-capacity
 * baseline on generated fragmented federations (100x100 and 1000x100 nodes) and on the openb GPU
 * trace, plus durable reservations through ZooKeeper. Progress lines first; the last line is one
 * JSON object.
 */
@Command(
    name = "placement",
    mixinStandardHelpOptions = true,
    description =
        "Placement decision latency and quality vs an aggregate-capacity baseline; last line is JSON.")
public final class PlacementBench implements Callable<Integer> {
  @Option(names = "--quick", description = "A tiny federation only (seconds; for smoke tests).")
  boolean quick;

  @Option(names = "--no-zk", description = "Skip the durable ZooKeeper reservation run.")
  boolean noZk;

  @Option(names = "--no-openb", description = "Skip the openb trace.")
  boolean noOpenb;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Seed of the generated federations (default ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() {
    PlacementBenchEngine.Options o =
        quick ? PlacementBenchEngine.Options.quick() : PlacementBenchEngine.Options.defaults();
    o = o.withSeed(seed);
    if (noZk) {
      o = o.withZooKeeper(0, 0);
    }
    if (noOpenb) {
      o = o.withOpenb(false);
    }
    PlacementBenchEngine.quietLogs();
    Map<String, Object> result = new PlacementBenchEngine(System.out).run(o);
    System.out.println(PlacementBenchEngine.json(result));
    return 0;
  }
}
