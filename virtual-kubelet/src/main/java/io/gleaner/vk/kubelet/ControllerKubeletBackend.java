package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.ContainerMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.vk.pod.MemberClusters;
import io.gleaner.vk.pod.PodController;
import io.gleaner.vk.translate.GleanerKeys;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Serves the kubelet API from the pod controller's informer caches and the members' {@code metrics.k8s.io}. Usage is
 * reported under the metadata pods' names; a member that does not answer is skipped (its pods show no usage).
 */
public final class ControllerKubeletBackend implements KubeletBackend {
  private final PodController controller;
  private final MemberClusters members;
  private final String nodeName;
  private final String instance;
  private final Clock clock;

  public ControllerKubeletBackend(PodController controller, MemberClusters members, String nodeName, String instance,
                                  Clock clock) {
    this.controller = controller;
    this.members = members;
    this.nodeName = nodeName;
    this.instance = instance;
    this.clock = clock;
  }

  @Override
  public Collection<Pod> pods() {
    return controller.metaPods();
  }

  @Override
  public Optional<Target> resolve(String namespace, String pod) {
    return controller.memberOf(namespace, pod).flatMap(ref -> members.client(ref.cluster())
        .map(c -> new Target(ref.cluster(), c, ref.namespace(), ref.name())));
  }

  /** Usage of one metadata pod, from its member pod's metrics. */
  record PodUsage(String namespace, String name, String uid, long cpuNanoCores, long memoryBytes,
                  Map<String, long[]> containers) {}

  List<PodUsage> usage() {
    List<PodUsage> out = new ArrayList<>();
    for (String cluster : members.names()) {
      Optional<KubernetesClient> client = members.client(cluster);
      if (client.isEmpty() || !members.isHealthy(cluster)) {
        continue;
      }
      List<PodMetrics> metrics;
      try {
        metrics = client.get().top().pods().withLabels(Map.of(GleanerKeys.MANAGED, "true", GleanerKeys.INSTANCE,
            instance)).metrics().getItems();
      } catch (KubernetesClientException e) {
        continue;
      }
      for (PodMetrics pm : metrics) {
        Map<String, String> labels = pm.getMetadata().getLabels();
        String metaUid = labels == null ? null : labels.get(GleanerKeys.META_UID);
        Pod metaPod = controller.metaPods().stream().filter(p -> p.getMetadata().getUid().equals(metaUid))
            .findFirst().orElse(null);
        if (metaPod == null) {
          continue;
        }
        long cpu = 0;
        long mem = 0;
        Map<String, long[]> containers = new LinkedHashMap<>();
        for (ContainerMetrics cm : pm.getContainers()) {
          long c = cm.getUsage().get("cpu") == null ? 0
              : Quantities.parse(cm.getUsage().get("cpu").toString()).movePointRight(9).longValue();
          long m = cm.getUsage().get("memory") == null ? 0
              : Quantities.parse(cm.getUsage().get("memory").toString()).longValue();
          cpu += c;
          mem += m;
          containers.put(cm.getName(), new long[] {c, m});
        }
        out.add(new PodUsage(metaPod.getMetadata().getNamespace(), metaPod.getMetadata().getName(),
            metaPod.getMetadata().getUid(), cpu, mem, containers));
      }
    }
    return out;
  }

  @Override
  public Map<String, Object> statsSummary() {
    String now = clock.instant().toString();
    List<PodUsage> usage = usage();
    long cpu = 0;
    long mem = 0;
    List<Object> pods = new ArrayList<>();
    for (PodUsage u : usage) {
      cpu += u.cpuNanoCores();
      mem += u.memoryBytes();
      List<Object> containers = new ArrayList<>();
      u.containers().forEach((name, v) -> containers.add(Map.of("name", name, "startTime", now,
          "cpu", Map.of("time", now, "usageNanoCores", v[0]),
          "memory", Map.of("time", now, "workingSetBytes", v[1], "usageBytes", v[1]))));
      pods.add(Map.of("podRef", Map.of("name", u.name(), "namespace", u.namespace(), "uid", u.uid()),
          "startTime", now, "containers", containers,
          "cpu", Map.of("time", now, "usageNanoCores", u.cpuNanoCores()),
          "memory", Map.of("time", now, "workingSetBytes", u.memoryBytes(), "usageBytes", u.memoryBytes())));
    }
    Map<String, Object> node = new LinkedHashMap<>();
    node.put("nodeName", nodeName);
    node.put("startTime", now);
    node.put("cpu", Map.of("time", now, "usageNanoCores", cpu));
    node.put("memory", Map.of("time", now, "workingSetBytes", mem, "usageBytes", mem));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("node", node);
    out.put("pods", pods);
    return out;
  }

  @Override
  public String resourceMetrics() {
    long ts = clock.millis();
    StringBuilder b = new StringBuilder();
    List<PodUsage> usage = usage();
    long cpu = 0;
    long mem = 0;
    b.append("# HELP pod_cpu_usage_cores Cumulative-free instantaneous CPU usage of the pod, from the member\n")
        .append("# TYPE pod_cpu_usage_cores gauge\n");
    for (PodUsage u : usage) {
      b.append("pod_cpu_usage_cores{namespace=\"").append(u.namespace()).append("\",pod=\"").append(u.name())
          .append("\"} ").append(u.cpuNanoCores() / 1e9).append(' ').append(ts).append('\n');
      cpu += u.cpuNanoCores();
    }
    b.append("# HELP pod_memory_working_set_bytes Current working set of the pod in bytes\n")
        .append("# TYPE pod_memory_working_set_bytes gauge\n");
    for (PodUsage u : usage) {
      b.append("pod_memory_working_set_bytes{namespace=\"").append(u.namespace()).append("\",pod=\"")
          .append(u.name()).append("\"} ").append(u.memoryBytes()).append(' ').append(ts).append('\n');
      mem += u.memoryBytes();
    }
    b.append("# HELP node_memory_working_set_bytes Current working set of the virtual node in bytes\n")
        .append("# TYPE node_memory_working_set_bytes gauge\n")
        .append("node_memory_working_set_bytes ").append(mem).append(' ').append(ts).append('\n')
        .append("# HELP node_cpu_usage_cores Instantaneous CPU usage of the virtual node\n")
        .append("# TYPE node_cpu_usage_cores gauge\n")
        .append("node_cpu_usage_cores ").append(cpu / 1e9).append(' ').append(ts).append('\n');
    return b.toString();
  }
}
