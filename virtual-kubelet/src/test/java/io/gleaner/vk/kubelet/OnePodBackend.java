package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A kubelet backend for tests: one metadata pod with a member pod ({@code target}), or none; no
 * stats.
 */
final class OnePodBackend implements KubeletBackend {
  private final String namespace;
  private final String pod;
  private final Target target;

  OnePodBackend(String namespace, String pod, Target target) {
    this.namespace = namespace;
    this.pod = pod;
    this.target = target;
  }

  /** Resolves nothing: every pod has no member pod. */
  static OnePodBackend none() {
    return new OnePodBackend(null, null, null);
  }

  @Override
  public Collection<Pod> pods() {
    return List.of();
  }

  @Override
  public Optional<Target> resolve(String namespace, String pod) {
    return target != null
            && (this.namespace == null || this.namespace.equals(namespace))
            && (this.pod == null || this.pod.equals(pod))
        ? Optional.of(target)
        : Optional.empty();
  }

  @Override
  public Map<String, Object> statsSummary() {
    return Map.of();
  }

  @Override
  public String resourceMetrics() {
    return "";
  }
}
