package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/** How fast the descheduler may evict Gleaner pods in one member cluster. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EvictionLimits {
  static final String PER_SECOND_DEFAULT = "10";
  static final String MAX_CONCURRENT_DEFAULT = "50";

  @JsonPropertyDescription(
      "Sustained evictions per second in one member cluster (> 0). Unset: "
          + PER_SECOND_DEFAULT
          + ".")
  @Min(value = 0, inclusive = false)
  private Double evictionsPerSecondPerCluster;

  @JsonPropertyDescription(
      "Eviction requests outstanding at once in one member cluster (>= 1). Unset: "
          + MAX_CONCURRENT_DEFAULT
          + ".")
  @Min(1)
  private Integer maxConcurrentPerCluster;

  public EvictionLimits() {}

  public EvictionLimits(Double evictionsPerSecondPerCluster, Integer maxConcurrentPerCluster) {
    this.evictionsPerSecondPerCluster = evictionsPerSecondPerCluster;
    this.maxConcurrentPerCluster = maxConcurrentPerCluster;
  }

  public Double getEvictionsPerSecondPerCluster() {
    return evictionsPerSecondPerCluster;
  }

  public void setEvictionsPerSecondPerCluster(Double evictionsPerSecondPerCluster) {
    this.evictionsPerSecondPerCluster = evictionsPerSecondPerCluster;
  }

  public Integer getMaxConcurrentPerCluster() {
    return maxConcurrentPerCluster;
  }

  public void setMaxConcurrentPerCluster(Integer maxConcurrentPerCluster) {
    this.maxConcurrentPerCluster = maxConcurrentPerCluster;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EvictionLimits l
        && Objects.equals(evictionsPerSecondPerCluster, l.evictionsPerSecondPerCluster)
        && Objects.equals(maxConcurrentPerCluster, l.maxConcurrentPerCluster);
  }

  @Override
  public int hashCode() {
    return Objects.hash(evictionsPerSecondPerCluster, maxConcurrentPerCluster);
  }
}
