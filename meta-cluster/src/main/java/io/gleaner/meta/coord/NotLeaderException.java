package io.gleaner.meta.coord;

import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * A write refused because this replica may not act now: it does not lead, or its leader lease
 * ({@link LeaderLease}) has run out. Nothing was sent; the caller retries once it leads again.
 *
 * <p>A {@link KubernetesClientException} without an HTTP code, so that code handling a failed
 * Kubernetes call handles it as one (fabric8 lets it through unwrapped from the client's
 * interceptor).
 */
public final class NotLeaderException extends KubernetesClientException {
  private static final long serialVersionUID = 1L;

  public NotLeaderException(String message) {
    super(message);
  }

  /** Whether {@code t} or one of its causes is a {@link NotLeaderException}. */
  public static boolean isCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof NotLeaderException) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }
}
