package io.gleaner.broker.model;

import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A full snapshot of what one member node may lend (ARCHITECTURE.md §4 "Offer"); it replaces the
 * node's previous offer.
 *
 * @param usable what may be lent now, clamped at zero; an offer without {@code pods} leaves pod
 *     slots unbounded
 * @param gpuFreeMilli free milli-GPU per device for GPU-sharing nodes; empty means {@code
 *     usable[nvidia.com/gpu]} whole devices of 1000 milli each
 * @param reclaimRisk 0 (stable) to 1 (likely reclaimed soon)
 * @param allocatable the node's whole allocatable, the most it could ever lend; empty when not
 *     reported
 * @param roomUntilMs until when (epoch ms, the source's clock) the room is forecast to last; 0 when
 *     not forecast
 * @param draining the room runs out at {@code roomUntilMs}, within the source's lead time: the node
 *     takes only pods that declare an expected run time ending by then (a pod that does not say how
 *     long it runs could still be running when online work needs the node back)
 */
public record NodeOffer(
    NodeKey key,
    CapacitySource source,
    Resources usable,
    Map<String, String> labels,
    List<KubeTaint> taints,
    double reclaimRisk,
    String zone,
    List<Integer> gpuFreeMilli,
    long observedAtMs,
    Resources allocatable,
    long roomUntilMs,
    boolean draining) {

  /** An offer that is not draining. */
  public NodeOffer(
      NodeKey key,
      CapacitySource source,
      Resources usable,
      Map<String, String> labels,
      List<KubeTaint> taints,
      double reclaimRisk,
      String zone,
      List<Integer> gpuFreeMilli,
      long observedAtMs,
      Resources allocatable,
      long roomUntilMs) {
    this(
        key,
        source,
        usable,
        labels,
        taints,
        reclaimRisk,
        zone,
        gpuFreeMilli,
        observedAtMs,
        allocatable,
        roomUntilMs,
        false);
  }

  /** An offer without a forecast of how long its room lasts. */
  public NodeOffer(
      NodeKey key,
      CapacitySource source,
      Resources usable,
      Map<String, String> labels,
      List<KubeTaint> taints,
      double reclaimRisk,
      String zone,
      List<Integer> gpuFreeMilli,
      long observedAtMs,
      Resources allocatable) {
    this(
        key,
        source,
        usable,
        labels,
        taints,
        reclaimRisk,
        zone,
        gpuFreeMilli,
        observedAtMs,
        allocatable,
        0);
  }

  public NodeOffer {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(source, "source");
    usable = usable == null ? Resources.ZERO : usable.clampAtZero();
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    taints = taints == null ? List.of() : List.copyOf(taints);
    zone = zone == null ? "" : zone;
    gpuFreeMilli = gpuFreeMilli == null ? List.of() : List.copyOf(gpuFreeMilli);
    allocatable = allocatable == null ? Resources.ZERO : allocatable;
    if (allocatable.hasNegative()) {
      throw new IllegalArgumentException(
          "offer " + key + ": allocatable must not be negative, got " + allocatable);
    }
    if (Double.isNaN(reclaimRisk) || reclaimRisk < 0 || reclaimRisk > 1) {
      throw new IllegalArgumentException(
          "offer " + key + ": reclaim_risk must be within 0..1, got " + reclaimRisk);
    }
    if (roomUntilMs < 0) {
      throw new IllegalArgumentException(
          "offer " + key + ": room_until_ms must not be negative, got " + roomUntilMs);
    }
    if (draining && roomUntilMs == 0) {
      throw new IllegalArgumentException(
          "offer " + key + ": a draining offer needs room_until_ms (when its room runs out)");
    }
    for (int i = 0; i < gpuFreeMilli.size(); i++) {
      int m = gpuFreeMilli.get(i);
      if (m < 0 || m > 1000) {
        throw new IllegalArgumentException(
            "offer " + key + ": gpu_free_milli[" + i + "] must be within 0..1000, got " + m);
      }
    }
  }

  /** An offer that does not report the node's allocatable. */
  public NodeOffer(
      NodeKey key,
      CapacitySource source,
      Resources usable,
      Map<String, String> labels,
      List<KubeTaint> taints,
      double reclaimRisk,
      String zone,
      List<Integer> gpuFreeMilli,
      long observedAtMs) {
    this(
        key,
        source,
        usable,
        labels,
        taints,
        reclaimRisk,
        zone,
        gpuFreeMilli,
        observedAtMs,
        Resources.ZERO);
  }

  /** A plain offer: no labels, taints or GPU sharing, zero risk. */
  public static NodeOffer of(String cluster, String node, CapacitySource source, Resources usable) {
    return new NodeOffer(
        new NodeKey(cluster, node), source, usable, Map.of(), List.of(), 0, "", List.of(), 0);
  }

  public NodeOffer withObservedAt(long ms) {
    return new NodeOffer(
        key,
        source,
        usable,
        labels,
        taints,
        reclaimRisk,
        zone,
        gpuFreeMilli,
        ms,
        allocatable,
        roomUntilMs,
        draining);
  }

  /** This offer, its room forecast to last until {@code ms} (0: not forecast). */
  public NodeOffer withRoomUntil(long ms) {
    return new NodeOffer(
        key,
        source,
        usable,
        labels,
        taints,
        reclaimRisk,
        zone,
        gpuFreeMilli,
        observedAtMs,
        allocatable,
        ms,
        draining);
  }

  /**
   * This offer, draining: its room runs out at {@code roomUntil} (epoch ms, not 0), within the
   * source's lead time, so only pods that declare a run time ending by then may go there.
   */
  public NodeOffer draining(long roomUntil) {
    return new NodeOffer(
        key,
        source,
        usable,
        labels,
        taints,
        reclaimRisk,
        zone,
        gpuFreeMilli,
        observedAtMs,
        allocatable,
        roomUntil,
        true);
  }

  /** This offer, stating the node's whole allocatable. */
  public NodeOffer withAllocatable(Resources a) {
    return new NodeOffer(
        key,
        source,
        usable,
        labels,
        taints,
        reclaimRisk,
        zone,
        gpuFreeMilli,
        observedAtMs,
        a,
        roomUntilMs,
        draining);
  }

  /** Equal content, ignoring when it was observed (a refresh that changes nothing). */
  public boolean sameContent(NodeOffer o) {
    return o != null && withObservedAt(0).equals(o.withObservedAt(0));
  }
}
