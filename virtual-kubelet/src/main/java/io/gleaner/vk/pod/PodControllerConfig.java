package io.gleaner.vk.pod;

import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.time.AcceleratedClock;
import java.time.Clock;
import java.time.Duration;

/**
 * Tuning of {@link PodController}. How long a member may not answer before its pods are failed is
 * the GleanerPolicy's {@code memberUnreachableTimeout}, read live ({@link
 * PodController#unreachableTimeout}), not set here.
 *
 * @param syncWorkers workers of the sync queue (validate, place, create)
 * @param statusWorkers workers of the status queue (mirror member → metadata)
 * @param deleteWorkers workers of the delete queue
 * @param retryBase first retry delay after a transient error (doubles per failure)
 * @param retryMax longest retry delay; retries never stop
 * @param noFitRetry how soon a pod without room is placed again (also on every capacity change)
 * @param memberGracePeriod grace period for member deletes that have no metadata-side grace period
 * @param gcInterval period of orphan garbage collection
 * @param gcMinAge member pods, and copies of ConfigMaps and Secrets, made or needed more recently
 *     than this (real time) are never collected: creation may be in flight, or the member cache
 *     behind
 * @param mirrorEvents re-emit member Events about pods on the metadata pods
 * @param eventsPerSecond cap on re-emitted events; the rest are counted and dropped
 * @param pendingTimeout how long a pod may wait for a member node with room before it is failed
 *     (the GleanerPolicy's {@code placement.pendingTimeout}); zero fails it at the first refusal
 */
public record PodControllerConfig(
    int syncWorkers,
    int statusWorkers,
    int deleteWorkers,
    Duration retryBase,
    Duration retryMax,
    Duration noFitRetry,
    Duration memberGracePeriod,
    Duration gcInterval,
    Duration gcMinAge,
    boolean mirrorEvents,
    int eventsPerSecond,
    Duration pendingTimeout) {
  public PodControllerConfig {
    positive("syncWorkers", syncWorkers);
    positive("statusWorkers", statusWorkers);
    positive("deleteWorkers", deleteWorkers);
    positive("retryBase", retryBase);
    positive("retryMax", retryMax);
    positive("noFitRetry", noFitRetry);
    positive("gcInterval", gcInterval);
    if (memberGracePeriod == null || memberGracePeriod.isNegative()) {
      throw new IllegalArgumentException(
          "podController.memberGracePeriod must be >= 0, got " + memberGracePeriod);
    }
    if (gcMinAge == null || gcMinAge.isNegative()) {
      throw new IllegalArgumentException("podController.gcMinAge must be >= 0, got " + gcMinAge);
    }
    if (pendingTimeout == null || pendingTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "podController.pendingTimeout must be >= 0, got " + pendingTimeout);
    }
    if (eventsPerSecond < 0) {
      throw new IllegalArgumentException(
          "podController.eventsPerSecond must be >= 0, got " + eventsPerSecond);
    }
  }

  /**
   * Workers adopting existing pods after a restart: a quarter of the sync workers, so new pods keep
   * the rest.
   */
  public int resyncWorkers() {
    return Math.max(1, syncWorkers / 4);
  }

  /**
   * {@link #gcMinAge} on {@code clock}: it bounds API and cache latency, which an accelerated clock
   * does not speed up, so on a clock n times real time it is n times as long.
   */
  public Duration gcMinAgeOn(Clock clock) {
    return clock instanceof AcceleratedClock a ? a.toSimulated(gcMinAge) : gcMinAge;
  }

  public static PodControllerConfig defaults() {
    return new PodControllerConfig(
        16,
        32,
        4,
        Duration.ofMillis(20),
        Duration.ofSeconds(60),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60),
        Duration.ofSeconds(30),
        true,
        50,
        EffectivePolicy.DEFAULTS.pendingTimeout());
  }

  public PodControllerConfig withGc(Duration interval, Duration minAge) {
    return new PodControllerConfig(
        syncWorkers,
        statusWorkers,
        deleteWorkers,
        retryBase,
        retryMax,
        noFitRetry,
        memberGracePeriod,
        interval,
        minAge,
        mirrorEvents,
        eventsPerSecond,
        pendingTimeout);
  }

  public PodControllerConfig withMirrorEvents(boolean on) {
    return new PodControllerConfig(
        syncWorkers,
        statusWorkers,
        deleteWorkers,
        retryBase,
        retryMax,
        noFitRetry,
        memberGracePeriod,
        gcInterval,
        gcMinAge,
        on,
        eventsPerSecond,
        pendingTimeout);
  }

  /** The same tuning with another pending timeout (the policy's, or a test's). */
  public PodControllerConfig withPendingTimeout(Duration d) {
    return new PodControllerConfig(
        syncWorkers,
        statusWorkers,
        deleteWorkers,
        retryBase,
        retryMax,
        noFitRetry,
        memberGracePeriod,
        gcInterval,
        gcMinAge,
        mirrorEvents,
        eventsPerSecond,
        d);
  }

  private static void positive(String key, int v) {
    if (v < 1) {
      throw new IllegalArgumentException("podController." + key + " must be >= 1, got " + v);
    }
  }

  private static void positive(String key, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException("podController." + key + " must be > 0, got " + d);
    }
  }
}
