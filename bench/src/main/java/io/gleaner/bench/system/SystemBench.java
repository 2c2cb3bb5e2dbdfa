package io.gleaner.bench.system;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.time.Durations;
import io.gleaner.sandbox.Sandbox;
import io.gleaner.sandbox.SandboxOptions;
import io.gleaner.sandbox.install.ServiceProcesses;
import io.gleaner.sandbox.scenario.ScenarioDriver;
import io.gleaner.sandbox.vitals.ProcessVitals;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gleaner bench system}: the whole system, not each component alone, at scale. The sandbox
 * installs the charts on a simulated federation of {@code --members} members of {@code --nodes}
 * nodes each and runs every replica of every rendered Deployment as its own process, as installed
 * (broker, idle-detector, descheduler, two virtual-kubelets); then offline pods are submitted to
 * the metadata cluster, at most {@code --window} of them waiting at a time, until {@code --pods}
 * run in members; then a steady phase. Measured per process: CPU seconds from {@code /proc} over
 * the backlog and the steady phase, heap used after a full GC ({@code jcmd GC.run}, then its {@code
 * /metrics}) against its maximum, live threads; placement throughput and the time to reach the
 * target. The last line is one JSON object.
 */
@Command(
    name = "system",
    mixinStandardHelpOptions = true,
    description =
        "The four services as installed (one process per replica) on a simulated federation at"
            + " scale: CPU and heap of each while a backlog of offline pods is placed, then steady.")
