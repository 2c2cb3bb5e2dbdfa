package io.gleaner.vk.kubelet;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Meter names of the kubelet API, fixed; what varies is in tags. {@code
 * gleaner.vk.kubelet.requests}: every request by {@code endpoint} (healthz, pods, containerLogs,
 * exec, stats, metrics, other) and {@code status} (2xx, 4xx, 5xx, or 101 for an accepted exec
 * upgrade). {@code gleaner.vk.kubelet.exec_sessions}: finished exec sessions by member {@code
 * cluster} and {@code outcome}: success, exit_nonzero, failure (the member said so), relay_failure
 * (the member could not be reached, refused, or ended without a status), client_closed.
 */
public final class KubeletMetrics {
  public static final String REQUESTS = "gleaner.vk.kubelet.requests";
  public static final String EXEC_SESSIONS = "gleaner.vk.kubelet.exec_sessions";

  private final MeterRegistry registry;

  public KubeletMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void request(String endpoint, int status) {
    String s = status == 101 ? "101" : (status / 100) + "xx";
    Counter.builder(REQUESTS)
        .tag("endpoint", endpoint)
        .tag("status", s)
        .register(registry)
        .increment();
  }

  void execSession(String cluster, String outcome) {
    Counter.builder(EXEC_SESSIONS)
        .tag("cluster", cluster)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** The endpoint tag of a request path. */
  static String endpoint(String path) {
    if (path.equals("/healthz")) {
      return "healthz";
    }
    if (path.startsWith("/pods")) {
      return "pods";
    }
    if (path.startsWith("/containerLogs/")) {
      return "containerLogs";
    }
    if (path.startsWith("/exec/")) {
      return "exec";
    }
    if (path.startsWith("/stats/")) {
      return "stats";
    }
    if (path.startsWith("/metrics/")) {
      return "metrics";
    }
    return "other";
  }
}
