package io.gleaner.broker.model;

import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a pod could ever fit on one of the known member nodes, however much is freed on them: the
 * admission question a kubelet answers with {@code OutOf<resource>}, asked of the whole federation.
 *
 * <p>Each node is taken as a whole: a pod of 12 CPU and 2 GPUs never fits a federation of a 16-CPU
 * node without GPUs and an 8-CPU node with 4 GPUs, although each resource alone would. The {@code
 * pods} resource is not considered (every pod takes one slot, and an offer may not state slots).
 * Pure: no state, no I/O.
 */
public final class NeverFits {
  private NeverFits() {}

  /**
   * Why no node could ever hold the pod.
   *
   * @param resource the resource named as missing: the one the most nodes lack (ties: by name)
   * @param requested what the pod requests of it, canonical units
   * @param largest the most of it one node holds, canonical units (0 when no node has it)
   * @param largestNode the node holding {@code largest} ("" when no node has it)
   * @param message one sentence a user can act on
   */
  public record Verdict(
      String resource, long requested, long largest, String largestNode, String message) {

    /** {@code requested} as a Kubernetes quantity. */
    public String requestedQuantity() {
      return Quantities.format(resource, requested);
    }

    /** {@code largest} as a Kubernetes quantity. */
    public String largestQuantity() {
      return Quantities.format(resource, largest);
    }
  }

  /**
   * Decides whether {@code request} exceeds every node of {@code bounds}.
   *
   * @param request the pod's effective requests
   * @param bounds per known member node (by name), the most it could ever lend; an empty vector
   *     means the node did not say, which could hold anything
   * @return the verdict when no node could ever hold the pod; empty when some node could, when a
   *     node's bound is unknown, when no node is known (a member may still join) or when the pod
   *     requests nothing
   */
  public static Optional<Verdict> check(Resources request, Map<String, Resources> bounds) {
    if (bounds.isEmpty()) {
      return Optional.empty();
    }
    Resources demand = request.without(Resources.PODS).clampAtZero();
    if (demand.isZero()) {
      return Optional.empty();
    }
    for (Resources bound : bounds.values()) {
      if (bound.isZero() || demand.fitsIn(bound)) {
        return Optional.empty();
      }
    }
    String worst = null;
    int worstCount = 0;
    for (String r : demand.names()) {
      int lacking = 0;
      for (Resources bound : bounds.values()) {
        if (bound.get(r) < demand.get(r)) {
          lacking++;
        }
      }
      if (lacking > worstCount) {
        worst = r;
        worstCount = lacking;
      }
    }
    long requested = demand.get(worst);
    long largest = 0;
    String largestNode = "";
    for (Map.Entry<String, Resources> e : bounds.entrySet()) {
      long v = e.getValue().get(worst);
      if (v > largest) {
        largest = v;
        largestNode = e.getKey();
      }
    }
    String req = Quantities.format(worst, requested);
    String message;
    if (largest == 0) {
      message =
          "no member node has resource "
              + worst
              + " (requested: "
              + req
              + ", known member nodes: "
              + bounds.size()
              + ")";
    } else if (largest < requested) {
      message =
          "no member node has enough resource: "
              + worst
              + ", requested: "
              + req
              + ", largest member node: "
              + Quantities.format(worst, largest)
              + " ("
              + largestNode
              + ")";
    } else {
      message =
          "no member node holds all of the pod's requests "
              + demand.toStrings()
              + " at once: "
              + worstCount
              + " of "
              + bounds.size()
              + " known member nodes lack "
              + worst
              + " (requested: "
              + req
              + ")";
    }
    return Optional.of(new Verdict(worst, requested, largest, largestNode, message));
  }
}
