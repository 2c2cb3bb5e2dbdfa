package io.gleaner.meta.crd;

import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.time.Durations;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link GleanerPolicySpec} with every default applied, in typed form. Build it with {@link
 * GleanerPolicySpec#effective()} or take {@link #DEFAULTS}.
 *
 * @param reserveMargins fraction 0..1 kept free per source (every source present)
 * @param nearLineReserve fraction 0..1 of the total that offline pods may not take
 * @param idle when a node counts as idle, and for how long
 * @param reclaimCooldown how long a reclaimed node waits before it can be lent again
 * @param eviction eviction rate limits per member cluster
 * @param memberUnreachableTimeout how long a member may be unreachable before its pods are failed
 * @param nodeHeadroom kept free on every lent node for the node itself
 * @param pendingTimeout how long a pod may wait for a member node with room before it is failed
 * @param teams the teams sharing the pool, and the default team of every other namespace
 * @param forecast forecast-driven lending of idle online nodes
 * @param podSecurity the Pod Security Standard level metadata pods must meet
 * @param elastic the budget of elastic capacity at peak
 */
public record EffectivePolicy(
    Map<CapacitySource, Double> reserveMargins,
    double nearLineReserve,
    Idle idle,
    Duration reclaimCooldown,
    Eviction eviction,
    Duration memberUnreachableTimeout,
    Resources nodeHeadroom,
    Duration pendingTimeout,
    Teams teams,
    Forecast forecast,
    PodSecurityLevel podSecurity,
    Elastic elastic) {

  /** Default node headroom: what the kubelet and system daemons need beyond their requests. */
  public static final Resources DEFAULT_NODE_HEADROOM =
      Resources.of(
          "cpu",
          GleanerPolicySpec.NODE_HEADROOM_CPU_DEFAULT,
          "memory",
          GleanerPolicySpec.NODE_HEADROOM_MEMORY_DEFAULT);

  /** The built-in policy, used when no GleanerPolicy exists. */
  public static final EffectivePolicy DEFAULTS = from(new GleanerPolicySpec());

  /** Idle-node detection. */
  public record Idle(
      double cpuRequestFraction,
      double memoryRequestFraction,
      double cpuUsageFraction,
      Duration after) {}

  /**
   * Forecast-driven lending.
   *
   * @param enabled false: lend purely reactively (after idleAfter), offers ignore the forecast
   * @param weekWeight weight of the same hour 7 days ago
   * @param dayWeight weight of the same hour 1 day ago
   * @param lastHourWeight weight of the last hour
   * @param safetyMargin fraction added to the weighted mix
   * @param leadTime a node whose forecast breaches within this time takes no new pods
   */
  public record Forecast(
      boolean enabled,
      double weekWeight,
      double dayWeight,
      double lastHourWeight,
      double safetyMargin,
      Duration leadTime) {
    public Forecast {
      Objects.requireNonNull(leadTime, "leadTime");
    }
  }

  /**
   * Elastic capacity at peak.
   *
   * @param maxCores the most cores held and asked for on elastic members at once; 0 = off
   * @param coreHoursPerDay core-hours Gleaner's pods may hold on elastic members per UTC day
   */
  public record Elastic(int maxCores, double coreHoursPerDay) {
    public boolean enabled() {
      return maxCores > 0 && coreHoursPerDay > 0;
    }
  }

  /** Eviction rate limits per member cluster. */
  public record Eviction(double perSecondPerCluster, int maxConcurrentPerCluster) {}

  public EffectivePolicy {
    Objects.requireNonNull(idle, "idle");
    Objects.requireNonNull(eviction, "eviction");
    Objects.requireNonNull(reclaimCooldown, "reclaimCooldown");
    Objects.requireNonNull(memberUnreachableTimeout, "memberUnreachableTimeout");
    Objects.requireNonNull(nodeHeadroom, "nodeHeadroom");
    Objects.requireNonNull(pendingTimeout, "pendingTimeout");
    Objects.requireNonNull(teams, "teams");
    Objects.requireNonNull(forecast, "forecast");
    Objects.requireNonNull(podSecurity, "podSecurity");
    Objects.requireNonNull(elastic, "elastic");
    EnumMap<CapacitySource, Double> copy = new EnumMap<>(CapacitySource.class);
    copy.putAll(reserveMargins);
    for (CapacitySource s : CapacitySource.values()) {
      if (!copy.containsKey(s)) {
        throw new IllegalArgumentException("reserveMargins: missing " + s);
      }
    }
    reserveMargins = Collections.unmodifiableMap(copy);
  }

  /** The margin of {@code source}, 0..1. */
  public double reserveMargin(CapacitySource source) {
    return reserveMargins.get(source);
  }

  /**
   * {@code usable × (1 − margin)} for {@code source}, exact to 1/10000 of the margin and rounded
   * down, so the result never exceeds what may be advertised.
   */
  public Resources afterMargin(CapacitySource source, Resources usable) {
    long keepPer10k = 10_000L - marginPer10k(reserveMargin(source));
    return usable.scale(keepPer10k, 10_000L);
  }

  private static long marginPer10k(double margin) {
    return BigDecimal.valueOf(margin)
        .movePointRight(4)
        .setScale(0, RoundingMode.CEILING)
        .longValueExact();
  }

  static EffectivePolicy from(GleanerPolicySpec spec) {
    EnumMap<CapacitySource, Double> margins = new EnumMap<>(CapacitySource.class);
    for (CapacitySource s : CapacitySource.values()) {
      Double set = spec.getReserveMargins() == null ? null : spec.getReserveMargins().get(s);
      margins.put(s, set != null ? set : ReserveMargins.defaultFor(s));
    }
    IdleThresholds t =
        spec.getIdleThresholds() == null ? new IdleThresholds() : spec.getIdleThresholds();
    Idle idle =
        new Idle(
            or(t.getCpuRequestFraction(), IdleThresholds.CPU_REQUEST_DEFAULT),
            or(t.getMemoryRequestFraction(), IdleThresholds.MEMORY_REQUEST_DEFAULT),
            or(t.getCpuUsageFraction(), IdleThresholds.CPU_USAGE_DEFAULT),
            Durations.parse(or(spec.getIdleAfter(), GleanerPolicySpec.IDLE_AFTER_DEFAULT)));
    EvictionLimits e = spec.getEviction() == null ? new EvictionLimits() : spec.getEviction();
    Eviction eviction =
        new Eviction(
            or(e.getEvictionsPerSecondPerCluster(), EvictionLimits.PER_SECOND_DEFAULT),
            e.getMaxConcurrentPerCluster() != null
                ? e.getMaxConcurrentPerCluster()
                : Integer.parseInt(EvictionLimits.MAX_CONCURRENT_DEFAULT));
    Resources headroom = DEFAULT_NODE_HEADROOM;
    if (spec.getNodeHeadroom() != null) {
      Resources.Builder b = Resources.builder();
      for (Map.Entry<String, Quantity> q : spec.getNodeHeadroom().entrySet()) {
        b.put(q.getKey(), Quantities.text(q.getValue()));
      }
      headroom = b.build();
    }
    ForecastSettings f = spec.getForecast() == null ? new ForecastSettings() : spec.getForecast();
    Forecast forecast =
        new Forecast(
            f.getEnabled() != null
                ? f.getEnabled()
                : Boolean.parseBoolean(ForecastSettings.ENABLED_DEFAULT),
            ForecastSettings.or(f.getWeekWeight(), ForecastSettings.WEEK_WEIGHT_DEFAULT),
            ForecastSettings.or(f.getDayWeight(), ForecastSettings.DAY_WEIGHT_DEFAULT),
            ForecastSettings.or(f.getLastHourWeight(), ForecastSettings.LAST_HOUR_WEIGHT_DEFAULT),
            ForecastSettings.or(f.getSafetyMargin(), ForecastSettings.SAFETY_MARGIN_DEFAULT),
            Durations.parse(or(f.getLeadTime(), ForecastSettings.LEAD_TIME_DEFAULT)));
    ElasticSettings el = spec.getElastic() == null ? new ElasticSettings() : spec.getElastic();
    String pending = spec.getPlacement() == null ? null : spec.getPlacement().getPendingTimeout();
    return new EffectivePolicy(
        margins,
        or(spec.getNearLineReserve(), GleanerPolicySpec.NEAR_LINE_RESERVE_DEFAULT),
        idle,
        Durations.parse(or(spec.getReclaimCooldown(), GleanerPolicySpec.RECLAIM_COOLDOWN_DEFAULT)),
        eviction,
        Durations.parse(
            or(
                spec.getMemberUnreachableTimeout(),
                GleanerPolicySpec.MEMBER_UNREACHABLE_TIMEOUT_DEFAULT)),
        headroom,
        Durations.parse(or(pending, PlacementSettings.PENDING_TIMEOUT_DEFAULT)),
        TeamRules.effective(spec.getTeams()),
        forecast,
        PodSecurityLevel.parse(or(spec.getPodSecurity(), GleanerPolicySpec.POD_SECURITY_DEFAULT)),
        new Elastic(
            el.getMaxCores() != null
                ? el.getMaxCores()
                : Integer.parseInt(ElasticSettings.MAX_CORES_DEFAULT),
            or(el.getCoreHoursPerDay(), ElasticSettings.CORE_HOURS_PER_DAY_DEFAULT)));
  }

  private static double or(Double value, String fallback) {
    return value != null ? value : Double.parseDouble(fallback);
  }

  private static String or(String value, String fallback) {
    return value != null ? value : fallback;
  }
}
