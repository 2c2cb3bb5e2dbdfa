package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.ContainerMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.vk.pod.MemberClusters;
import io.gleaner.vk.pod.PodController;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the kubelet API from the pod controller's informer caches and the members' {@code
 * metrics.k8s.io}. Usage is reported under the metadata pods' names; a member that does not answer
 * is skipped (its pods show no usage). Members report CPU as a rate, so the cumulative CPU counters
 * the kubelet API carries are integrated here from successive samples: keep one instance per pod
 * controller for them to grow.
 */
public final class ControllerKubeletBackend implements KubeletBackend {
  private static final Logger log = LoggerFactory.getLogger(ControllerKubeletBackend.class);
  private final PodController controller;
  private final MemberClusters members;
  private final String nodeName;
  private final String instance;
  private final Clock clock;
  private final String startTime;

  public ControllerKubeletBackend(
      PodController controller,
      MemberClusters members,
      String nodeName,
      String instance,
      Clock clock) {
    this.controller = controller;
    this.members = members;
    this.nodeName = nodeName;
    this.instance = instance;
    this.clock = clock;
    this.startTime = clock.instant().toString();
  }

  @Override
  public Collection<Pod> pods() {
    return controller.metaPods();
  }

  @Override
  public Optional<Target> resolve(String namespace, String pod) {
    return controller
        .memberOf(namespace, pod)
        .flatMap(
            ref ->
                members
                    .client(ref.cluster())
                    .map(c -> new Target(ref.cluster(), c, ref.namespace(), ref.name())));
  }

  /**
   * Usage of one metadata pod, from its member pod's metrics; CPU counters integrated by this
   * backend.
   */
  record PodUsage(
      String namespace,
      String name,
      String uid,
      String startTime,
      long cpuNanoCores,
      long memoryBytes,
      double cpuSeconds,
      List<ContainerUsage> containers) {}

  /** One reading of every pod's usage and the node's cumulative CPU seconds. */
  record Snapshot(List<PodUsage> pods, double nodeCpuSeconds) {}

  /** Usage of one container; {@code cpuSeconds} is cumulative (monotonic while the pod lives). */
  record ContainerUsage(
      String name, String startTime, long cpuNanoCores, long memoryBytes, double cpuSeconds) {}

  /**
   * A cumulative CPU counter built from instantaneous usage samples (members only report a rate).
   */
  private static final class CpuCounter {
    long lastMillis;
    double seconds;

    double add(long nanoCores, long nowMillis) {
      if (lastMillis != 0 && nowMillis > lastMillis) {
        seconds += nanoCores / 1e9 * (nowMillis - lastMillis) / 1000.0;
      }
      lastMillis = nowMillis;
      return seconds;
    }
  }

  private final Map<String, CpuCounter> containerCpu = new HashMap<>();
  private final CpuCounter nodeCpu = new CpuCounter();

  private record Sample(Pod metaPod, PodMetrics metrics) {}

  /**
   * Reads every healthy member's pod metrics of this installation; a member that fails is skipped.
   */
  private List<Sample> sample() {
    Map<String, Pod> byUid = new HashMap<>();
    for (Pod p : controller.metaPods()) {
      byUid.put(p.getMetadata().getUid(), p);
    }
    List<Sample> out = new ArrayList<>();
    for (String cluster : members.names()) {
      Optional<KubernetesClient> client = members.client(cluster);
      if (client.isEmpty() || !members.isHealthy(cluster)) {
        continue;
      }
      List<PodMetrics> metrics;
      try {
        metrics =
            client
                .get()
                .top()
                .pods()
                .withLabels(Map.of(GleanerKeys.MANAGED, "true", GleanerKeys.INSTANCE, instance))
                .metrics()
                .getItems();
      } catch (RuntimeException e) {
        log.debug("member cluster {}: no pod metrics: {}", cluster, e.toString());
        continue;
      }
      for (PodMetrics pm : metrics) {
        Map<String, String> labels = pm.getMetadata().getLabels();
        Pod metaPod = labels == null ? null : byUid.get(labels.get(GleanerKeys.META_UID));
        if (metaPod != null) {
          out.add(new Sample(metaPod, pm));
        }
      }
    }
    return out;
  }

