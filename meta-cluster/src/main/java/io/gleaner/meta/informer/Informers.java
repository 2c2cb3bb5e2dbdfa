package io.gleaner.meta.informer;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.meta.kube.ServedKinds;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The one rule for informers Gleaner runs for as long as it runs: they never give up, and a kind
 * that a cluster may not serve is watched only where API discovery says it is served.
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
   * Starts an informer of a kind that a cluster may not serve (Volcano's PodGroups where Volcano is
   * not installed) only where API discovery says the kind is served ({@link ServedKinds}); where it
   * is not, logs one INFO line and starts nothing, so no list meets a 404 (fabric8 logs an informer
   * that stops on one as an ERROR with its stack). Discovery is asked with no thread waiting, and
   * asked again while the cluster does not answer; the informer, once started, retries every
   * failure as {@link #keepRetrying(SharedIndexInformer, Logger, String)} does.
   *
   * @param open whether the caller still wants the informer (false once it closed: nothing more is
   *     asked or started)
   * @param informer makes the unstarted informer and keeps it for closing, or returns null once the
   *     caller closed; called at most once, only where the kind is served
   * @return completes with true once the informer has listed, with false where the kind is not
   *     served or the caller closed first; never exceptionally
   */
  public static <T> CompletableFuture<Boolean> startIfServed(
      KubernetesClient client,
      ResourceDefinitionContext kind,
      BooleanSupplier open,
      Supplier<SharedIndexInformer<T>> informer,
      Logger log,
      String what) {
    return ServedKinds.ask(
            client,
            kind,
            open,
            t ->
                log.debug(
                    "asking whether {} is served failed, asking again: {}", what, t.toString()))
        .thenCompose(
            answer -> {
              if (!answer.served()) {
                log.info("{}: not served there ({}), not watched", what, answer.why());
                return CompletableFuture.completedFuture(false);
              }
              SharedIndexInformer<T> started = informer.get();
              if (started == null) {
                return CompletableFuture.completedFuture(false);
              }
              keepRetrying(started, log, what);
              return started.start().toCompletableFuture().thenApply(v -> true);
            })
        .exceptionally(t -> false);
  }

  private static void logFailure(Logger log, String what, boolean started, Throwable t) {
    if (started) {
      log.debug("watching {} failed, retrying: {}", what, t.toString());
    } else {
      log.warn("listing {} failed, retrying: {}", what, t.toString());
    }
  }
}
