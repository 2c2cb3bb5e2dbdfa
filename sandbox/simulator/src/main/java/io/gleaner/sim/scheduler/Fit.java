package io.gleaner.sim.scheduler;

import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The filter phase of kube-scheduler's default profile, in its order: NodeUnschedulable,
 * TaintToleration, NodeAffinity, NodeResourcesFit. The first failing filter gives the node's
 * reasons, worded as kube-scheduler words them.
 */
public final class Fit {
  private static final Taint UNSCHEDULABLE_TAINT =
      new TaintBuilder()
          .withKey("node.kubernetes.io/unschedulable")
          .withEffect("NoSchedule")
          .build();

  private Fit() {}

  /**
   * The outcome for one node.
   *
   * @param reasons why the pod does not fit (empty: it fits)
   * @param resolvable whether removing pods could help (only resource shortages are; preemption
   *     uses this)
   */
  public record Result(List<String> reasons, boolean resolvable) {
    public static final Result FITS = new Result(List.of(), true);

    public boolean fits() {
      return reasons.isEmpty();
    }
  }

  /**
   * Checks {@code pod} against {@code node}, counting {@code reserved} (e.g. nominated pods) as
   * requested on top of the node's pods.
   */
  public static Result check(PodInfo pod, NodeInfo node, Resources reserved) {
    var tolerations = pod.tolerations();
    if (node.unschedulable() && !Matching.tolerated(UNSCHEDULABLE_TAINT, tolerations)) {
      return new Result(List.of("node(s) were unschedulable"), false);
    }
    Taint taint = Matching.untoleratedTaint(node.taints(), tolerations);
    if (taint != null) {
      return new Result(
          List.of(
              "node(s) had untolerated taint {"
                  + taint.getKey()
                  + ": "
                  + (taint.getValue() == null ? "" : taint.getValue())
                  + "}"),
          false);
    }
    if (!Matching.nodeAffinityMatches(
        pod.nodeSelector(), pod.requiredAffinity(), node.name(), node.labels())) {
      return new Result(List.of("node(s) didn't match Pod's node affinity/selector"), false);
    }
    List<String> insufficient =
        insufficient(pod.requests(), node.allocatable(), node.requested().plus(reserved));
    return insufficient.isEmpty() ? Result.FITS : new Result(insufficient, true);
  }

  /**
   * Resource shortages of {@code request} on a node with {@code allocatable} and {@code requested}.
   */
  public static List<String> insufficient(
      Resources request, Resources allocatable, Resources requested) {
    List<String> reasons = new ArrayList<>();
    for (String name : request.names()) {
      long need = request.get(name);
      if (need <= 0) {
        continue;
      }
      if (need > allocatable.get(name) - requested.get(name)) {
        reasons.add(name.equals(Resources.PODS) ? "Too many pods" : "Insufficient " + name);
      }
    }
    return reasons;
  }

  /**
   * The FailedScheduling message: {@code 0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had
   * untolerated taint {k: v}. preemption: ...}. Reasons are counted over nodes and sorted as
   * strings, as kube-scheduler's FitError does.
   */
  public static String message(int nodeCount, Map<String, Integer> histogram, String postFilter) {
    if (nodeCount == 0) {
      return "no nodes available to schedule pods";
    }
    StringBuilder sb = new StringBuilder("0/").append(nodeCount).append(" nodes are available:");
    List<String> parts = sorted(histogram);
    if (!parts.isEmpty()) {
      sb.append(' ').append(String.join(", ", parts)).append('.');
    }
    if (postFilter != null && !postFilter.isEmpty()) {
      sb.append(' ').append(postFilter);
    }
    return sb.toString();
  }

  /**
   * {@code preemption: 0/N nodes are available: ...} from a histogram of per-node preemption
   * outcomes.
   */
  public static String preemptionMessage(int nodeCount, Map<String, Integer> histogram) {
    return "preemption: 0/"
        + nodeCount
        + " nodes are available: "
        + String.join(", ", sorted(histogram))
        + ".";
  }

  private static List<String> sorted(Map<String, Integer> histogram) {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, Integer> e : new TreeMap<>(histogram).entrySet()) {
      parts.add(e.getValue() + " " + e.getKey());
    }
    parts.sort(String::compareTo);
    return parts;
  }
}
