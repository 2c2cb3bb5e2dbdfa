package io.gleaner.sim.accounting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.scheduler.PodInfo;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The ground truth of what one member cluster could lend at one instant, per source, computed from
 * its nodes, pods and PodGroups alone (a pure function, independent of the idle-detector's view):
 *
 * <ul>
 *   <li>{@code IDLE} (online members): every schedulable node whose online pods (DaemonSets and
 *       Gleaner pods excluded) request at most the idle thresholds of its CPU and memory lends
 *       {@code allocatable − requests of non-Gleaner pods − node headroom}. The {@code idleAfter}
 *       wait is not applied: capacity is lendable from the moment the online work leaves it.
 *   <li>{@code VOLCANO} (training members): the free capacity of the schedulable nodes ({@code
 *       allocatable − requests of non-Gleaner pods − headroom}, per node, at least zero), minus
 *       what the gangs that are not running yet still need (their {@code minResources}, or their
 *       pods' requests if larger, less what of them is already bound).
 *   <li>{@code COLOCATION} (co-location members): per node {@code kubernetes.io/batch-cpu} / {@code
 *       batch-memory} allocatable minus the batch requests of non-Gleaner pods, reported as {@code
 *       cpu} / {@code memory}.
 * </ul>
 *
 * Each source's CPU and memory are then reduced by its reserve margin; GPUs are devices, lent whole
 * without a margin (as the broker lends them). A member with several roles lends a node to one
 * source only: co-location if the node publishes batch resources, else Volcano, else idle.
 */
public final class LendableCapacity {
  /** Label of Gleaner's member pods; their requests are what is harvested, not what is taken. */
  public static final String MANAGED_LABEL = "gleaner.io/managed";

  private static final ObjectMapper MAPPER = Serialization.jsonMapper();

  /**
   * The policy figures the ground truth depends on.
   *
   * @param margins fraction 0..1 of CPU and memory kept free per source
   * @param idleCpuRequestFraction an online node is idle below this share of CPU requested
   * @param idleMemoryRequestFraction ... and below this share of memory requested
   * @param nodeHeadroom kept free on every lent idle or Volcano node
   * @param idleCpuUsageFraction the policy's online CPU usage threshold of an idle node (not
   *     applied by the ground truth, which sees requests only; reported by the sandbox's breakdown)
   */
  public record Settings(
      Map<CapacitySource, Double> margins,
      double idleCpuRequestFraction,
      double idleMemoryRequestFraction,
      Resources nodeHeadroom,
      double idleCpuUsageFraction) {
    /** The built-in GleanerPolicy's figures. */
    public static final Settings DEFAULTS = from(EffectivePolicy.DEFAULTS);

    public Settings {
      margins = Map.copyOf(margins);
      Objects.requireNonNull(nodeHeadroom, "nodeHeadroom");
    }

    /** The figures of an effective policy. */
    public static Settings from(EffectivePolicy p) {
      return new Settings(
          p.reserveMargins(),
          p.idle().cpuRequestFraction(),
          p.idle().memoryRequestFraction(),
          p.nodeHeadroom(),
          p.idle().cpuUsageFraction());
    }

    double margin(CapacitySource s) {
      return margins.getOrDefault(s, 0.0);
    }
  }

  private LendableCapacity() {}

  /**
   * What a member with {@code roles} could lend now, per source (only sources it can lend to;
   * resources {@code cpu}, {@code memory} and {@code nvidia.com/gpu}).
   */
  public static Map<CapacitySource, Resources> of(
      Set<MemberRole> roles,
      Collection<Node> nodes,
      Collection<Pod> pods,
      Collection<GenericKubernetesResource> podGroups,
      Settings settings) {
    Map<String, Resources> taken = new HashMap<>();
    Map<String, Resources> online = new HashMap<>();
    Map<String, Resources> groupBound = new HashMap<>();
    Map<String, Resources> groupAll = new HashMap<>();
    for (Pod pod : pods) {
      PodInfo p = PodInfo.of(pod);
      if (p.terminal() || isGleaner(pod)) {
        continue;
      }
      Resources req = p.requests().without(Resources.PODS);
      if (p.groupName() != null) {
        String g = p.namespace() + "/" + p.groupName();
        groupAll.merge(g, req, Resources::plus);
        if (p.nodeName() != null) {
          groupBound.merge(g, req, Resources::plus);
        }
      }
      if (p.nodeName() == null) {
        continue;
      }
      taken.merge(p.nodeName(), req, Resources::plus);
      if (!isDaemonSet(pod)) {
        online.merge(p.nodeName(), req, Resources::plus);
      }
    }
    Map<CapacitySource, Resources> out = new EnumMap<>(CapacitySource.class);
    if (roles.contains(MemberRole.ONLINE)) {
      out.put(CapacitySource.IDLE, Resources.ZERO);
    }
    if (roles.contains(MemberRole.TRAINING)) {
      out.put(CapacitySource.VOLCANO, Resources.ZERO);
    }
    if (roles.contains(MemberRole.COLOCATION)) {
      out.put(CapacitySource.COLOCATION, Resources.ZERO);
    }
    for (Node node : nodes) {
      if (node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
        continue;
      }
      String name = node.getMetadata().getName();
      Resources alloc =
          node.getStatus() == null || node.getStatus().getAllocatable() == null
              ? Resources.ZERO
              : Resources.fromQuantities(node.getStatus().getAllocatable());
      Resources used = taken.getOrDefault(name, Resources.ZERO);
      CapacitySource source = sourceOf(roles, alloc);
      if (source == null) {
        continue;
      }
      Resources lendable =
          switch (source) {
            case COLOCATION ->
                Resources.builder()
                    .putCanonical(
                        Resources.CPU,
                        Math.max(0, alloc.get(Resources.BATCH_CPU) - used.get(Resources.BATCH_CPU)))
                    .putCanonical(
                        Resources.MEMORY,
                        Math.max(
                            0,
                            alloc.get(Resources.BATCH_MEMORY) - used.get(Resources.BATCH_MEMORY)))
                    .build();
            case IDLE -> idleNode(alloc, online.getOrDefault(name, Resources.ZERO), used, settings);
            default -> free(alloc, used, settings);
          };
      out.merge(source, lendable, Resources::plus);
    }
    if (out.containsKey(CapacitySource.VOLCANO)) {
      Resources need = Resources.ZERO;
      for (GenericKubernetesResource pg : podGroups) {
        JsonNode json = MAPPER.valueToTree(pg);
        String phase = json.path("status").path("phase").asText("Pending");
        if (!phase.equals("Pending") && !phase.equals("Inqueue")) {
          continue;
        }
        String key =
            json.path("metadata").path("namespace").asText() + "/" + pg.getMetadata().getName();
        Resources min = Resources.ZERO;
        JsonNode mr = json.path("spec").path("minResources");
        if (mr.isObject()) {
          Map<String, String> q = new HashMap<>();
          mr.fields().forEachRemaining(e -> q.put(e.getKey(), e.getValue().asText()));
          min = Resources.parse(q).without(Resources.PODS);
        }
        Resources wanted = min.max(groupAll.getOrDefault(key, Resources.ZERO));
        need = need.plus(wanted.minus(groupBound.getOrDefault(key, Resources.ZERO)).clampAtZero());
      }
      out.put(CapacitySource.VOLCANO, out.get(CapacitySource.VOLCANO).minus(need).clampAtZero());
    }
    Map<CapacitySource, Resources> result = new EnumMap<>(CapacitySource.class);
    out.forEach(
        (s, r) -> {
          long keepPer10k = 10_000L - Math.round(settings.margin(s) * 10_000);
          Resources kept = keep(r);
          result.put(
              s,
              kept.without(Resources.GPU)
                  .scale(keepPer10k, 10_000L)
                  .plus(Resources.ZERO.with(Resources.GPU, kept.gpus())));
        });
    return result;
  }

  private static CapacitySource sourceOf(Set<MemberRole> roles, Resources alloc) {
    if (roles.contains(MemberRole.COLOCATION) && alloc.get(Resources.BATCH_CPU) > 0) {
      return CapacitySource.COLOCATION;
    }
    if (roles.contains(MemberRole.TRAINING)) {
      return CapacitySource.VOLCANO;
    }
    if (roles.contains(MemberRole.ONLINE)) {
      return CapacitySource.IDLE;
    }
    return null;
  }

  /**
   * What one schedulable online node could lend to the {@code IDLE} source now, before the source's
   * reserve margin: {@code allocatable − requests of non-Gleaner pods − node headroom} when its
   * online pods request at most the idle thresholds, else zero. The rule {@link #of} applies to
   * every node of an online member, for models that keep nodes as numbers rather than objects.
   *
   * @param allocatable the node's allocatable resources
   * @param online requests of its online pods (DaemonSets and Gleaner pods excluded)
   * @param taken requests of all its non-Gleaner pods (online and DaemonSets)
   */
  public static Resources idleNode(
      Resources allocatable, Resources online, Resources taken, Settings settings) {
    return idle(allocatable, online, settings)
        ? free(allocatable, taken, settings)
        : Resources.ZERO;
  }

  private static boolean idle(Resources alloc, Resources online, Settings s) {
    return alloc.cpuMillis() > 0
        && online.cpuMillis() <= s.idleCpuRequestFraction() * alloc.cpuMillis()
        && online.memoryBytes() <= s.idleMemoryRequestFraction() * alloc.memoryBytes();
  }

  private static Resources free(Resources alloc, Resources used, Settings s) {
    return keep(alloc).minus(keep(used)).minus(keep(s.nodeHeadroom())).clampAtZero();
  }

  /** Only what the accounting reports: CPU, memory and GPUs. */
  private static Resources keep(Resources r) {
    return Resources.builder()
        .putCanonical(Resources.CPU, r.cpuMillis())
        .putCanonical(Resources.MEMORY, r.memoryBytes())
        .putCanonical(Resources.GPU, r.gpus())
        .build();
  }

  private static boolean isGleaner(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels != null && "true".equals(labels.get(MANAGED_LABEL));
  }

  private static boolean isDaemonSet(Pod pod) {
    return pod.getMetadata().getOwnerReferences() != null
        && pod.getMetadata().getOwnerReferences().stream()
            .anyMatch(o -> "DaemonSet".equals(o.getKind()));
  }
}