  /**
   * Usage per metadata pod; advances the CPU counters. Members are read outside the lock, counters
   * under it.
   */
  Snapshot usage() {
    List<Sample> samples = sample();
    synchronized (containerCpu) {
      return integrate(samples);
    }
  }

  private Snapshot integrate(List<Sample> samples) {
    long now = clock.millis();
    String nowText = clock.instant().toString();
    List<PodUsage> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    long nodeNanoCores = 0;
    for (Sample s : samples) {
      Pod metaPod = s.metaPod();
      String uid = metaPod.getMetadata().getUid();
      String podStart =
          metaPod.getStatus() == null || metaPod.getStatus().getStartTime() == null
              ? nowText
              : metaPod.getStatus().getStartTime();
      long cpu = 0;
      long mem = 0;
      double cpuSeconds = 0;
      List<ContainerUsage> containers = new ArrayList<>();
      for (ContainerMetrics cm : s.metrics().getContainers()) {
        Map<String, io.fabric8.kubernetes.api.model.Quantity> u =
            cm.getUsage() == null ? Map.of() : cm.getUsage();
        long c =
            u.get("cpu") == null
                ? 0
                : Quantities.parse(u.get("cpu").toString()).movePointRight(9).longValue();
        long m =
            u.get("memory") == null ? 0 : Quantities.parse(u.get("memory").toString()).longValue();
        String key = uid + "/" + cm.getName();
        seen.add(key);
        double secs = containerCpu.computeIfAbsent(key, k -> new CpuCounter()).add(c, now);
        cpu += c;
        mem += m;
        cpuSeconds += secs;
        containers.add(
            new ContainerUsage(
                cm.getName(), containerStart(metaPod, cm.getName(), podStart), c, m, secs));
      }
      nodeNanoCores += cpu;
      out.add(
          new PodUsage(
              metaPod.getMetadata().getNamespace(),
              metaPod.getMetadata().getName(),
              uid,
              podStart,
              cpu,
              mem,
              cpuSeconds,
              containers));
    }
    containerCpu.keySet().retainAll(seen);
    return new Snapshot(out, nodeCpu.add(nodeNanoCores, now));
  }

  private static String containerStart(Pod metaPod, String container, String fallback) {
    if (metaPod.getStatus() == null || metaPod.getStatus().getContainerStatuses() == null) {
      return fallback;
    }
    return metaPod.getStatus().getContainerStatuses().stream()
        .filter(
            cs ->
                container.equals(cs.getName())
                    && cs.getState() != null
                    && cs.getState().getRunning() != null
                    && cs.getState().getRunning().getStartedAt() != null)
        .map(cs -> cs.getState().getRunning().getStartedAt())
        .findFirst()
        .orElse(fallback);
  }

  private static Map<String, Object> cpu(String time, long nanoCores, double seconds) {
    return Map.of(
        "time", time, "usageNanoCores", nanoCores, "usageCoreNanoSeconds", (long) (seconds * 1e9));
  }

  private static Map<String, Object> memory(String time, long bytes) {
    return Map.of("time", time, "workingSetBytes", bytes, "usageBytes", bytes);
  }

  @Override
  public Map<String, Object> statsSummary() {
    Snapshot snapshot = usage();
    List<PodUsage> usage = snapshot.pods();
    String now = clock.instant().toString();
    long cpu = 0;
    long mem = 0;
    List<Object> pods = new ArrayList<>();
    for (PodUsage u : usage) {
      cpu += u.cpuNanoCores();
      mem += u.memoryBytes();
      List<Object> containers = new ArrayList<>();
      for (ContainerUsage c : u.containers()) {
        containers.add(
            Map.of(
                "name",
                c.name(),
                "startTime",
                c.startTime(),
                "cpu",
                cpu(now, c.cpuNanoCores(), c.cpuSeconds()),
                "memory",
                memory(now, c.memoryBytes())));
      }
      pods.add(
          Map.of(
              "podRef",
              Map.of("name", u.name(), "namespace", u.namespace(), "uid", u.uid()),
              "startTime",
              u.startTime(),
              "containers",
              containers,
              "cpu",
              cpu(now, u.cpuNanoCores(), u.cpuSeconds()),
              "memory",
              memory(now, u.memoryBytes())));
    }
    Map<String, Object> node = new LinkedHashMap<>();
    node.put("nodeName", nodeName);
    node.put("startTime", startTime);
    node.put("cpu", cpu(now, cpu, snapshot.nodeCpuSeconds()));
    node.put("memory", memory(now, mem));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("node", node);
    out.put("pods", pods);
    return out;
  }

