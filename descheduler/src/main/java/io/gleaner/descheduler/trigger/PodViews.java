package io.gleaner.descheduler.trigger;

import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.gleaner.descheduler.plan.Gang;
import io.gleaner.descheduler.plan.NodePod;
import io.gleaner.descheduler.plan.PendingPod;
import io.gleaner.descheduler.plan.PodClass;
import io.gleaner.descheduler.plan.Pool;
import io.gleaner.descheduler.plan.PreemptionPolicy;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.Installations;
import io.gleaner.meta.kube.KubeNodeAffinity;
import io.gleaner.meta.kube.KubeNodeSelectorTerm;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.kube.PodRequests;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Pure translations of fabric8 pods into the planner's model. */
public final class PodViews {
  private PodViews() {}

  /**
   * Whether a pod is a member pod of any Gleaner installation ({@code gleaner.io/managed=true}):
   * never online demand.
   */
  public static boolean isGleaner(Pod pod) {
    return Installations.isGleaner(pod.getMetadata().getLabels());
  }

  /**
   * Whether a pod is a member pod of the installation {@code instance} ({@code
   * gleaner.io/instance}, {@link Installations#isOwn}): the only pods this descheduler evicts.
   * Another installation's pods are load like the member's own non-online work, never victims.
   */
  public static boolean isOwn(Pod pod, String instance) {
    return Installations.isOwn(pod.getMetadata().getLabels(), instance);
  }

  /**
   * The node a pod not bound yet is pinned to by its required node affinity, as the virtual-kubelet
   * pins a member pod ({@code matchFields metadata.name In [node]} in every term): the member's
   * scheduler binds it there and nowhere else once it fits. Empty for a bound pod, or one not
   * pinned to exactly one node.
   */
  public static Optional<String> pinnedNode(Pod pod) {
    if (pod.getSpec() == null
        || isBound(pod)
        || pod.getSpec().getAffinity() == null
        || pod.getSpec().getAffinity().getNodeAffinity() == null
        || pod.getSpec()
                .getAffinity()
                .getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution()
            == null) {
      return Optional.empty();
    }
    String pinned = null;
    List<NodeSelectorTerm> terms =
        pod.getSpec()
            .getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms();
    if (terms == null || terms.isEmpty()) {
      return Optional.empty();
    }
    for (NodeSelectorTerm t : terms) {
      String here = null;
      for (NodeSelectorRequirement r :
          t.getMatchFields() == null ? List.<NodeSelectorRequirement>of() : t.getMatchFields()) {
        if ("metadata.name".equals(r.getKey())
            && "In".equals(r.getOperator())
            && r.getValues() != null
            && r.getValues().size() == 1) {
          here = r.getValues().get(0);
        }
      }
      if (here == null || pinned != null && !pinned.equals(here)) {
        return Optional.empty();
      }
      pinned = here;
    }
    return Optional.ofNullable(pinned);
  }

  /** Whether the pod is bound to a node. */
  public static boolean isBound(Pod pod) {
    return pod.getSpec() != null
        && pod.getSpec().getNodeName() != null
        && !pod.getSpec().getNodeName().isEmpty();
  }

  public static boolean isTerminating(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() != null;
  }

