package io.gleaner.broker.model;

import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Objects;

/**
 * A reservation of a pod on a member node; {@code confirmed} once the member pod exists (then it
 * counts as placed).
 *
 * @param gpuDevices the device indexes it takes on the node (one for a sharing pod)
 * @param gpuMilli milli-GPU it takes per device in {@code gpuDevices}
 * @param gangId the gang it was reserved with ("" for a single pod)
 * @param expiresAtMs when an unconfirmed reservation is released (0: never)
 */
public record Placement(
    String podUid,
    String namespace,
    String name,
    NodeKey node,
    CapacitySource source,
    WorkloadClass workloadClass,
    Resources resources,
    List<Integer> gpuDevices,
    int gpuMilli,
    long reservedAtMs,
    boolean confirmed,
    String gangId,
    long expiresAtMs) {

  public Placement {
    Objects.requireNonNull(podUid, "podUid");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(workloadClass, "workloadClass");
    namespace = namespace == null ? "" : namespace;
    name = name == null ? "" : name;
    resources = resources == null ? Resources.ZERO : resources;
    gpuDevices = gpuDevices == null ? List.of() : List.copyOf(gpuDevices);
    gangId = gangId == null ? "" : gangId;
  }

  /** A single pod's reservation (no gang, no expiry). */
  public Placement(
      String podUid,
      String namespace,
      String name,
      NodeKey node,
      CapacitySource source,
      WorkloadClass workloadClass,
      Resources resources,
      List<Integer> gpuDevices,
      int gpuMilli,
      long reservedAtMs,
      boolean confirmed) {
    this(
        podUid,
        namespace,
        name,
        node,
        source,
        workloadClass,
        resources,
        gpuDevices,
        gpuMilli,
        reservedAtMs,
        confirmed,
        "",
        0);
  }

  /** Whether this unconfirmed reservation has expired at {@code nowMs}. */
  public boolean expired(long nowMs) {
    return !confirmed && expiresAtMs > 0 && expiresAtMs <= nowMs;
  }

  public Placement confirm() {
    return confirmed
        ? this
        : new Placement(
            podUid,
            namespace,
            name,
            node,
            source,
            workloadClass,
            resources,
            gpuDevices,
            gpuMilli,
            reservedAtMs,
            true,
            gangId,
            expiresAtMs);
  }
}
