package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.gleaner.meta.resources.Quantities;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Desired Gleaner behaviour. Every field is optional; {@link #effective()} fills the defaults and
 * {@link #validate()} names every bad field. The defaults are the constants here and in the nested
 * types, and nowhere else: the CRD schema declares no {@code default:} (an API server would store
 * the defaults of the CRD version installed when the object was written, and Helm never upgrades a
 * chart's CRDs), each field's description names its default, taken from the same constant.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GleanerPolicySpec {
  static final String NEAR_LINE_RESERVE_DEFAULT = "0.2";
  static final String IDLE_AFTER_DEFAULT = "10m";
  static final String RECLAIM_COOLDOWN_DEFAULT = "30m";
  static final String MEMBER_UNREACHABLE_TIMEOUT_DEFAULT = "5m";
  static final String NODE_HEADROOM_CPU_DEFAULT = "200m";
  static final String NODE_HEADROOM_MEMORY_DEFAULT = "256Mi";
  static final String POD_SECURITY_DEFAULT = "baseline";

  @JsonPropertyDescription("Fraction of usable capacity kept free, per capacity source.")
  private ReserveMargins reserveMargins;

  @JsonPropertyDescription(
      "Fraction of the total that offline pods may not take, kept for near-line pods, 0..1. Unset: "
          + NEAR_LINE_RESERVE_DEFAULT
          + ".")
  @Min(0)
  @Max(1)
  private Double nearLineReserve;

  @JsonPropertyDescription("Load under which an online node counts as idle.")
  private IdleThresholds idleThresholds;

  @JsonPropertyDescription(
      "How long a node must stay under the idle thresholds before it is lent, e.g. 10m. Unset: "
          + IDLE_AFTER_DEFAULT
          + ".")
  @Pattern(Validation.DURATION_PATTERN)
  private String idleAfter;

  @JsonPropertyDescription(
      "How long a reclaimed node waits before it can be lent again, e.g. 30m. Unset: "
          + RECLAIM_COOLDOWN_DEFAULT
          + ".")
  @Pattern(Validation.DURATION_PATTERN)
  private String reclaimCooldown;

  @JsonPropertyDescription("Rate limits on evictions per member cluster.")
  private EvictionLimits eviction;

  @JsonPropertyDescription(
      "How long a member may be unreachable before its pods are failed for recreation, e.g. 5m. Unset: "
          + MEMBER_UNREACHABLE_TIMEOUT_DEFAULT
          + ".")
  @Pattern(Validation.DURATION_PATTERN)
  private String memberUnreachableTimeout;

  @JsonPropertyDescription(
      "Resources kept free on every lent node for the node itself (IDLE source), e.g. cpu: 200m."
          + " Unset: cpu "
          + NODE_HEADROOM_CPU_DEFAULT
          + ", memory "
          + NODE_HEADROOM_MEMORY_DEFAULT
          + ".")
  private Map<String, Quantity> nodeHeadroom;

  @JsonPropertyDescription("What happens to pods no member node has room for.")
  private PlacementSettings placement;

  @JsonPropertyDescription(
      "Teams that share the harvested pool fairly (weighted Dominant Resource Fairness): each lists"
          + " its metadata namespaces, a weight, and optionally a guarantee and a cap per resource."
          + " Pods of a namespace no team lists belong to the team \""
          + TeamSpec.DEFAULT_TEAM
          + "\" (weight "
          + TeamSpec.WEIGHT_DEFAULT
          + "). Unset: every pod is in the default team.")
  private List<TeamSpec> teams;

  @JsonPropertyDescription(
      "Forecast-driven lending: offers shrink to the room the forecast online peak leaves.")
  private ForecastSettings forecast;

  @JsonPropertyDescription(
      "Elastic capacity at peak (members of role elastic): a budget in cores and core-hours per"
          + " day, near-line pods only. Unset: off.")
  private ElasticSettings elastic;

  @JsonPropertyDescription(
      "The Pod Security Standard level metadata pods bound to the virtual node must meet:"
          + " privileged (no check), baseline or restricted. A pod that breaks it fails with reason "
          + "PodSecurity and the rule it breaks; member namespaces Gleaner creates carry the"
          + " matching Pod Security Admission enforce label. Unset: "
          + POD_SECURITY_DEFAULT
          + ".")
  @Pattern(PodSecurityLevel.PATTERN)
  private String podSecurity;

  public ReserveMargins getReserveMargins() {
    return reserveMargins;
  }

  public void setReserveMargins(ReserveMargins reserveMargins) {
    this.reserveMargins = reserveMargins;
  }

  public Double getNearLineReserve() {
    return nearLineReserve;
  }

  public void setNearLineReserve(Double nearLineReserve) {
    this.nearLineReserve = nearLineReserve;
  }

  public IdleThresholds getIdleThresholds() {
    return idleThresholds;
  }

  public void setIdleThresholds(IdleThresholds idleThresholds) {
    this.idleThresholds = idleThresholds;
  }

  public String getIdleAfter() {
    return idleAfter;
  }

  public void setIdleAfter(String idleAfter) {
    this.idleAfter = idleAfter;
  }

  public String getReclaimCooldown() {
    return reclaimCooldown;
  }

  public void setReclaimCooldown(String reclaimCooldown) {
    this.reclaimCooldown = reclaimCooldown;
  }

  public EvictionLimits getEviction() {
    return eviction;
  }

  public void setEviction(EvictionLimits eviction) {
    this.eviction = eviction;
  }

  public String getMemberUnreachableTimeout() {
    return memberUnreachableTimeout;
  }

  public void setMemberUnreachableTimeout(String memberUnreachableTimeout) {
    this.memberUnreachableTimeout = memberUnreachableTimeout;
  }

  public Map<String, Quantity> getNodeHeadroom() {
    return nodeHeadroom;
  }

  public void setNodeHeadroom(Map<String, Quantity> nodeHeadroom) {
    this.nodeHeadroom = nodeHeadroom;
  }

  public PlacementSettings getPlacement() {
    return placement;
  }

  public void setPlacement(PlacementSettings placement) {
    this.placement = placement;
  }

  public List<TeamSpec> getTeams() {
    return teams;
  }

  public void setTeams(List<TeamSpec> teams) {
    this.teams = teams;
  }

  public ForecastSettings getForecast() {
    return forecast;
  }

  public void setForecast(ForecastSettings forecast) {
    this.forecast = forecast;
  }

  public ElasticSettings getElastic() {
    return elastic;
  }

  public void setElastic(ElasticSettings elastic) {
    this.elastic = elastic;
  }

  public String getPodSecurity() {
    return podSecurity;
  }

  public void setPodSecurity(String podSecurity) {
    this.podSecurity = podSecurity;
  }

  /** Every bad field, each with its path from the object root; empty when valid. */
  public List<FieldError> validate() {
    List<FieldError> errors = new ArrayList<>();
    if (reserveMargins != null) {
      for (CapacitySource s : CapacitySource.values()) {
        Validation.fraction(errors, "spec.reserveMargins." + s.name(), reserveMargins.get(s));
      }
    }
    Validation.fraction(errors, "spec.nearLineReserve", nearLineReserve);
    if (idleThresholds != null) {
      Validation.fraction(
          errors, "spec.idleThresholds.cpuRequestFraction", idleThresholds.getCpuRequestFraction());
      Validation.fraction(
          errors,
          "spec.idleThresholds.memoryRequestFraction",
          idleThresholds.getMemoryRequestFraction());
      Validation.fraction(
          errors, "spec.idleThresholds.cpuUsageFraction", idleThresholds.getCpuUsageFraction());
    }
    Validation.duration(errors, "spec.idleAfter", idleAfter);
    Validation.duration(errors, "spec.reclaimCooldown", reclaimCooldown);
    Validation.duration(errors, "spec.memberUnreachableTimeout", memberUnreachableTimeout);
    if (placement != null) {
      Validation.duration(errors, "spec.placement.pendingTimeout", placement.getPendingTimeout());
    }
    if (eviction != null) {
      Validation.positive(
          errors,
          "spec.eviction.evictionsPerSecondPerCluster",
          eviction.getEvictionsPerSecondPerCluster());
      Validation.positive(
          errors, "spec.eviction.maxConcurrentPerCluster", eviction.getMaxConcurrentPerCluster());
    }
    if (nodeHeadroom != null) {
      for (Map.Entry<String, Quantity> e : new TreeMap<>(nodeHeadroom).entrySet()) {
        String path = "spec.nodeHeadroom." + e.getKey();
        if (e.getValue() == null) {
          errors.add(new FieldError(path, "must be a quantity, got null"));
          continue;
        }
        String text = Quantities.text(e.getValue());
        try {
          if (Quantities.parse(text).signum() < 0) {
            errors.add(new FieldError(path, "must not be negative, got \"" + text + "\""));
          } else {
            Quantities.parseCanonical(e.getKey(), text);
          }
        } catch (InvalidQuantityException | NumberFormatException ex) {
          errors.add(new FieldError(path, ex.getMessage()));
        }
      }
    }
    TeamRules.validate(errors, teams);
    Validation.pattern(
        errors,
        "spec.podSecurity",
        podSecurity,
        PodSecurityLevel.PATTERN,
        "one of privileged, baseline, restricted");
    if (forecast != null) {
      forecast.validate(errors, "spec.forecast");
    }
    if (elastic != null) {
      elastic.validate(errors, "spec.elastic");
    }
    return errors;
  }

  /**
   * The typed, defaulted policy.
   *
   * @throws InvalidPolicyException listing every bad field when {@link #validate()} is not empty
   */
  public EffectivePolicy effective() {
    List<FieldError> errors = validate();
    if (!errors.isEmpty()) {
      throw new InvalidPolicyException(errors);
    }
    return EffectivePolicy.from(this);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GleanerPolicySpec s
        && Objects.equals(reserveMargins, s.reserveMargins)
        && Objects.equals(nearLineReserve, s.nearLineReserve)
        && Objects.equals(idleThresholds, s.idleThresholds)
        && Objects.equals(idleAfter, s.idleAfter)
        && Objects.equals(reclaimCooldown, s.reclaimCooldown)
        && Objects.equals(eviction, s.eviction)
        && Objects.equals(memberUnreachableTimeout, s.memberUnreachableTimeout)
        && Objects.equals(nodeHeadroom, s.nodeHeadroom)
        && Objects.equals(placement, s.placement)
        && Objects.equals(teams, s.teams)
        && Objects.equals(forecast, s.forecast)
        && Objects.equals(elastic, s.elastic)
        && Objects.equals(podSecurity, s.podSecurity);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        reserveMargins,
        nearLineReserve,
        idleThresholds,
        idleAfter,
        reclaimCooldown,
        eviction,
        memberUnreachableTimeout,
        nodeHeadroom,
        placement,
        teams,
        forecast,
        elastic,
        podSecurity);
  }
}
