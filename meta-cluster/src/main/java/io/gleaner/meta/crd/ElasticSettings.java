package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import java.util.List;
import java.util.Objects;

/**
 * The budget of ELASTIC capacity: members of role {@code elastic} (a cloud cluster whose node group
 * an autoscaler grows for pending pods) are asked to scale up, and their nodes offered, only while
 * near-line pods wait for room and only within this budget. Off by default ({@code maxCores} 0).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ElasticSettings {
  static final String MAX_CORES_DEFAULT = "0";
  static final String CORE_HOURS_PER_DAY_DEFAULT = "100";

  @JsonPropertyDescription(
      "The most CPU cores Gleaner's pods hold and ask for (scale-up placeholders included) across"
          + " elastic members at once; 0 turns elastic capacity off. Unset: "
          + MAX_CORES_DEFAULT
          + ".")
  @Min(0)
  private Integer maxCores;

  @JsonPropertyDescription(
      "CPU core-hours Gleaner's pods may hold on elastic members per UTC day; once spent, nothing"
          + " more is offered or asked for until midnight (running pods finish). Unset: "
          + CORE_HOURS_PER_DAY_DEFAULT
          + ".")
  @Min(0)
  private Double coreHoursPerDay;

  public ElasticSettings() {}

  public ElasticSettings(Integer maxCores, Double coreHoursPerDay) {
    this.maxCores = maxCores;
    this.coreHoursPerDay = coreHoursPerDay;
  }

  void validate(List<FieldError> errors, String path) {
    if (maxCores != null && maxCores < 0) {
      errors.add(new FieldError(path + ".maxCores", "must be >= 0, got " + maxCores));
    }
    if (coreHoursPerDay != null
        && (coreHoursPerDay.isNaN() || coreHoursPerDay.isInfinite() || coreHoursPerDay < 0)) {
      errors.add(
          new FieldError(
              path + ".coreHoursPerDay",
              "must be a finite number >= 0, got " + Validation.plain(coreHoursPerDay)));
    }
  }

  public Integer getMaxCores() {
    return maxCores;
  }

  public void setMaxCores(Integer maxCores) {
    this.maxCores = maxCores;
  }

  public Double getCoreHoursPerDay() {
    return coreHoursPerDay;
  }

  public void setCoreHoursPerDay(Double coreHoursPerDay) {
    this.coreHoursPerDay = coreHoursPerDay;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ElasticSettings e
        && Objects.equals(maxCores, e.maxCores)
        && Objects.equals(coreHoursPerDay, e.coreHoursPerDay);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxCores, coreHoursPerDay);
  }
}