public final class SystemBench implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String NAMESPACE = "bench";

  @Option(names = "--members", description = "Member clusters (default ${DEFAULT-VALUE}).")
  int members = 100;

  @Option(names = "--nodes", description = "Nodes per member (default ${DEFAULT-VALUE}).")
  int nodes = 100;

  @Option(
      names = "--pods",
      description = "Gleaner pods to have running in members (default ${DEFAULT-VALUE}).")
  int pods = 20_000;

  @Option(
      names = "--window",
      description =
          "At most this many submitted pods not yet running or failed at a time; keep it under"
              + " the placement rate times placement.pendingTimeout (10 min), or pods bound to the"
              + " virtual node fail NoMemberFit while they wait (default ${DEFAULT-VALUE}).")
  int window = 500;

  @Option(
      names = "--node-shape",
      description = "CPU,memory of every member node (default ${DEFAULT-VALUE}).")
  String nodeShape = "8,32Gi";

  @Option(
      names = "--pod-shape",
      description = "CPU,memory each pod requests (default ${DEFAULT-VALUE}).")
  String podShape = "1,2Gi";

  @Option(
      names = "--service-memory",
      description =
          "Memory limit of every service container, so its heap is 3/4 of it (default"
              + " ${DEFAULT-VALUE}); the chart's own limits are reported beside the heaps.")
  String serviceMemory = "3Gi";

  @Option(
      names = "--steady",
      description = "How long the steady phase lasts after the target (default ${DEFAULT-VALUE}).")
  String steady = "120s";

  @Option(
      names = "--timeout",
      description =
          "Give up the backlog after this long and report what was reached (default ${DEFAULT-VALUE}).")
  String timeout = "25m";

  @Option(
      names = "--idle-after",
      description =
          "GleanerPolicy idleAfter: online members' empty nodes are lent after it (default ${DEFAULT-VALUE}).")
  String idleAfter = "1m";

  @Option(
      names = "--services-log",
      description = "Where the services' output goes (default ${DEFAULT-VALUE}).")
  Path servicesLog = Path.of("system-bench-services.log");

  /** One process's CPU readings at the phase boundaries. */
  private final Map<String, double[]> cpu = new TreeMap<>();

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    Duration steadyFor = Durations.parse(steady);
    Duration giveUp = Durations.parse(timeout);
    String[] node = nodeShape.split(",");
    String[] pod = podShape.split(",");
    Path dir = Files.createTempDirectory("gleaner-system-bench-");
    SandboxOptions d = SandboxOptions.defaults(dir.resolve("kubeconfigs"));
    SandboxOptions options =
        new SandboxOptions(
            1,
            d.simulatedStart(),
            1,
            0,
            0,
            d.kubeconfigDir(),
            0,
            0,
            Durations.parse(idleAfter),
            d.submitEvery(),
            d.gangEvery(),
            d.seed(),
            false,
            false,
            0);
    Map<String, Long> chartLimits = new TreeMap<>();
    Quantity limit = new Quantity(serviceMemory);
    try (OutputStream logFile = Files.newOutputStream(servicesLog);
        PrintStream services = new PrintStream(logFile, true);
        Sandbox sandbox =
            new Sandbox(
                options,
                step -> log(t0, step),
                objects -> withMemoryLimit(objects, limit, chartLimits),
                services)) {
      sandbox.withMembers(memberSpecs(node[0], node[1]));
      sandbox.install();
      double setupSeconds = (System.nanoTime() - t0) / 1e9;
      log(t0, String.format(Locale.ROOT, "installed in %.0f s; submitting", setupSeconds));
      KubernetesClient meta = sandbox.federation().meta().client();
      meta.namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
          .create();
      Fates fates = new Fates();
      SharedIndexInformer<Pod> informer = meta.pods().inNamespace(NAMESPACE).inform(fates, 0);
      try {
        List<ServiceProcesses.Replica> replicas = sandbox.processes().replicas();
        readCpu(replicas, 0);
        long start = System.nanoTime();
        PlacementProgress progress = new PlacementProgress();
        long created = 0;
        long lastLine = 0;
        long deadline = start + giveUp.toNanos();
        while (System.nanoTime() < deadline) {
          long running = fates.running();
          long failed = fates.failed();
          double at = (System.nanoTime() - start) / 1e9;
          progress.record(at, running);
          if (running >= pods) {
            break;
          }
          long room = Math.min(window - (created - running - failed), pods - (created - failed));
          for (long i = 0; i < Math.min(room, 200); i++) {
            meta.pods().inNamespace(NAMESPACE).resource(pod(created, pod[0], pod[1])).create();
            created++;
          }
          if (System.nanoTime() - lastLine > TimeUnit.SECONDS.toNanos(15)) {
            lastLine = System.nanoTime();
            log(
                t0,
                String.format(
                    Locale.ROOT,
                    "submitted %d, running in members %d, failed %d (%.1f pods/s so far)",
                    created,
                    running,
                    failed,
                    progress.averageRate(pods)));
          }
          Thread.sleep(500);
        }
        double backlogSeconds = (System.nanoTime() - start) / 1e9;
        readCpu(replicas, 1);
        long reached = fates.running();
        log(
            t0,
            String.format(
                Locale.ROOT,
                "%d pods running in members after %.0f s; steady for %s",
                reached,
                backlogSeconds,
                steady));
        Thread.sleep(steadyFor.toMillis());
        readCpu(replicas, 2);
        double steadySeconds = steadyFor.toMillis() / 1e3;

        ObjectNode out = JSON.createObjectNode();
        out.put("bench", "system");
        out.put("members", members);
        out.put("nodes_per_member", nodes);
        out.put("nodes", members * nodes);
        out.put("node_shape", nodeShape);
        out.put("pod_shape", podShape);
        out.put("pods_target", pods);
        out.put("pods_running_at_end_of_backlog", reached);
        out.put("pods_running_at_end", fates.running());
        out.put("pods_submitted", created);
        out.put("pods_failed", fates.failed());
        out.set("failed_by_reason", JSON.valueToTree(fates.failedByReason()));
        out.put("reached_target", reached >= pods);
        out.put("setup_seconds", round(setupSeconds));
        out.put("seconds_to_target", round(progress.secondsTo(pods)));
        out.put("backlog_seconds", round(backlogSeconds));
        out.put("placement_pods_per_second", round(progress.averageRate(pods)));
        out.put("placement_peak_pods_per_second_30s", round(progress.peakRate(30)));
        out.put("steady_seconds", round(steadySeconds));
        out.put("service_memory_limit", serviceMemory);
        ObjectNode processes = out.putObject("processes");
        for (ServiceProcesses.Replica r : replicas) {
          ObjectNode p = processes.putObject(r.name());
          cpuFigures(p, r.name(), backlogSeconds, steadySeconds);
          heapAfterGc(r)
              .ifPresent(
                  v -> {
                    p.put("heap_after_gc_mib", round(v.heapUsedBytes() / (1 << 20)));
                    p.put("threads", (long) v.liveThreads());
                    p.put("open_files", (long) v.openFiles());
                  });
          p.put("heap_max_mib", xmxMb(r));
          String component = r.name().substring(0, r.name().lastIndexOf('-'));
          if (chartLimits.containsKey(component)) {
            p.put("chart_memory_limit_mib", chartLimits.get(component));
            p.put("chart_heap_mib", chartLimits.get(component) * 3 / 4);
          }
          p.put("restarts", r.restarts());
        }
        ObjectNode own = processes.putObject("sandbox (simulated clusters, ZooKeeper)");
        cpuFigures(own, "sandbox", backlogSeconds, steadySeconds);
        System.gc();
        own.put(
            "heap_after_gc_mib",
            round(
                ManagementFactory.getMemoryPoolMXBeans().stream()
                        .filter(m -> m.getType() == MemoryType.HEAP)
                        .mapToDouble(m -> m.getUsage().getUsed())
                        .sum()
                    / (1 << 20)));
        own.put("heap_max_mib", Runtime.getRuntime().maxMemory() >> 20);
        own.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        System.out.println(JSON.writeValueAsString(out));
        System.out.flush();
        return reached >= pods ? 0 : 1;
      } finally {
        informer.close();
      }
    }
  }

  /** 60 % online members (no online load: every node lent after idleAfter), 20 % each other. */
  private List<MemberSpec> memberSpecs(String cpu, String memory) {
    List<MemberSpec> out = new ArrayList<>();
    for (int m = 0; m < members; m++) {
      MemberRole role =
          m % 5 < 3 ? MemberRole.ONLINE : m % 5 == 3 ? MemberRole.TRAINING : MemberRole.COLOCATION;
      String prefix =
          role == MemberRole.ONLINE ? "online" : role == MemberRole.TRAINING ? "train" : "coloc";
      out.add(
          MemberSpec.of(prefix + "-" + m, role, NodeShape.of(nodes, cpu, memory))
              .withZone("zone-" + (char) ('a' + m % 3), "region-1"));
    }
    return out;
  }

  /**
   * Every Deployment's container limited (and requesting) {@code limit}; the chart's limits kept.
   */
  static List<HasMetadata> withMemoryLimit(
      List<HasMetadata> objects, Quantity limit, Map<String, Long> chartLimits) {
    for (HasMetadata o : objects) {
      if (o instanceof Deployment dep) {
        for (var c : dep.getSpec().getTemplate().getSpec().getContainers()) {
          var res = c.getResources();
          if (res != null && res.getLimits() != null && res.getLimits().containsKey("memory")) {
            chartLimits.put(
                c.getName(),
                Quantity.getAmountInBytes(res.getLimits().get("memory")).longValue() >> 20);
          }
          if (res == null) {
            res = new io.fabric8.kubernetes.api.model.ResourceRequirements();
            c.setResources(res);
          }
          Map<String, Quantity> limits =
              new LinkedHashMap<>(res.getLimits() == null ? Map.of() : res.getLimits());
          limits.put("memory", limit);
          res.setLimits(limits);
          Map<String, Quantity> requests =
              new LinkedHashMap<>(res.getRequests() == null ? Map.of() : res.getRequests());
          requests.put("memory", limit);
          res.setRequests(requests);
        }
      }
    }
    return objects;
  }

  private static Pod pod(long i, String cpu, String memory) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(String.format(Locale.ROOT, "bench-%06d", i))
        .withNamespace(NAMESPACE)
        .addToLabels(GleanerKeys.CLASS, "offline")
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withNodeSelector(Map.of("type", "virtual-kubelet"))
        .withTolerations(ScenarioDriver.virtualNodeTolerations())
        .addNewContainer()
        .withName("work")
        .withImage("registry.example.com/batch/worker:1.0")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .addToRequests("memory", new Quantity(memory))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  /** Metadata pods of the bench by phase, from an informer. */
  static final class Fates implements ResourceEventHandler<Pod> {
    private final Map<String, String> phase = new ConcurrentHashMap<>();
    private final Map<String, String> reason = new ConcurrentHashMap<>();

    @Override
    public void onAdd(Pod p) {
      record(p);
    }

    @Override
    public void onUpdate(Pod old, Pod p) {
      record(p);
    }

    @Override
    public void onDelete(Pod p, boolean unknown) {
      phase.remove(p.getMetadata().getUid());
    }

    private void record(Pod p) {
      String uid = p.getMetadata().getUid();
      String ph = p.getStatus() == null ? null : p.getStatus().getPhase();
      phase.put(uid, ph == null ? "" : ph);
      if ("Failed".equals(ph)) {
        String r = p.getStatus().getReason();
        reason.put(uid, r == null ? "(none)" : r);
      }
    }

    long running() {
      return phase.values().stream().filter("Running"::equals).count();
    }

    long failed() {
      return phase.values().stream().filter("Failed"::equals).count();
    }

    Map<String, Long> failedByReason() {
      Map<String, Long> out = new TreeMap<>();
      reason.values().forEach(r -> out.merge(r, 1L, Long::sum));
      return out;
    }
  }

  private void readCpu(List<ServiceProcesses.Replica> replicas, int at) {
    for (ServiceProcesses.Replica r : replicas) {
      cpu.computeIfAbsent(r.name(), k -> new double[] {-1, -1, -1})[at] =
          ProcStat.cpuSeconds(r.pid()).orElse(-1);
    }
    cpu.computeIfAbsent("sandbox", k -> new double[] {-1, -1, -1})[at] =
        ProcStat.cpuSeconds(ProcessHandle.current().pid()).orElse(-1);
  }

  private void cpuFigures(ObjectNode p, String name, double backlogSeconds, double steadySeconds) {
    double[] c = cpu.get(name);
    if (c == null || c[0] < 0 || c[1] < 0 || c[2] < 0) {
      p.put("cpu", "not read (process restarted or not on Linux)");
      return;
    }
    p.put("cpu_seconds_backlog", round(c[1] - c[0]));
    p.put("avg_cores_backlog", round3((c[1] - c[0]) / Math.max(1e-9, backlogSeconds)));
    p.put("cpu_seconds_steady", round(c[2] - c[1]));
    p.put("avg_cores_steady", round3((c[2] - c[1]) / Math.max(1e-9, steadySeconds)));
  }

  /** Runs a full GC in the process ({@code jcmd <pid> GC.run}), then reads its /metrics. */
  private static java.util.Optional<ProcessVitals> heapAfterGc(ServiceProcesses.Replica r) {
    if (!r.isAlive()) {
      return java.util.Optional.empty();
    }
    try {
      Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
      Process gc =
          new ProcessBuilder(
                  Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd",
                  Long.toString(r.pid()),
                  "GC.run")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      gc.waitFor(60, TimeUnit.SECONDS);
      Integer port = r.ports().get("http");
      HttpResponse<String> m =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return ProcessVitals.parse(0, m.body());
    } catch (IOException e) {
      return java.util.Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    }
  }

  /** The -Xmx the sandbox gave the replica, in MiB, or -1. */
  private static long xmxMb(ServiceProcesses.Replica r) {
    for (String a : r.command()) {
      if (a.startsWith("-Xmx") && a.endsWith("m")) {
        return Long.parseLong(a.substring(4, a.length() - 1));
      }
    }
    return -1;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static void log(long t0, String line) {
    System.out.printf(Locale.ROOT, "[%6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, line);
    System.out.flush();
  }
}
