package io.gleaner.cli;

import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.ClusterCapacity;
import io.gleaner.api.v1.TeamShare;
import io.gleaner.meta.resources.Quantities;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gleaner capacity}: asks a running broker for its capacity and prints it by cluster, source
 * and class.
 */
@Command(
    name = "capacity",
    mixinStandardHelpOptions = true,
    description = "Prints a running broker's capacity by cluster, source and class.")
public final class CapacityCommand implements Callable<Integer> {

  @Option(
      names = "--broker",
      defaultValue = "127.0.0.1:9090",
      description = "Broker gRPC address host:port (default: ${DEFAULT-VALUE}).")
  String broker;

  @Option(
      names = "--timeout",
      defaultValue = "5",
      description = "Deadline in seconds (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Option(
      names = "--ca-file",
      description = "PEM CA bundle of the broker's TLS certificate (default: plaintext).")
  String caFile;

  @Option(names = "--cert-file", description = "Client certificate (PEM) for mutual TLS.")
  String certFile;

  @Option(names = "--key-file", description = "Client private key (PEM) for mutual TLS.")
  String keyFile;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ChannelSettings settings;
    try {
      settings =
          ChannelSettings.plaintext(broker, "gleaner-capacity")
              .withCallDeadline(Duration.ofSeconds(timeoutSeconds))
              .withTls(caFile, certFile, keyFile);
    } catch (IllegalArgumentException e) {
      err.printf("gleaner capacity: %s%n", e.getMessage());
      err.flush();
      return 2;
    }
    BrokerApiClient client = BrokerApiClient.open(settings, new SimpleMeterRegistry());
    try {
      Capacity c = client.capacity();
      out.print(render(c));
      out.flush();
      return 0;
    } catch (StatusRuntimeException e) {
      err.printf(
          "gleaner capacity: broker %s: %s%n",
          broker, e.getStatus().getCode() + " " + e.getStatus().getDescription());
      err.flush();
      return 1;
    } finally {
      client.close();
    }
  }

  /** The table: one row per cluster and source, then the totals and what each class may use. */
  static String render(Capacity c) {
    StringBuilder sb = new StringBuilder();
    String row = "%-22s %-11s %-8s %6s %12s %10s %11s %13s %9s%n";
    sb.append(
        String.format(
            row,
            "CLUSTER",
            "SOURCE",
            "HEALTHY",
            "NODES",
            "OFFERED CPU",
            "FREE CPU",
            "PLACED CPU",
            "FREE MEM GiB",
            "FREE GPU"));
    List<ClusterCapacity> rows =
        c.getClustersList().stream()
            .sorted(
                Comparator.comparing(ClusterCapacity::getCluster)
                    .thenComparing(r -> r.getSource().name()))
            .toList();
    for (ClusterCapacity r : rows) {
      sb.append(
          String.format(
              row,
              r.getCluster(),
              r.getSource().name(),
              r.getHealthy() ? "yes" : "NO",
              r.getNodes(),
              cores(r.getOfferedMap()),
              cores(r.getFreeMap()),
              cores(r.getPlacedMap()),
              gib(r.getFreeMap()),
              get(r.getFreeMap(), "nvidia.com/gpu")));
    }
    sb.append(System.lineSeparator());
    String kv = "%-22s cpu=%-9s memory=%-12s gpu=%s%n";
    sb.append(
        String.format(
            kv,
            "offered",
            cores(c.getOfferedMap()),
            gib(c.getOfferedMap()) + "Gi",
            get(c.getOfferedMap(), "nvidia.com/gpu")));
    sb.append(
        String.format(
            kv,
            "reserved",
            cores(c.getReservedMap()),
            gib(c.getReservedMap()) + "Gi",
            get(c.getReservedMap(), "nvidia.com/gpu")));
    sb.append(
        String.format(
            kv,
            "placed",
            cores(c.getPlacedMap()),
            gib(c.getPlacedMap()) + "Gi",
            get(c.getPlacedMap(), "nvidia.com/gpu")));
    sb.append(
        String.format(
            kv,
            "advertised near-line",
            cores(c.getAdvertisedNearLineMap()),
            gib(c.getAdvertisedNearLineMap()) + "Gi",
            get(c.getAdvertisedNearLineMap(), "nvidia.com/gpu")));
    sb.append(
        String.format(
            kv,
            "advertised offline",
            cores(c.getAdvertisedOfflineMap()),
            gib(c.getAdvertisedOfflineMap()) + "Gi",
            get(c.getAdvertisedOfflineMap(), "nvidia.com/gpu")));
    sb.append(
        String.format(
            kv,
            "largest pod shape",
            cores(c.getLargestShapeMap()),
            gib(c.getLargestShapeMap()) + "Gi",
            get(c.getLargestShapeMap(), "nvidia.com/gpu")));
    if (!c.getPlacementsByClassMap().isEmpty()) {
      sb.append(String.format("%-22s %s%n", "placements by class", c.getPlacementsByClassMap()));
    }
    if (!c.getPlacementsBySourceMap().isEmpty()) {
      sb.append(String.format("%-22s %s%n", "placements by source", c.getPlacementsBySourceMap()));
    }
    if (c.getTeamsCount() > 0) {
      sb.append(System.lineSeparator());
      String team = "%-22s %6s %10s %12s %12s %9s %9s %12s%n";
      sb.append(
          String.format(
              team,
              "TEAM",
              "WEIGHT",
              "FAIR SHARE",
              "ACTUAL SHARE",
              "PENDING PODS",
              "CPU HELD",
              "CPU GUAR.",
              "CORE-HOURS"));
      for (TeamShare t : c.getTeamsList()) {
        sb.append(
            String.format(
                java.util.Locale.ROOT,
                team,
                t.getTeam(),
                String.format(java.util.Locale.ROOT, "%.3g", t.getWeight()),
                String.format(java.util.Locale.ROOT, "%.1f%%", 100 * t.getFairShare()),
                String.format(java.util.Locale.ROOT, "%.1f%%", 100 * t.getActualShare()),
                t.getPendingPods(),
                cores(t.getHeldMap()),
                t.getGuaranteeMap().containsKey("cpu") ? cores(t.getGuaranteeMap()) : "-",
                String.format(java.util.Locale.ROOT, "%.1f", t.getCoreHours())));
      }
    }
    return sb.toString();
  }

  /** CPU in cores, one decimal: {@code 13.6}. */
  private static String cores(Map<String, String> m) {
    String q = m.get("cpu");
    return q == null
        ? "0"
        : String.format(
            java.util.Locale.ROOT, "%.1f", Quantities.parseCanonical("cpu", q) / 1000.0);
  }

  /** Memory in GiB, one decimal: {@code 58.8}. */
  private static String gib(Map<String, String> m) {
    String q = m.get("memory");
    return q == null
        ? "0"
        : String.format(
            java.util.Locale.ROOT,
            "%.1f",
            Quantities.parseCanonical("memory", q) / (double) (1L << 30));
  }

  private static String get(Map<String, String> m, String key) {
    return m.getOrDefault(key, "0");
  }
}
