package io.gleaner.meta.informer;

import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;

/**
 * The one rule for informers Gleaner runs for as long as it runs: they never give up.
 *
 * <p>fabric8 stops an informer for good when its first list fails (a timeout or a 5xx past the
 * client's own retries, common on a loaded API server at start-up), and the service then runs on an
 * empty cache without saying so. Every long-lived informer is therefore made to retry with
 * fabric8's backoff, each failure logged with what was being watched.
 */
public final class Informers {
  private Informers() {}

  /** Makes {@code informer} retry every failure, first list included; returns it. */
  public static <T> SharedIndexInformer<T> keepRetrying(
      SharedIndexInformer<T> informer, Logger log, String what) {
    informer.exceptionHandler(
        (started, t) -> {
          if (started) {
            log.debug("watching {} failed, retrying: {}", what, t.toString());
          } else {
            log.warn("listing {} failed, retrying: {}", what, t.toString());
          }
          return true;
        });
    return informer;
  }
}
