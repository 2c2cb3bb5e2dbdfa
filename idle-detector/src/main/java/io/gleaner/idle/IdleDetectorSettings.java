package io.gleaner.idle;

import io.gleaner.idle.offer.ColocationOffers;
import io.gleaner.idle.state.IdleCriteria;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the idle-detector. Durations marked "simulated" are on the detector's clock (the
 * sandbox accelerates it); "real" ones are wall-clock and keep the process responsive whatever the
 * clock speed.
 *
 * @param criteria when an online node counts as idle
 * @param idleAfter how long a node must stay idle before it is lent (simulated, default 10 min)
 * @param cooldown how long a returned node stays unlendable (simulated, default 30 min)
 * @param nodeHeadroom kept free on every lent IDLE node
 * @param colocation co-location formula settings (reclaim ratios, metrics staleness bound)
 * @param minOffer smaller offers are withdrawn instead of published (default 100m CPU, 128Mi
 *     memory)
 * @param metricsInterval how often metrics.k8s.io is polled (simulated, default 30 s)
 * @param resyncInterval how often every node is recomputed regardless of events (simulated, default
 *     5 min)
 * @param debounce how long a changed node waits for more changes before it is recomputed (real,
 *     default 20 ms)
 * @param tick how often due timers are checked (real, default 100 ms)
 * @param sourceId this detector's identity towards the broker, e.g. {@code idle-detector/gleaner}
 * @param podMetrics also poll PodMetrics (separates Gleaner's own usage from online usage)
 * @param forecast forecast-driven lending (GleanerPolicy {@code spec.forecast})
 * @param elastic the budget of elastic capacity at peak (GleanerPolicy {@code spec.elastic})
 */
public record IdleDetectorSettings(
    IdleCriteria criteria,
    Duration idleAfter,
    Duration cooldown,
    Resources nodeHeadroom,
    ColocationOffers colocation,
    Resources minOffer,
    Duration metricsInterval,
    Duration resyncInterval,
    Duration debounce,
    Duration tick,
    String sourceId,
    boolean podMetrics,
    EffectivePolicy.Forecast forecast,
    EffectivePolicy.Elastic elastic) {

  public static final Resources DEFAULT_MIN_OFFER = Resources.of("cpu", "100m", "memory", "128Mi");

  public IdleDetectorSettings {
    Objects.requireNonNull(criteria, "criteria");
    Objects.requireNonNull(colocation, "colocation");
    nonNegative("idleAfter", idleAfter);
    nonNegative("cooldown", cooldown);
    positive("metricsInterval", metricsInterval);
    positive("resyncInterval", resyncInterval);
    nonNegative("debounce", debounce);
    positive("tick", tick);
    Objects.requireNonNull(nodeHeadroom, "nodeHeadroom");
    Objects.requireNonNull(minOffer, "minOffer");
    Objects.requireNonNull(forecast, "forecast");
    Objects.requireNonNull(elastic, "elastic");
    if (nodeHeadroom.hasNegative()) {
      throw new IllegalArgumentException("nodeHeadroom must not be negative, got " + nodeHeadroom);
    }
    if (sourceId == null || sourceId.isBlank()) {
      throw new IllegalArgumentException("sourceId must not be blank");
    }
  }

  private static void nonNegative(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, got " + d);
    }
  }

  private static void positive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }

  /**
   * The installation this detector lends for: the last segment of {@code sourceId} ({@code
   * idle-detector/<instance>}). It names the nodes it lends ({@code gleaner.io/lent-by}) and tells
   * its own member pods from another installation's.
   */
  public String instance() {
    return sourceId.substring(sourceId.lastIndexOf('/') + 1);
  }

  /**
   * The shortest life of a lend claim without renewal, whatever the resync period: the installed
   * detector resyncs every 30 s, and three of those (90 s) are outlasted by a live owner's missed
   * renewals (a slow member API server, a leader failover; in the sandbox, 1.5 real seconds).
   */
  public static final Duration MIN_CLAIM_TTL = Duration.ofMinutes(15);

  /**
   * How long a lend claim lives without renewal: three resync periods, at least {@link
   * #MIN_CLAIM_TTL} (15 min with the installed 30 s resync). Another installation's claim older
   * than this is stale (that detector is gone) and is released.
   */
  public Duration claimTtl() {
    Duration three = resyncInterval.multipliedBy(3);
    return three.compareTo(MIN_CLAIM_TTL) < 0 ? MIN_CLAIM_TTL : three;
  }

  /**
   * How old a claim may get before this detector renews it: half a resync period, so every resync
   * renews it and a live claim is never older than about one period.
   */
  public Duration claimRenewal() {
    return resyncInterval.dividedBy(2);
  }

  /** The defaults (the built-in GleanerPolicy). */
  public static IdleDetectorSettings defaults() {
    return fromPolicy(EffectivePolicy.DEFAULTS, "idle-detector/gleaner");
  }

  /** Thresholds, idleAfter, cool-down and headroom from the GleanerPolicy; the rest defaulted. */
  public static IdleDetectorSettings fromPolicy(EffectivePolicy policy, String sourceId) {
    return new IdleDetectorSettings(
        criteria(policy),
        policy.idle().after(),
        policy.reclaimCooldown(),
        policy.nodeHeadroom(),
        ColocationOffers.DEFAULTS,
        DEFAULT_MIN_OFFER,
        Duration.ofSeconds(30),
        Duration.ofMinutes(5),
        Duration.ofMillis(20),
        Duration.ofMillis(100),
        sourceId,
        true,
        policy.forecast(),
        policy.elastic());
  }

  /** This config with the GleanerPolicy's thresholds, idleAfter, cool-down and headroom. */
  public IdleDetectorSettings withPolicy(EffectivePolicy policy) {
    return new IdleDetectorSettings(
        criteria(policy),
        policy.idle().after(),
        policy.reclaimCooldown(),
        policy.nodeHeadroom(),
        colocation,
        minOffer,
        metricsInterval,
        resyncInterval,
        debounce,
        tick,
        sourceId,
        podMetrics,
        policy.forecast(),
        policy.elastic());
  }

  private static IdleCriteria criteria(EffectivePolicy policy) {
    EffectivePolicy.Idle idle = policy.idle();
    return new IdleCriteria(
        idle.cpuRequestFraction(), idle.memoryRequestFraction(), idle.cpuUsageFraction());
  }

  public IdleDetectorSettings withIdleAfter(Duration d) {
    return new IdleDetectorSettings(
        criteria,
        d,
        cooldown,
        nodeHeadroom,
        colocation,
        minOffer,
        metricsInterval,
        resyncInterval,
        debounce,
        tick,
        sourceId,
        podMetrics,
        forecast,
        elastic);
  }

  public IdleDetectorSettings withCooldown(Duration d) {
    return new IdleDetectorSettings(
        criteria,
        idleAfter,
        d,
        nodeHeadroom,
        colocation,
        minOffer,
        metricsInterval,
        resyncInterval,
        debounce,
        tick,
        sourceId,
        podMetrics,
        forecast,
        elastic);
  }

  public IdleDetectorSettings withMetricsInterval(Duration d) {
    return new IdleDetectorSettings(
        criteria,
        idleAfter,
        cooldown,
        nodeHeadroom,
        colocation,
        minOffer,
        d,
        resyncInterval,
        debounce,
        tick,
        sourceId,
        podMetrics,
        forecast,
        elastic);
  }

  public IdleDetectorSettings withResyncInterval(Duration d) {
    return new IdleDetectorSettings(
        criteria,
        idleAfter,
        cooldown,
        nodeHeadroom,
        colocation,
        minOffer,
        metricsInterval,
        d,
        debounce,
        tick,
        sourceId,
        podMetrics,
        forecast,
        elastic);
  }

  public IdleDetectorSettings withSourceId(String id) {
    return new IdleDetectorSettings(
        criteria,
        idleAfter,
        cooldown,
        nodeHeadroom,
        colocation,
        minOffer,
        metricsInterval,
        resyncInterval,
        debounce,
        tick,
        id,
        podMetrics,
        forecast,
        elastic);
  }

  public IdleDetectorSettings withColocation(ColocationOffers c) {
    return new IdleDetectorSettings(
        criteria,
        idleAfter,
        cooldown,
        nodeHeadroom,
        c,
        minOffer,
        metricsInterval,
        resyncInterval,
        debounce,
        tick,
        sourceId,
        podMetrics,
        forecast,
        elastic);
  }

  public IdleDetectorSettings withForecast(EffectivePolicy.Forecast f) {
    return new IdleDetectorSettings(
        criteria,
        idleAfter,
        cooldown,
        nodeHeadroom,
        colocation,
        minOffer,
        metricsInterval,
        resyncInterval,
        debounce,
        tick,
        sourceId,
        podMetrics,
        f,
        elastic);
  }

  public IdleDetectorSettings withElastic(EffectivePolicy.Elastic e) {
    return new IdleDetectorSettings(
        criteria,
        idleAfter,
        cooldown,
        nodeHeadroom,
        colocation,
        minOffer,
        metricsInterval,
        resyncInterval,
        debounce,
        tick,
        sourceId,
        podMetrics,
        forecast,
        e);
  }
}
