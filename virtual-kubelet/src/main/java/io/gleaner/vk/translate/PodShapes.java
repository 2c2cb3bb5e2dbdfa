package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.gleaner.api.v1.PodShape;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.PodRequests;
import io.gleaner.meta.time.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the broker needs to place a metadata pod: effective requests, node selector, required node
 * affinity and tolerations, with everything that only targets the virtual node removed, and the run
 * time the pod declares ({@value GleanerKeys#EXPECTED_RUNTIME}, or bounds with {@code
 * activeDeadlineSeconds}).
 */
public final class PodShapes {
  private PodShapes() {}

  /** The broker's view of the pod. */
  public static PodShape of(Pod pod, VirtualNode node) {
    PodSpec spec = pod.getSpec();
    PodShape.Builder b =
        PodShape.newBuilder().putAllRequests(PodRequests.effective(spec).toStrings());
    b.putAllNodeSelector(memberNodeSelector(spec.getNodeSelector(), node));
    for (NodeSelectorTerm term : memberRequiredTerms(spec.getAffinity(), node)) {
      io.gleaner.api.v1.NodeSelectorTerm.Builder t =
          io.gleaner.api.v1.NodeSelectorTerm.newBuilder();
      for (NodeSelectorRequirement r : nullSafe(term.getMatchExpressions())) {
        t.addMatchExpressions(
            io.gleaner.api.v1.NodeSelectorRequirement.newBuilder()
                .setKey(r.getKey())
                .setOperator(r.getOperator())
                .addAllValues(nullSafe(r.getValues())));
      }
      b.addRequiredAffinity(t);
    }
    for (Toleration t : memberTolerations(spec.getTolerations())) {
      b.addTolerations(
          io.gleaner.api.v1.Toleration.newBuilder()
              .setKey(Objects.toString(t.getKey(), ""))
              .setOperator(Objects.toString(t.getOperator(), ""))
              .setValue(Objects.toString(t.getValue(), ""))
              .setEffect(Objects.toString(t.getEffect(), "")));
    }
    expectedRuntime(pod).ifPresent(d -> b.setExpectedRuntimeSeconds(d.toSeconds()));
    return b.build();
  }

  /**
   * The run time the pod declares: {@value GleanerKeys#EXPECTED_RUNTIME} (e.g. {@code 20m}), or its
   * {@code spec.activeDeadlineSeconds}, whichever is shorter. The deadline is a bound the member's
   * kubelet enforces (the member pod keeps it, counted from its start there), so a pod that sets
   * one ends by then whatever it declares. Empty when neither is set; an annotation that is not a
   * positive duration counts as unset (a hint: a bad value places the pod as if unset).
   */
  public static Optional<Duration> expectedRuntime(Pod pod) {
    Optional<Duration> declared = declaredRuntime(pod);
    Long deadline = pod.getSpec() == null ? null : pod.getSpec().getActiveDeadlineSeconds();
    if (deadline == null || deadline <= 0) {
      return declared;
    }
    Duration bound = Duration.ofSeconds(deadline);
    return Optional.of(declared.filter(d -> d.compareTo(bound) < 0).orElse(bound));
  }

  private static Optional<Duration> declaredRuntime(Pod pod) {
    Map<String, String> ann = pod.getMetadata() == null ? null : pod.getMetadata().getAnnotations();
    String v = ann == null ? null : ann.get(GleanerKeys.EXPECTED_RUNTIME);
    if (v == null) {
      return Optional.empty();
    }
    try {
      Duration d = Durations.parse(v.strip());
      return d.isNegative() || d.isZero() ? Optional.empty() : Optional.of(d);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The node selector without the entries the virtual node itself satisfies. */
  public static Map<String, String> memberNodeSelector(
      Map<String, String> selector, VirtualNode node) {
    Map<String, String> out = new LinkedHashMap<>();
    if (selector != null) {
      selector.forEach(
          (k, v) -> {
            if (!node.selects(k, v)) {
              out.put(k, v);
            }
          });
    }
    return out;
  }

  /**
   * Required node-affinity terms with requirements about the virtual node's identity labels, and
   * field requirements on {@code metadata.name} (the virtual node's name), removed. A term that
   * becomes empty matches every node, so the whole requirement disappears.
   */
  public static List<NodeSelectorTerm> memberRequiredTerms(Affinity affinity, VirtualNode node) {
    if (affinity == null
        || affinity.getNodeAffinity() == null
        || affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
      return List.of();
    }
    List<NodeSelectorTerm> out = new ArrayList<>();
    for (NodeSelectorTerm term :
        nullSafe(
            affinity
                .getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms())) {
      List<NodeSelectorRequirement> kept = new ArrayList<>();
      for (NodeSelectorRequirement r : nullSafe(term.getMatchExpressions())) {
        if (!node.hasLabel(r.getKey())) {
          kept.add(r);
        }
      }
      if (kept.isEmpty()) {
        return List.of();
      }
      out.add(new NodeSelectorTerm(kept, List.of()));
    }
    return out;
  }

  /**
   * Tolerations minus the ones that are about the virtual node: its own taint (it means nothing in
   * a member) and the not-ready/unreachable {@code NoExecute} ones (they keep the metadata pod on a
   * virtual node whose heartbeat lapsed; a member pod on a dead member node should be evicted after
   * the member's default, so it is recreated elsewhere).
   */
  public static List<Toleration> memberTolerations(List<Toleration> tolerations) {
    List<Toleration> out = new ArrayList<>();
    for (Toleration t : nullSafe(tolerations)) {
      boolean nodeFailure =
          NodeFailureTolerations.KEYS.contains(t.getKey())
              && (t.getEffect() == null
                  || t.getEffect().isEmpty()
                  || "NoExecute".equals(t.getEffect()));
      if (!GleanerKeys.VIRTUAL_NODE_TAINT_KEY.equals(t.getKey()) && !nodeFailure) {
        out.add(t);
      }
    }
    return out;
  }

  static <T> List<T> nullSafe(List<T> list) {
    return list == null ? List.of() : list;
  }
}
