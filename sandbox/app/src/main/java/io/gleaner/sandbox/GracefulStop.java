package io.gleaner.sandbox;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Stops an executor the way the sandbox's loops must stop before the clusters they call close: no
 * new run starts (periodic tasks are cancelled), the run under way finishes uninterrupted, and only
 * one that outlasts {@code grace} is interrupted. An interrupted Kubernetes call fails, and the
 * loops log a failed call as a warning: stopping them with {@code shutdownNow} printed warnings
 * after every run's summary.
 */
public final class GracefulStop {
  private GracefulStop() {}

  /** Stops {@code executor}; returns whether it ended within {@code grace}. */
  public static boolean stop(ExecutorService executor, Duration grace) {
    executor.shutdown();
    try {
      if (executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        return true;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
    return false;
  }
}