  /** Finished pods hold no room. */
  public static boolean isDone(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  public static String key(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }

  public static int priority(Pod pod) {
    Integer p = pod.getSpec() == null ? null : pod.getSpec().getPriority();
    return p == null ? 0 : p;
  }

  /**
   * Whether the scheduler reported the pod unschedulable: unbound, not terminating, and {@code
   * PodScheduled=False} with reason {@code Unschedulable}.
   */
  public static boolean isUnschedulable(Pod pod) {
    if (pod.getSpec() == null
        || pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty()) {
      return false;
    }
    if (isTerminating(pod)
        || isDone(pod)
        || pod.getStatus() == null
        || pod.getStatus().getConditions() == null) {
      return false;
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType())
          && "False".equals(c.getStatus())
          && "Unschedulable".equals(c.getReason())) {
        return true;
      }
    }
    return false;
  }

  /**
   * An online pod that may trigger a reclaim: not Gleaner's, priority at least {@code threshold},
   * unschedulable.
   */
  public static boolean isOnlineUnschedulable(Pod pod, int threshold) {
    return !isGleaner(pod) && priority(pod) >= threshold && isUnschedulable(pod);
  }

  /** The PodGroup a pod belongs to ({@code namespace/name}), from Volcano's annotation. */
  public static Optional<String> podGroup(Pod pod) {
    Map<String, String> a = pod.getMetadata().getAnnotations();
    String g = a == null ? null : a.get(GleanerKeys.VOLCANO_GROUP_NAME);
    return g == null || g.isEmpty()
        ? Optional.empty()
        : Optional.of(pod.getMetadata().getNamespace() + "/" + g);
  }

  /**
   * Effective requests as the scheduler counts them ({@link PodRequests}), plus {@code pods: 1}.
   */
  public static Resources requests(Pod pod) {
    return PodRequests.effectiveWithPodSlot(pod.getSpec(), PodRequests.InvalidQuantities.THROW);
  }

  /** The pending online pod as the planner sees it. */
  public static PendingPod pending(
      Pod pod, Instant unschedulableSince, Instant nominatedSince, Set<String> insufficient) {
    return pending(pod, requests(pod), unschedulableSince, nominatedSince, insufficient);
  }

  /** As above, with the pod's requests already computed. */
  public static PendingPod pending(
      Pod pod,
      Resources requests,
      Instant unschedulableSince,
      Instant nominatedSince,
      Set<String> insufficient) {
    PodSpec spec = pod.getSpec();
    List<KubeNodeSelectorTerm> terms = KubeNodeAffinity.requiredTerms(spec.getAffinity());
    List<KubeToleration> tolerations =
        spec.getTolerations() == null
            ? List.of()
            : spec.getTolerations().stream().map(KubeToleration::from).toList();
    String nominated = pod.getStatus() == null ? null : pod.getStatus().getNominatedNodeName();
    return new PendingPod(
        pod.getMetadata().getNamespace(),
        pod.getMetadata().getName(),
        pod.getMetadata().getUid(),
        requests,
        spec.getNodeSelector(),
        terms,
        tolerations,
        priority(pod),
        PreemptionPolicy.fromSpec(spec.getPreemptionPolicy()),
        Optional.ofNullable(nominated),
        nominated == null ? null : nominatedSince,
        unschedulableSince,
        insufficient);
  }

  /**
   * A pod bound to a lent node, as the installation {@code instance} sees it: a Gleaner pod only if
   * it is that installation's ({@link #isOwn}). {@code gang} is resolved by the caller (it needs
   * the PodGroup and the other members); {@code leaving} marks pods we evicted moments ago whose
   * deletion the cache has not shown yet.
   */
  public static NodePod nodePod(Pod pod, String instance, Optional<Gang> gang, boolean leaving) {
    return nodePod(pod, instance, requests(pod), gang, leaving);
  }

  /** As above, with the pod's requests already computed. */
  public static NodePod nodePod(
      Pod pod, String instance, Resources requests, Optional<Gang> gang, boolean leaving) {
    Map<String, String> labels =
        pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    boolean gleaner = isOwn(pod, instance);
    PodClass c;
    try {
      c = PodClass.fromLabel(labels.get(GleanerKeys.CLASS));
    } catch (IllegalArgumentException e) {
      c = PodClass.OFFLINE;
    }
    Long grace = pod.getSpec() == null ? null : pod.getSpec().getTerminationGracePeriodSeconds();
    return new NodePod(
        pod.getMetadata().getNamespace(),
        pod.getMetadata().getName(),
        pod.getMetadata().getUid(),
        requests,
        gleaner,
        c,
        Pool.fromLabel(labels.get(GleanerKeys.SOURCE)),
        priority(pod),
        isBound(pod) ? startTime(pod) : null, // not bound yet: no work done, none lost
        grace == null ? 30 : Math.max(0, grace),
        gleaner ? gang : Optional.empty(),
        leaving || isTerminating(pod),
        labels.get(GleanerKeys.META_UID),
        pod.getMetadata().getAnnotations() == null
            ? null
            : pod.getMetadata().getAnnotations().get(GleanerKeys.META_NAMESPACE));
  }

  static Instant startTime(Pod pod) {
    String t = pod.getStatus() == null ? null : pod.getStatus().getStartTime();
    if (t == null) {
      t = pod.getMetadata().getCreationTimestamp();
    }
    return parseTime(t);
  }

  /**
   * Parsed times by their text: every plan reads every pod's start time, and pods share their
   * seconds.
   */
  private static final java.util.Map<String, Instant> TIMES =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static final int TIMES_LIMIT = 16_384;

  /** RFC 3339 time, or null when absent or malformed. */
  public static Instant parseTime(String t) {
    if (t == null || t.isEmpty()) {
      return null;
    }
    Instant cached = TIMES.get(t);
    if (cached != null) {
      return cached;
    }
    try {
      Instant parsed = OffsetDateTime.parse(t).toInstant();
      if (TIMES.size() >= TIMES_LIMIT) {
        TIMES.clear();
      }
      TIMES.put(t, parsed);
      return parsed;
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
