package io.gleaner.sim.accounting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.resources.Resources;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LendableCapacityTest {
  private static final long MINUTE = 60_000;
  private static final LendableCapacity.Settings DEFAULTS = LendableCapacity.Settings.DEFAULTS;

  @Test
  void defaultsComeFromThePolicy() {
    assertThat(DEFAULTS.margins())
        .containsEntry(CapacitySource.IDLE, 0.1)
        .containsEntry(CapacitySource.COLOCATION, 0.15);
    assertThat(DEFAULTS.idleCpuRequestFraction()).isEqualTo(0.2);
    assertThat(DEFAULTS.nodeHeadroom().cpuMillis()).isEqualTo(200);
  }

  /**
   * Two 16-CPU online nodes, each with a 100m DaemonSet pod. Sample 1 (30 min after the start):
   * node a holds a 2-CPU online pod (12.5 % of its CPU: idle) and a 4-CPU Gleaner pod (ignored),
   * node b an 8-CPU online pod (50 %: not idle). Sample 2 (60 min later): b's pod has succeeded.
   *
   * <pre>
   *   sample 1: a = 16 − 2 − 0.1 − 0.2 headroom = 13.7 cores; × 0.9 margin = 12.33 cores, for 0.5 h = 6.165
   *   sample 2: a = 13.7, b = 16 − 0.1 − 0.2 = 15.7; 29.4 × 0.9 = 26.46 cores, for 1 h        = 26.46
   *   lendable IDLE core-hours                                                                   = 32.625
   * </pre>
   */
  @Test
  void idleCoreHoursOfTwoNodesOverTwoSamples() {
    List<Node> nodes =
        List.of(node("a", "16", "64Gi", null, null), node("b", "16", "64Gi", null, null));
    Pod dsA = pod("ds-a", "a", "100m", "128Mi", true, false, "Running");
    Pod dsB = pod("ds-b", "b", "100m", "128Mi", true, false, "Running");
    Pod webA = pod("web-a", "a", "2", "4Gi", false, false, "Running");
    Pod gleanerA = pod("gleaner-a", "a", "4", "8Gi", false, true, "Running");
    Pod pending = pod("web-pending", null, "8", "4Gi", false, false, "Pending");

    ResourceHours hours = new ResourceHours(0);
    Map<CapacitySource, Resources> first =
        LendableCapacity.of(
            Set.of(MemberRole.ONLINE),
            nodes,
            List.of(
                dsA,
                dsB,
                webA,
                gleanerA,
                pending,
                pod("web-b", "b", "8", "4Gi", false, false, "Running")),
            List.of(),
            DEFAULTS);
    assertThat(first.get(CapacitySource.IDLE).cpuMillis()).isEqualTo(12_330);
    hours.sample(30 * MINUTE, bySource(first));

    Map<CapacitySource, Resources> second =
        LendableCapacity.of(
            Set.of(MemberRole.ONLINE),
            nodes,
            List.of(
                dsA,
                dsB,
                webA,
                gleanerA,
                pending,
                pod("web-b", "b", "8", "4Gi", false, false, "Succeeded")),
            List.of(),
            DEFAULTS);
    assertThat(second.get(CapacitySource.IDLE).cpuMillis()).isEqualTo(26_460);
    hours.sample(90 * MINUTE, bySource(second));

    assertThat(hours.coreHours("IDLE")).isCloseTo(32.625, within(1e-9));
    assertThat(hours.gpuHours("IDLE")).isZero();
  }

  /**
   * The policy's thresholds are inclusive ("at most"), as the idle-detector applies them: online
   * pods requesting exactly 20 % of a 10-CPU node leave it idle: (10 − 2 − 0.2) × 0.9 = 7.02 cores.
   */
  @Test
  void aNodeAtExactlyTheRequestThresholdIsIdle() {
    Map<CapacitySource, Resources> r =
        LendableCapacity.of(
            Set.of(MemberRole.ONLINE),
            List.of(node("a", "10", "40Gi", null, null)),
            List.of(pod("web", "a", "2", "8Gi", false, false, "Running")),
            List.of(),
            DEFAULTS);
    assertThat(r.get(CapacitySource.IDLE).cpuMillis()).isEqualTo(7_020);
  }

  /**
   * One training node of 32 CPU / 8 GPU; a running gang pod takes 8 CPU / 2 GPU; a pending gang
   * needs 8 CPU / 1 GPU with none of it bound: (32 − 8 − 0.2 − 8) × 0.9 = 14.22 cores; GPUs 8 − 2 −
   * 1 = 5, whole devices without a margin, as the broker lends them.
   */
  @Test
  void volcanoFreeCapacityLessPendingGangs() {
    Node n = node("t", "32", "256Gi", "8", null);
    Pod running = pod("gang-1-0", "t", "8", "32Gi", false, false, "Running");
    running
        .getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .getRequests()
        .put(Resources.GPU, new Quantity("2"));
    Map<CapacitySource, Resources> r =
        LendableCapacity.of(
            Set.of(MemberRole.TRAINING),
            List.of(n),
            List.of(running),
            List.of(
                podGroup("gang-2", "Pending", "8", "1"), podGroup("gang-1", "Running", "8", "2")),
            DEFAULTS);
    assertThat(r.get(CapacitySource.VOLCANO).cpuMillis()).isEqualTo(14_220);
    assertThat(r.get(CapacitySource.VOLCANO).gpus()).isEqualTo(5);
  }

  /** Batch CPU 10 cores, a non-Gleaner batch pod takes 2: (10 − 2) × 0.85 = 6.8 cores. */
  @Test
  void colocationBatchAllocatableLessBatchRequests() {
    Node n = node("c", "32", "128Gi", null, "10000");
    Pod be = pod("be", "c", null, null, false, false, "Running");
    be.getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .getRequests()
        .put(Resources.BATCH_CPU, new Quantity("2000"));
    Pod gleaner = pod("g", "c", null, null, false, true, "Running");
    gleaner
        .getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .getRequests()
        .put(Resources.BATCH_CPU, new Quantity("4000"));
    Pod online = pod("web", "c", "20", "64Gi", false, false, "Running");
    Map<CapacitySource, Resources> r =
        LendableCapacity.of(
            Set.of(MemberRole.COLOCATION),
            List.of(n),
            List.of(be, gleaner, online),
            List.of(),
            DEFAULTS);
    assertThat(r).containsOnlyKeys(CapacitySource.COLOCATION);
    assertThat(r.get(CapacitySource.COLOCATION).cpuMillis()).isEqualTo(6_800);
  }

  @Test
  void aCordonedNodeLendsNothing() {
    Node n = node("a", "16", "64Gi", null, null);
    n.getSpec().setUnschedulable(true);
    assertThat(
            LendableCapacity.of(
                    Set.of(MemberRole.ONLINE), List.of(n), List.of(), List.of(), DEFAULTS)
                .get(CapacitySource.IDLE)
                .cpuMillis())
        .isZero();
  }

  private static Map<String, Resources> bySource(Map<CapacitySource, Resources> r) {
    Map<String, Resources> out = new LinkedHashMap<>();
    r.forEach((s, v) -> out.put(s.name(), v));
    return out;
  }

  private static Node node(String name, String cpu, String memory, String gpus, String batchCpu) {
    Map<String, Quantity> alloc = new LinkedHashMap<>();
    alloc.put("cpu", new Quantity(cpu));
    alloc.put("memory", new Quantity(memory));
    alloc.put("pods", new Quantity("110"));
    if (gpus != null) {
      alloc.put(Resources.GPU, new Quantity(gpus));
    }
    if (batchCpu != null) {
      alloc.put(Resources.BATCH_CPU, new Quantity(batchCpu));
      alloc.put(Resources.BATCH_MEMORY, new Quantity("64Gi"));
    }
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .endSpec()
        .withNewStatus()
        .withAllocatable(alloc)
        .withCapacity(alloc)
        .endStatus()
        .build();
  }

  private static Pod pod(
      String name,
      String node,
      String cpu,
      String memory,
      boolean daemonSet,
      boolean gleaner,
      String phase) {
    Map<String, Quantity> requests = new LinkedHashMap<>();
    if (cpu != null) {
      requests.put("cpu", new Quantity(cpu));
      requests.put("memory", new Quantity(memory));
    }
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(gleaner ? "gleaner" : "web")
            .addToLabels(gleaner ? Map.of("gleaner.io/managed", "true") : Map.of())
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .addNewContainer()
            .withName("c")
            .withNewResources()
            .withRequests(requests)
            .endResources()
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase(phase)
            .endStatus();
    if (daemonSet) {
      b.editMetadata()
          .addNewOwnerReference()
          .withKind("DaemonSet")
          .withName("ds")
          .endOwnerReference()
          .endMetadata();
    }
    if (name.startsWith("gang-")) {
      String group = name.substring(0, name.lastIndexOf('-'));
      b.editMetadata().addToAnnotations("scheduling.k8s.io/group-name", group).endMetadata();
    }
    return b.build();
  }

  private static GenericKubernetesResource podGroup(
      String name, String phase, String cpu, String gpus) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("scheduling.volcano.sh/v1beta1")
        .withKind("PodGroup")
        .withNewMetadata()
        .withName(name)
        .withNamespace("web")
        .endMetadata()
        .addToAdditionalProperties(
            "spec", Map.of("minMember", 1, "minResources", Map.of("cpu", cpu, Resources.GPU, gpus)))
        .addToAdditionalProperties("status", Map.of("phase", phase))
        .build();
  }
}
