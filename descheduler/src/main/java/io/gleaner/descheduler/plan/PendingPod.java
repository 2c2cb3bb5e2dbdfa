package io.gleaner.descheduler.plan;

import io.gleaner.meta.kube.KubeNodeSelectorTerm;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An online pod that the member scheduler could not place.
 *
 * @param requests effective requests including {@code pods: 1}
 * @param nominatedNode {@code status.nominatedNodeName}: native preemption is already making room
 *     there
 * @param nominatedSince when the nomination was first seen (null when not nominated)
 * @param unschedulableSince when the pod was first seen Unschedulable (the latency clock starts
 *     here)
 * @param insufficient resource names a FailedScheduling event reported as insufficient (a hint; may
 *     be empty)
 */
public record PendingPod(
    String namespace,
    String name,
    String uid,
    Resources requests,
    Map<String, String> nodeSelector,
    List<KubeNodeSelectorTerm> requiredAffinity,
    List<KubeToleration> tolerations,
    int priority,
    PreemptionPolicy preemptionPolicy,
    Optional<String> nominatedNode,
    Instant nominatedSince,
    Instant unschedulableSince,
    Set<String> insufficient) {
  public PendingPod {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    uid = uid == null ? "" : uid;
    requests = requests == null ? Resources.ZERO : requests;
    nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
    requiredAffinity = requiredAffinity == null ? List.of() : List.copyOf(requiredAffinity);
    tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    preemptionPolicy =
        preemptionPolicy == null ? PreemptionPolicy.PREEMPT_LOWER_PRIORITY : preemptionPolicy;
    nominatedNode =
        nominatedNode == null ? Optional.empty() : nominatedNode.filter(n -> !n.isEmpty());
    Objects.requireNonNull(unschedulableSince, "unschedulableSince");
    insufficient = insufficient == null ? Set.of() : Set.copyOf(insufficient);
  }

  public String key() {
    return namespace + "/" + name;
  }
}
