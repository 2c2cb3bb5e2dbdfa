package io.gleaner.sim.scheduler;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.Map;

/**
 * What the simulated scheduler needs to know about a pod, derived once per pod version.
 *
 * @param requests effective requests: sum over containers, at least each init container, plus overhead,
 *     plus one {@code pods}
 */
public record PodInfo(String key, String namespace, String name, String uid, Pod pod, Resources requests,
    int priority, boolean preemptNever, String nodeName, String nominatedNodeName, boolean terminating,
    boolean terminal, String schedulerName, String groupName, Instant created) {

  /** Annotation Volcano uses to put a pod in a PodGroup. */
  public static final String GROUP_NAME_ANNOTATION = "scheduling.k8s.io/group-name";

  public static PodInfo of(Pod pod) {
    var meta = pod.getMetadata();
    var spec = pod.getSpec();
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    Map<String, String> annotations = meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    return new PodInfo(meta.getNamespace() + "/" + meta.getName(), meta.getNamespace(), meta.getName(),
        meta.getUid(), pod, requestsOf(pod),
        spec.getPriority() == null ? 0 : spec.getPriority(), "Never".equals(spec.getPreemptionPolicy()),
        emptyToNull(spec.getNodeName()),
        pod.getStatus() == null ? null : emptyToNull(pod.getStatus().getNominatedNodeName()),
        meta.getDeletionTimestamp() != null, "Succeeded".equals(phase) || "Failed".equals(phase),
        spec.getSchedulerName() == null ? "default-scheduler" : spec.getSchedulerName(),
        emptyToNull(annotations.get(GROUP_NAME_ANNOTATION)),
        meta.getCreationTimestamp() == null ? Instant.EPOCH : Instant.parse(meta.getCreationTimestamp()));
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** Effective requests as the scheduler computes them (requests default to limits when only limits are set). */
  public static Resources requestsOf(Pod pod) {
    Resources sum = Resources.ZERO;
    for (Container c : pod.getSpec().getContainers()) {
      sum = sum.plus(containerRequests(c));
    }
    if (pod.getSpec().getInitContainers() != null) {
      for (Container c : pod.getSpec().getInitContainers()) {
        sum = sum.max(containerRequests(c));
      }
    }
    if (pod.getSpec().getOverhead() != null) {
      sum = sum.plus(Resources.fromQuantities(pod.getSpec().getOverhead()));
    }
    return sum.with(Resources.PODS, 1);
  }

  private static Resources containerRequests(Container c) {
    if (c.getResources() == null) {
      return Resources.ZERO;
    }
    Resources limits = Resources.fromQuantities(c.getResources().getLimits());
    Resources requests = Resources.fromQuantities(c.getResources().getRequests());
    for (String name : limits.names()) {
      if (requests.get(name) == 0 && (c.getResources().getRequests() == null
          || !c.getResources().getRequests().containsKey(name))) {
        requests = requests.with(name, limits.get(name));
      }
    }
    return requests;
  }

  /** Bound to a node and still holding its resources. */
  public boolean occupiesNode() {
    return nodeName != null && !terminal;
  }
}
