package io.gleaner.idle.offer;

import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A full snapshot of what one member node may lend now (ARCHITECTURE.md §4 "Offer"); never a delta.
 *
 * @param usable clamped at zero
 * @param reclaimRisk 0 (stable) .. 1 (likely reclaimed soon)
 * @param allocatable the node's whole allocatable: the most it could ever lend, which lets the
 *     broker fail at once a pod that no member node could ever hold
 * @param roomUntil until when the room is forecast to last (the first clock hour in which online
 *     work is forecast to need the node back); empty when not forecast or not within the horizon
 * @param draining the room runs out at {@code roomUntil}, within the forecast's lead time: the
 *     broker places there only pods that declare an expected run time ending by then
 */
public record Offer(
    String cluster,
    String node,
    CapacitySource source,
    Resources usable,
    Map<String, String> labels,
    List<KubeTaint> taints,
    String zone,
    double reclaimRisk,
    Instant observedAt,
    Resources allocatable,
    Optional<Instant> roomUntil,
    boolean draining) {

  /** An offer without a forecast of how long its room lasts. */
  public Offer(
      String cluster,
      String node,
      CapacitySource source,
      Resources usable,
      Map<String, String> labels,
      List<KubeTaint> taints,
      String zone,
      double reclaimRisk,
      Instant observedAt,
      Resources allocatable) {
    this(
        cluster,
        node,
        source,
        usable,
        labels,
        taints,
        zone,
        reclaimRisk,
        observedAt,
        allocatable,
        Optional.empty(),
        false);
  }

  public Offer {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(observedAt, "observedAt");
    usable = usable == null ? Resources.ZERO : usable.clampAtZero();
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    taints = taints == null ? List.of() : List.copyOf(taints);
    zone = zone == null ? "" : zone;
    allocatable = allocatable == null ? Resources.ZERO : allocatable.clampAtZero();
    roomUntil = roomUntil == null ? Optional.empty() : roomUntil;
    if (draining && roomUntil.isEmpty()) {
      throw new IllegalArgumentException(
          "offer " + cluster + "/" + node + ": a draining offer needs roomUntil");
    }
    if (!(reclaimRisk >= 0 && reclaimRisk <= 1)) {
      throw new IllegalArgumentException(
          "offer "
              + cluster
              + "/"
              + node
              + ": reclaimRisk must be within 0..1, got "
              + reclaimRisk);
    }
  }

  /** An offer for {@code node} with its labels, taints and zone. */
  public static Offer of(
      String cluster,
      MemberNodeInfo node,
      CapacitySource source,
      Resources usable,
      double risk,
      Instant at) {
    return new Offer(
        cluster,
        node.name(),
        source,
        usable,
        node.labels(),
        node.taints(),
        node.zone(),
        risk,
        at,
        node.allocatable());
  }

  /** This offer with {@code until} as the end of its forecast room, not draining. */
  public Offer withRoomUntil(Optional<Instant> until) {
    return new Offer(
        cluster,
        node,
        source,
        usable,
        labels,
        taints,
        zone,
        reclaimRisk,
        observedAt,
        allocatable,
        until,
        false);
  }

  /**
   * This offer draining: its room runs out at {@code until}, within the lead time, so it takes only
   * pods whose declared run time ends by then.
   */
  public Offer drainingUntil(Instant until) {
    return new Offer(
        cluster,
        node,
        source,
        usable,
        labels,
        taints,
        zone,
        reclaimRisk,
        observedAt,
        allocatable,
        Optional.of(until),
        true);
  }

  /**
   * Equal in everything but {@link #observedAt()}: re-sending it would tell the broker nothing new.
   */
  public boolean sameContent(Offer o) {
    return o != null
        && cluster.equals(o.cluster)
        && node.equals(o.node)
        && source == o.source
        && usable.equals(o.usable)
        && labels.equals(o.labels)
        && taints.equals(o.taints)
        && zone.equals(o.zone)
        && allocatable.equals(o.allocatable)
        && roomUntil.equals(o.roomUntil)
        && draining == o.draining
        && Math.abs(reclaimRisk - o.reclaimRisk) < 0.05;
  }
}
