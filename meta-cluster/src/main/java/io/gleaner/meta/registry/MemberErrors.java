package io.gleaner.meta.registry;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * Which failures of a member call mean "the member is not answering" (retried, counted by the
 * circuit breaker) and which mean "the member answered no" (4xx such as 404 or 409: returned to the
 * caller at once, and proof that the member is up).
 */
public final class MemberErrors {
  private MemberErrors() {}

  /** True for no HTTP response (connect/IO/timeout), 5xx, and 429 Too Many Requests. */
  public static boolean isTransient(Throwable t) {
    if (io.gleaner.meta.coord.NotLeaderException.isCause(t)) {
      return false; // refused here, not by the member: nothing about its health
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof MemberUnavailableException) {
        return false;
      }
      if (c instanceof KubernetesClientException k && k.getCode() > 0) {
        return k.getCode() >= 500 || k.getCode() == 429;
      }
      if (c instanceof IOException
          || c instanceof TimeoutException
          || c instanceof java.util.concurrent.CancellationException) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    // A KubernetesClientException without an HTTP code and without a recognised cause is still a
    // failure to talk to the server.
    return t instanceof KubernetesClientException k && k.getCode() <= 0;
  }

  /** A one-line description for status messages: the innermost message, without stack traces. */
  public static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getMessage();
    String text = root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    return text.length() > 300 ? text.substring(0, 300) + "..." : text;
  }
}
