package io.gleaner.sandbox.vitals;

import com.sun.management.UnixOperatingSystemMXBean;
import io.gleaner.sandbox.install.ServiceProcesses;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Reads every service process's vitals from its {@code /metrics}, as Prometheus would, and the
 * sandbox's own JVM (the simulated clusters and ZooKeeper) from its MXBeans, for the soak report.
 * {@link #sample()} is called on a schedule by its owner; readings are kept per process name.
 */
public final class VitalsRecorder {
  /** The name the sandbox's own process is reported under. */
  public static final String SANDBOX = "sandbox (simulated clusters, ZooKeeper)";

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private final Supplier<List<ServiceProcesses.Replica>> replicas;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  private final long startNanos = System.nanoTime();
  private final Map<String, List<ProcessVitals>> readings = new TreeMap<>();

  public VitalsRecorder(Supplier<List<ServiceProcesses.Replica>> replicas) {
    this.replicas = replicas;
  }

  /** Takes one reading of every process that answers. */
  public void sample() {
    double at = (System.nanoTime() - startNanos) / 1e9;
    for (ServiceProcesses.Replica r : replicas.get()) {
      Integer port = r.ports().get("http");
      if (port == null || !r.isAlive()) {
        continue;
      }
      scrape(port).flatMap(text -> ProcessVitals.parse(at, text)).ifPresent(v -> add(r.name(), v));
    }
    add(SANDBOX, own(at));
  }

  /** Per process, its report with the first quarter of the recording left out as warm-up. */
  public synchronized Map<String, VitalsReport> reports() {
    double warmup = (System.nanoTime() - startNanos) / 1e9 / 4;
    Map<String, VitalsReport> out = new TreeMap<>();
    readings.forEach((name, list) -> out.put(name, VitalsReport.of(list, warmup)));
    return out;
  }

  private synchronized void add(String name, ProcessVitals v) {
    readings.computeIfAbsent(name, k -> new ArrayList<>()).add(v);
  }

  private java.util.Optional<String> scrape(int port) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                  .timeout(TIMEOUT)
                  .build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return r.statusCode() == 200 ? java.util.Optional.of(r.body()) : java.util.Optional.empty();
    } catch (IOException e) {
      return java.util.Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    }
  }

  private static ProcessVitals own(double at) {
    double heap =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .mapToDouble(p -> p.getUsage().getUsed())
            .sum();
    double files =
        ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean u
            ? u.getOpenFileDescriptorCount()
            : -1;
    return new ProcessVitals(at, heap, ManagementFactory.getThreadMXBean().getThreadCount(), files);
  }
}
