package io.gleaner.descheduler.execute;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Reads an API server's answer to a {@code policy/v1} Eviction. Both a PodDisruptionBudget and the
 * API server's own throttling answer 429; only the first carries a cause of type {@value
 * #DISRUPTION_BUDGET_CAUSE} (kube-apiserver's eviction REST handler adds it).
 */
final class EvictionAnswers {
  static final String DISRUPTION_BUDGET_CAUSE = "DisruptionBudget";
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  /** Tries of a throttled eviction, the first included. */
  static final int THROTTLED_ATTEMPTS = 4;

  private EvictionAnswers() {}

  /**
   * How long to wait before try {@code attempt} (1-based) of a throttled eviction: what the server
   * asked for, else 200 ms doubling; never more than 2 s, so a reclaim is not held back long.
   */
  static Duration backoff(int attempt, Optional<Duration> serverAsked) {
    Duration d = serverAsked.orElse(Duration.ofMillis(200L << Math.min(attempt - 1, 4)));
    return d.compareTo(Duration.ofSeconds(2)) > 0 ? Duration.ofSeconds(2) : d;
  }

  /** The result of an unsuccessful answer with HTTP {@code code} and the parsed {@code status}. */
  static EvictionResult classify(int code, Status status) {
    return switch (code) {
      case 404, 409 -> EvictionResult.ALREADY_GONE;
      case 429 -> byBudget(status) ? EvictionResult.BLOCKED_BY_PDB : EvictionResult.THROTTLED;
      default -> EvictionResult.FAILED;
    };
  }

  /** The Status in an answer's body; null when the body is not one. */
  static Status status(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      Object o = JSON.unmarshal(body);
      return o instanceof Status s ? s : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** How long the server asked the client to wait: the Retry-After header, else the Status. */
  static Optional<Duration> retryAfter(String header, Status status) {
    if (header != null) {
      try {
        return Optional.of(Duration.ofSeconds(Long.parseLong(header.trim())));
      } catch (NumberFormatException e) {
        // an HTTP date: fall back to the Status or our own backoff
      }
    }
    if (status != null
        && status.getDetails() != null
        && status.getDetails().getRetryAfterSeconds() != null) {
      return Optional.of(Duration.ofSeconds(status.getDetails().getRetryAfterSeconds()));
    }
    return Optional.empty();
  }

  private static boolean byBudget(Status status) {
    if (status == null || status.getDetails() == null) {
      return false;
    }
    List<StatusCause> causes = status.getDetails().getCauses();
    return causes != null
        && causes.stream().anyMatch(c -> DISRUPTION_BUDGET_CAUSE.equals(c.getReason()));
  }
}
