package io.gleaner.vk.kubelet;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/** What the kubelet API serves, provided by the pod controller and the member clients. */
public interface KubeletBackend {
  /** The metadata pods bound to the virtual node. Must not block. */
  Collection<Pod> pods();

  /** Where a metadata pod runs; empty when it has no member pod. Must not block. */
  Optional<Target> resolve(String namespace, String pod);

  /** The {@code /stats/summary} document. May block (calls member metrics APIs). */
  Map<String, Object> statsSummary();

  /** The {@code /metrics/resource} Prometheus text. May block. */
  String resourceMetrics();

  /** A member pod and the client of its cluster. */
  record Target(String cluster, KubernetesClient client, String namespace, String name) {}
}
