package io.gleaner.sandbox.cli;

import io.gleaner.broker.v1.BrokerGrpc;
import io.gleaner.broker.v1.Capacity;
import io.gleaner.broker.v1.CapacityRequest;
import io.gleaner.broker.v1.ClusterCapacity;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gleaner capacity}: asks a running broker for its capacity and prints it by cluster, source and class. */
@Command(
    name = "capacity",
    mixinStandardHelpOptions = true,
    description = "Prints a running broker's capacity by cluster, source and class.")
public final class CapacityCommand implements Callable<Integer> {

  @Option(names = "--broker", defaultValue = "127.0.0.1:9090", description = "Broker gRPC address host:port (default: ${DEFAULT-VALUE}).")
  String broker;

  @Option(names = "--timeout", defaultValue = "5", description = "Deadline in seconds (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ManagedChannel channel = ManagedChannelBuilder.forTarget(broker).usePlaintext().build();
    try {
      Capacity c =
          BrokerGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS)
              .getCapacity(CapacityRequest.getDefaultInstance());
      out.print(render(c));
      out.flush();
      return 0;
    } catch (StatusRuntimeException e) {
      err.printf("gleaner capacity: broker %s: %s%n", broker, e.getStatus().getCode() + " " + e.getStatus().getDescription());
      err.flush();
      return 1;
    } finally {
      channel.shutdownNow();
    }
  }

  /** The table: one row per cluster and source, then the totals and what each class may use. */
  static String render(Capacity c) {
    StringBuilder sb = new StringBuilder();
    String row = "%-22s %-11s %-8s %6s %12s %12s %12s %12s %8s%n";
    sb.append(String.format(row, "CLUSTER", "SOURCE", "HEALTHY", "NODES", "OFFERED CPU", "FREE CPU", "PLACED CPU", "FREE MEM", "GPU"));
    List<ClusterCapacity> rows =
        c.getClustersList().stream()
            .sorted(Comparator.comparing(ClusterCapacity::getCluster).thenComparing(r -> r.getSource().name()))
            .toList();
    for (ClusterCapacity r : rows) {
      sb.append(
          String.format(
              row,
              r.getCluster(),
              r.getSource().name(),
              r.getHealthy() ? "yes" : "NO",
              r.getNodes(),
              get(r.getOfferedMap(), "cpu"),
              get(r.getFreeMap(), "cpu"),
              get(r.getPlacedMap(), "cpu"),
              get(r.getFreeMap(), "memory"),
              get(r.getFreeMap(), "nvidia.com/gpu")));
    }
    sb.append(System.lineSeparator());
    String kv = "%-22s cpu=%-10s memory=%-10s gpu=%s%n";
    sb.append(String.format(kv, "offered", get(c.getOfferedMap(), "cpu"), get(c.getOfferedMap(), "memory"), get(c.getOfferedMap(), "nvidia.com/gpu")));
    sb.append(String.format(kv, "reserved", get(c.getReservedMap(), "cpu"), get(c.getReservedMap(), "memory"), get(c.getReservedMap(), "nvidia.com/gpu")));
    sb.append(String.format(kv, "placed", get(c.getPlacedMap(), "cpu"), get(c.getPlacedMap(), "memory"), get(c.getPlacedMap(), "nvidia.com/gpu")));
    sb.append(String.format(kv, "advertised near-line", get(c.getAdvertisedNearLineMap(), "cpu"), get(c.getAdvertisedNearLineMap(), "memory"), get(c.getAdvertisedNearLineMap(), "nvidia.com/gpu")));
    sb.append(String.format(kv, "advertised offline", get(c.getAdvertisedOfflineMap(), "cpu"), get(c.getAdvertisedOfflineMap(), "memory"), get(c.getAdvertisedOfflineMap(), "nvidia.com/gpu")));
    sb.append(String.format(kv, "largest pod shape", get(c.getLargestShapeMap(), "cpu"), get(c.getLargestShapeMap(), "memory"), get(c.getLargestShapeMap(), "nvidia.com/gpu")));
    if (!c.getPlacementsByClassMap().isEmpty()) {
      sb.append(String.format("%-22s %s%n", "placements by class", c.getPlacementsByClassMap()));
    }
    if (!c.getPlacementsBySourceMap().isEmpty()) {
      sb.append(String.format("%-22s %s%n", "placements by source", c.getPlacementsBySourceMap()));
    }
    return sb.toString();
  }

  private static String get(Map<String, String> m, String key) {
    return m.getOrDefault(key, "0");
  }
}
