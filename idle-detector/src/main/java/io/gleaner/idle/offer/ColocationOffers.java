package io.gleaner.idle.offer;

import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Offer math of the COLOCATION source. The offer is expressed in {@code cpu}/{@code memory}/{@code
 * pods} (the shape lent pods ask for); the virtual-kubelet converts it back to batch resources on
 * the member pod.
 *
 * <p>Where the node publishes {@code kubernetes.io/batch-cpu} / {@code kubernetes.io/batch-memory}
 * (Koordinator's koord-manager or volcano-agent keep them current), the offer is that allocatable
 * minus the batch requests of the member's own pods on the node.
 *
 * <p>Where it does not, the batch allocatable is computed from metrics the way Koordinator
 * documents its "usage" calculate policy: {@code batch = capacity × reclaimRatio − max(systemUsage,
 * systemReserved) − highPriorityUsage}, per resource, with {@code systemReserved = capacity −
 * allocatable} and {@code systemUsage = nodeUsage − Σ podUsage}. When pod metrics are missing, the
 * usage of best-effort pods is estimated by their batch requests (their limit in practice) and
 * everything else the node uses counts as high-priority usage (system usage then folds into it).
 * Node metrics older than {@code metricsMaxAge} mean an offer of zero, never the last value.
 *
 * @param cpuReclaimPercent 0..100, default 60
 * @param memoryReclaimPercent 0..100, default 65
 * @param metricsMaxAge older node metrics withdraw the offer, default 15 minutes
 */
public record ColocationOffers(
    int cpuReclaimPercent, int memoryReclaimPercent, Duration metricsMaxAge) {

  public static final ColocationOffers DEFAULTS =
      new ColocationOffers(60, 65, Duration.ofMinutes(15));

  public ColocationOffers {
    percent("cpuReclaimPercent", cpuReclaimPercent);
    percent("memoryReclaimPercent", memoryReclaimPercent);
    Objects.requireNonNull(metricsMaxAge, "metricsMaxAge");
    if (metricsMaxAge.isNegative() || metricsMaxAge.isZero()) {
      throw new IllegalArgumentException("metricsMaxAge must be positive, got " + metricsMaxAge);
    }
  }

  private static void percent(String name, int v) {
    if (v < 0 || v > 100) {
      throw new IllegalArgumentException(name + " must be within 0..100, got " + v);
    }
  }

  /** How an offer was computed, for logs, tests and the reclaim risk. */
  public enum Basis {
    /** From the node's batch-cpu / batch-memory allocatable. */
    BATCH_RESOURCES,
    /** From metrics with the reclaim-ratio formula. */
    FORMULA,
    /** No batch resources and no fresh node metrics: nothing is offered. */
    STALE_METRICS
  }

  /**
   * @param usable cpu, memory and pods that may be lent
   * @param risk how much of the reclaimable envelope online load already uses, 0..1
   */
  public record Result(Resources usable, Basis basis, double risk) {}

  /**
   * The co-location offer of one node.
   *
   * @param pods the pods bound to the node
   * @param nodeUsage the node's latest NodeMetrics sample, if any
   * @param podUsage the latest PodMetrics samples by {@code namespace/name}; may be empty
   */
  public Result compute(
      MemberNodeInfo node,
      Collection<MemberPodInfo> pods,
      Optional<Usage> nodeUsage,
      Map<String, Usage> podUsage,
      Instant now) {
    Resources alloc = node.allocatable();
    Resources batchRequests = Resources.ZERO;
    long memberPods = 0;
    for (MemberPodInfo p : pods) {
      if (p.holdsMemberResources()) {
        memberPods++;
        if (p.batch()) {
          batchRequests = IdleOffers.cappedPlus(batchRequests, batchShape(p.requests()));
        }
      }
    }
    long freePods = Math.max(0, alloc.pods() - memberPods);
    if (alloc.get(Resources.BATCH_CPU) > 0 || alloc.get(Resources.BATCH_MEMORY) > 0) {
      Resources usable =
          Resources.ZERO
              .with(Resources.CPU, alloc.get(Resources.BATCH_CPU))
              .with(Resources.MEMORY, alloc.get(Resources.BATCH_MEMORY))
              .minus(batchRequests)
              .clampAtZero()
              .with(Resources.PODS, freePods);
      double risk = 1 - share(usable.cpuMillis(), alloc.get(Resources.BATCH_CPU));
      return new Result(usable, Basis.BATCH_RESOURCES, clamp(risk));
    }
    if (nodeUsage.isEmpty() || !nodeUsage.get().freshAt(now, metricsMaxAge)) {
      return new Result(Resources.ZERO, Basis.STALE_METRICS, 1);
    }
    Usage nu = nodeUsage.get();
    Resources capacity = node.capacity();
    Resources reserved = capacity.minus(alloc).clampAtZero();
    long sysCpu;
    long sysMem;
    long hpCpu;
    long hpMem;
    boolean podMetrics =
        pods.stream()
            .filter(MemberPodInfo::holdsMemberResources)
            .anyMatch(p -> podUsage.containsKey(p.key()));
    if (podMetrics) {
      long allCpu = 0;
      long allMem = 0;
      hpCpu = 0;
      hpMem = 0;
      for (MemberPodInfo p : pods) {
        Usage u = p.terminated() || p.node().isEmpty() ? null : podUsage.get(p.key());
        if (u == null) {
          continue;
        }
        allCpu += u.cpuMillis();
        allMem += u.memoryBytes();
        if (!p.batch() && !p.gleanerManaged()) {
          hpCpu += u.cpuMillis();
          hpMem += u.memoryBytes();
        }
      }
      sysCpu = Math.max(0, nu.cpuMillis() - allCpu);
      sysMem = Math.max(0, nu.memoryBytes() - allMem);
    } else {
      Resources beEstimate = Resources.ZERO;
      for (MemberPodInfo p : pods) {
        if (!p.terminated() && !p.node().isEmpty() && (p.batch() || p.gleanerManaged())) {
          beEstimate = IdleOffers.cappedPlus(beEstimate, batchShape(p.requests()));
        }
      }
      sysCpu = 0;
      sysMem = 0;
      hpCpu = Math.max(0, nu.cpuMillis() - beEstimate.cpuMillis());
      hpMem = Math.max(0, nu.memoryBytes() - beEstimate.memoryBytes());
    }
    long envCpu = capacity.cpuMillis() * cpuReclaimPercent / 100;
    long envMem = capacity.memoryBytes() * memoryReclaimPercent / 100;
    long batchCpu = envCpu - Math.max(sysCpu, reserved.cpuMillis()) - hpCpu;
    long batchMem = envMem - Math.max(sysMem, reserved.memoryBytes()) - hpMem;
    Resources usable =
        Resources.ZERO
            .with(Resources.CPU, Math.max(0, batchCpu))
            .with(Resources.MEMORY, Math.max(0, batchMem))
            .minus(batchRequests)
            .clampAtZero()
            .with(Resources.PODS, freePods);
    double risk = Math.max(share(hpCpu, envCpu), share(hpMem, envMem));
    return new Result(usable, Basis.FORMULA, clamp(risk));
  }

  /**
   * A batch pod's requests in cpu/memory terms: its batch resources, or its plain requests if it
   * has none.
   */
  static Resources batchShape(Resources requests) {
    long cpu = requests.get(Resources.BATCH_CPU);
    long mem = requests.get(Resources.BATCH_MEMORY);
    if (cpu == 0 && mem == 0) {
      return Resources.ZERO
          .with(Resources.CPU, requests.cpuMillis())
          .with(Resources.MEMORY, requests.memoryBytes());
    }
    return Resources.ZERO.with(Resources.CPU, cpu).with(Resources.MEMORY, mem);
  }

  private static double share(long part, long whole) {
    if (whole <= 0) {
      return part > 0 ? 1 : 0;
    }
    return (double) part / whole;
  }

  private static double clamp(double v) {
    return Double.isNaN(v) ? 1 : Math.max(0, Math.min(1, v));
  }
}
