package io.gleaner.meta.informer;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * The one rule for informers Gleaner runs for as long as it runs: they never give up, except on a
 * kind that the cluster does not serve.
 *
 * <p>fabric8 stops an informer for good when its first list fails (a timeout or a 5xx past the
 * client's own retries, common on a loaded API server at start-up), and the service then runs on an
 * empty cache without saying so. Every long-lived informer is therefore made to retry with
 * fabric8's backoff, each failure logged with what was being watched: a failed list at {@code WARN}
 * (the cache is not filled yet), a broken watch of a filled cache at {@code DEBUG}.
 */
public final class Informers {
  private Informers() {}

  /** Makes {@code informer} retry every failure, first list included; returns it. */
  public static <T> SharedIndexInformer<T> keepRetrying(
      SharedIndexInformer<T> informer, Logger log, String what) {
    return keepRetrying(informer, log, what, t -> {});
  }

  /**
   * As {@link #keepRetrying(SharedIndexInformer, Logger, String)}, and tells {@code onFailure} of
   * each failure (for a status that shows the last error).
   */
  public static <T> SharedIndexInformer<T> keepRetrying(
      SharedIndexInformer<T> informer, Logger log, String what, Consumer<Throwable> onFailure) {
    informer.exceptionHandler(
        (started, t) -> {
          onFailure.accept(t);
          logFailure(log, what, started, t);
          return true;
        });
    return informer;
  }

  /**
   * For a kind that a cluster may not serve (Volcano's PodGroups where Volcano is not installed): a
   * 404 stops the informer, so its start future fails and the caller goes on without that kind;
   * every other failure is retried as {@link #keepRetrying(SharedIndexInformer, Logger, String)}
   * does.
   */
  public static <T> SharedIndexInformer<T> keepRetryingUnlessNotServed(
      SharedIndexInformer<T> informer, Logger log, String what) {
    informer.exceptionHandler(
        (started, t) -> {
          if (notServed(t)) {
            log.info("{} is not served there (404); not watched", what);
            return false;
          }
          logFailure(log, what, started, t);
          return true;
        });
    return informer;
  }

  /** Whether {@code t} is (or wraps) the API server's 404 for the watched kind. */
  public static boolean notServed(Throwable t) {
    for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
      if (c instanceof KubernetesClientException e && e.getCode() == 404) {
        return true;
      }
    }
    return false;
  }

  private static void logFailure(Logger log, String what, boolean started, Throwable t) {
    if (started) {
      log.debug("watching {} failed, retrying: {}", what, t.toString());
    } else {
      log.warn("listing {} failed, retrying: {}", what, t.toString());
    }
  }
}