  /**
   * The kubelet's resource metrics in Prometheus text format, with the names and labels
   * metrics-server scrapes: cumulative {@code *_cpu_usage_seconds_total} counters and {@code
   * *_memory_working_set_bytes} gauges for the node, each pod and each container, plus {@code
   * container_start_time_seconds}.
   */
  @Override
  public String resourceMetrics() {
    Snapshot snapshot = usage();
    List<PodUsage> usage = snapshot.pods();
    long ts = clock.millis();
    long mem = 0;
    for (PodUsage u : usage) {
      mem += u.memoryBytes();
    }
    StringBuilder b = new StringBuilder();
    header(
        b,
        "container_cpu_usage_seconds_total",
        "counter",
        "Cumulative cpu time consumed by the container in core-seconds");
    for (PodUsage u : usage) {
      for (ContainerUsage c : u.containers()) {
        sample(b, "container_cpu_usage_seconds_total", containerLabels(u, c), c.cpuSeconds(), ts);
      }
    }
    header(
        b,
        "container_memory_working_set_bytes",
        "gauge",
        "Current working set of the container in bytes");
    for (PodUsage u : usage) {
      for (ContainerUsage c : u.containers()) {
        sample(b, "container_memory_working_set_bytes", containerLabels(u, c), c.memoryBytes(), ts);
      }
    }
    header(
        b,
        "container_start_time_seconds",
        "gauge",
        "Start time of the container since unix epoch in seconds");
    for (PodUsage u : usage) {
      for (ContainerUsage c : u.containers()) {
        sample(
            b,
            "container_start_time_seconds",
            containerLabels(u, c),
            java.time.Instant.parse(c.startTime()).getEpochSecond(),
            ts);
      }
    }
    header(
        b,
        "node_cpu_usage_seconds_total",
        "counter",
        "Cumulative cpu time consumed by the node in core-seconds");
    sample(b, "node_cpu_usage_seconds_total", "", snapshot.nodeCpuSeconds(), ts);
    header(b, "node_memory_working_set_bytes", "gauge", "Current working set of the node in bytes");
    sample(b, "node_memory_working_set_bytes", "", mem, ts);
    header(
        b,
        "pod_cpu_usage_seconds_total",
        "counter",
        "Cumulative cpu time consumed by the pod in core-seconds");
    for (PodUsage u : usage) {
      sample(b, "pod_cpu_usage_seconds_total", podLabels(u), u.cpuSeconds(), ts);
    }
    header(b, "pod_memory_working_set_bytes", "gauge", "Current working set of the pod in bytes");
    for (PodUsage u : usage) {
      sample(b, "pod_memory_working_set_bytes", podLabels(u), u.memoryBytes(), ts);
    }
    header(
        b,
        "scrape_error",
        "gauge",
        "1 if there was an error while getting container metrics, 0 otherwise");
    sample(b, "scrape_error", "", 0, ts);
    return b.toString();
  }

  private static void header(StringBuilder b, String name, String type, String help) {
    b.append("# HELP ")
        .append(name)
        .append(' ')
        .append(help)
        .append('\n')
        .append("# TYPE ")
        .append(name)
        .append(' ')
        .append(type)
        .append('\n');
  }

  private static void sample(StringBuilder b, String name, String labels, double value, long ts) {
    b.append(name);
    if (!labels.isEmpty()) {
      b.append('{').append(labels).append('}');
    }
    b.append(' ')
        .append(
            value == Math.rint(value) && Math.abs(value) < 1e15
                ? Long.toString((long) value)
                : Double.toString(value))
        .append(' ')
        .append(ts)
        .append('\n');
  }

  private static String podLabels(PodUsage u) {
    return "namespace=\"" + u.namespace() + "\",pod=\"" + u.name() + "\"";
  }

  private static String containerLabels(PodUsage u, ContainerUsage c) {
    return "container=\"" + c.name() + "\"," + podLabels(u);
  }
}
