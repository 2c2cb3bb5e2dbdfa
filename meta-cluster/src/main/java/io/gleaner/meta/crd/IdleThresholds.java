package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/**
 * When an online node counts as idle: its online pods (DaemonSets excluded, Gleaner pods excluded)
 * request less than these fractions of allocatable and use less than {@code cpuUsageFraction} of
 * its CPU, continuously for {@code GleanerPolicy.spec.idleAfter}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IdleThresholds {
  static final String CPU_REQUEST_DEFAULT = "0.2";
  static final String MEMORY_REQUEST_DEFAULT = "0.2";
  static final String CPU_USAGE_DEFAULT = "0.1";

  @JsonPropertyDescription(
      "Max fraction of allocatable CPU requested by online pods, 0..1. Unset: "
          + CPU_REQUEST_DEFAULT
          + ".")
  @Min(0)
  @Max(1)
  private Double cpuRequestFraction;

  @JsonPropertyDescription(
      "Max fraction of allocatable memory requested by online pods, 0..1. Unset: "
          + MEMORY_REQUEST_DEFAULT
          + ".")
  @Min(0)
  @Max(1)
  private Double memoryRequestFraction;

  @JsonPropertyDescription(
      "Max fraction of allocatable CPU actually used (metrics), 0..1. Unset: "
          + CPU_USAGE_DEFAULT
          + ".")
  @Min(0)
  @Max(1)
  private Double cpuUsageFraction;

  public IdleThresholds() {}

  public IdleThresholds(
      Double cpuRequestFraction, Double memoryRequestFraction, Double cpuUsageFraction) {
    this.cpuRequestFraction = cpuRequestFraction;
    this.memoryRequestFraction = memoryRequestFraction;
    this.cpuUsageFraction = cpuUsageFraction;
  }

  public Double getCpuRequestFraction() {
    return cpuRequestFraction;
  }

  public void setCpuRequestFraction(Double cpuRequestFraction) {
    this.cpuRequestFraction = cpuRequestFraction;
  }

  public Double getMemoryRequestFraction() {
    return memoryRequestFraction;
  }

  public void setMemoryRequestFraction(Double memoryRequestFraction) {
    this.memoryRequestFraction = memoryRequestFraction;
  }

  public Double getCpuUsageFraction() {
    return cpuUsageFraction;
  }

  public void setCpuUsageFraction(Double cpuUsageFraction) {
    this.cpuUsageFraction = cpuUsageFraction;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IdleThresholds t
        && Objects.equals(cpuRequestFraction, t.cpuRequestFraction)
        && Objects.equals(memoryRequestFraction, t.memoryRequestFraction)
        && Objects.equals(cpuUsageFraction, t.cpuUsageFraction);
  }

  @Override
  public int hashCode() {
    return Objects.hash(cpuRequestFraction, memoryRequestFraction, cpuUsageFraction);
  }
}
