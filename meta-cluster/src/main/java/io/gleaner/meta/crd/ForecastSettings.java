package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import java.util.List;
import java.util.Objects;

/**
 * Forecast-driven lending of idle online nodes: the idle-detector forecasts each node's and each
 * member's online peak of the next hours as {@code (weekWeight · same hour 7 days ago + dayWeight ·
 * same hour 1 day ago + lastHourWeight · last hour) / (sum of the weights) × (1 + safetyMargin)},
 * offers only the room that forecast leaves, and stops offering a node whose forecast breaches
 * within {@code leadTime}.
 *
 * <p>The default weights and margin are the ones the backtest on the bundled Alibaba 2018 curve
 * chose ({@code PeakForecastBacktestTest} in the idle-detector; figures in docs/figures.md): lowest
 * error of the compared mixes, and at margin 0.15 the fewest under-predicted hours.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ForecastSettings {
  static final String ENABLED_DEFAULT = "true";
  static final String WEEK_WEIGHT_DEFAULT = "0.1";
  static final String DAY_WEIGHT_DEFAULT = "0.3";
  static final String LAST_HOUR_WEIGHT_DEFAULT = "0.6";
  static final String SAFETY_MARGIN_DEFAULT = "0.15";
  static final String LEAD_TIME_DEFAULT = "30m";

  @JsonPropertyDescription(
      "Lend by the forecast (true) or purely reactively after idleAfter (false). Unset: "
          + ENABLED_DEFAULT
          + ".")
  private Boolean enabled;

  @JsonPropertyDescription(
      "Weight of the same hour 7 days ago, >= 0. Unset: " + WEEK_WEIGHT_DEFAULT + ".")
  @Min(0)
  private Double weekWeight;

  @JsonPropertyDescription(
      "Weight of the same hour 1 day ago, >= 0. Unset: " + DAY_WEIGHT_DEFAULT + ".")
  @Min(0)
  private Double dayWeight;

  @JsonPropertyDescription(
      "Weight of the last hour, >= 0 (at least one weight must be > 0). Unset: "
          + LAST_HOUR_WEIGHT_DEFAULT
          + ".")
  @Min(0)
  private Double lastHourWeight;

  @JsonPropertyDescription(
      "Fraction added to the weighted mix, 0..1. Unset: " + SAFETY_MARGIN_DEFAULT + ".")
  @Min(0)
  @Max(1)
  private Double safetyMargin;

  @JsonPropertyDescription(
      "A node whose forecast peak breaches its room within this time takes no new pods, so its"
          + " pods finish or move before the breach, e.g. 30m. Unset: "
          + LEAD_TIME_DEFAULT
          + ".")
  @Pattern(Validation.DURATION_PATTERN)
  private String leadTime;

  public ForecastSettings() {}

  public ForecastSettings(
      Boolean enabled,
      Double weekWeight,
      Double dayWeight,
      Double lastHourWeight,
      Double safetyMargin,
      String leadTime) {
    this.enabled = enabled;
    this.weekWeight = weekWeight;
    this.dayWeight = dayWeight;
    this.lastHourWeight = lastHourWeight;
    this.safetyMargin = safetyMargin;
    this.leadTime = leadTime;
  }

  /** Adds every bad field of this object, each path under {@code path}. */
  void validate(List<FieldError> errors, String path) {
    nonNegative(errors, path + ".weekWeight", weekWeight);
    nonNegative(errors, path + ".dayWeight", dayWeight);
    nonNegative(errors, path + ".lastHourWeight", lastHourWeight);
    double sum =
        or(weekWeight, WEEK_WEIGHT_DEFAULT)
            + or(dayWeight, DAY_WEIGHT_DEFAULT)
            + or(lastHourWeight, LAST_HOUR_WEIGHT_DEFAULT);
    if (sum == 0) {
      errors.add(
          new FieldError(
              path,
              "at least one of weekWeight, dayWeight, lastHourWeight must be greater than 0"));
    }
    Validation.fraction(errors, path + ".safetyMargin", safetyMargin);
    Validation.duration(errors, path + ".leadTime", leadTime);
  }

  private static void nonNegative(List<FieldError> errors, String path, Double value) {
    if (value != null && (value.isNaN() || value.isInfinite() || value < 0)) {
      errors.add(
          new FieldError(path, "must be a finite number >= 0, got " + Validation.plain(value)));
    }
  }

  static double or(Double value, String fallback) {
    return value != null ? value : Double.parseDouble(fallback);
  }

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public Double getWeekWeight() {
    return weekWeight;
  }

  public void setWeekWeight(Double weekWeight) {
    this.weekWeight = weekWeight;
  }

  public Double getDayWeight() {
    return dayWeight;
  }

  public void setDayWeight(Double dayWeight) {
    this.dayWeight = dayWeight;
  }

  public Double getLastHourWeight() {
    return lastHourWeight;
  }

  public void setLastHourWeight(Double lastHourWeight) {
    this.lastHourWeight = lastHourWeight;
  }

  public Double getSafetyMargin() {
    return safetyMargin;
  }

  public void setSafetyMargin(Double safetyMargin) {
    this.safetyMargin = safetyMargin;
  }

  public String getLeadTime() {
    return leadTime;
  }

  public void setLeadTime(String leadTime) {
    this.leadTime = leadTime;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ForecastSettings f
        && Objects.equals(enabled, f.enabled)
        && Objects.equals(weekWeight, f.weekWeight)
        && Objects.equals(dayWeight, f.dayWeight)
        && Objects.equals(lastHourWeight, f.lastHourWeight)
        && Objects.equals(safetyMargin, f.safetyMargin)
        && Objects.equals(leadTime, f.leadTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, weekWeight, dayWeight, lastHourWeight, safetyMargin, leadTime);
  }
}
