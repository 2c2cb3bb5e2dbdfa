package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/**
 * Fraction (0..1) of each source's usable capacity kept free and never advertised nor placed, to
 * absorb fragmentation and reclaim latency. Keys are the {@link CapacitySource} names.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ReserveMargins {
  static final String IDLE_DEFAULT = "0.1";
  static final String VOLCANO_DEFAULT = "0.1";
  static final String COLOCATION_DEFAULT = "0.15";
  static final String ELASTIC_DEFAULT = "0.05";

  @JsonProperty("IDLE")
  @JsonPropertyDescription("Margin for idle online nodes, 0..1. Unset: " + IDLE_DEFAULT + ".")
  @Min(0)
  @Max(1)
  private Double idle;

  @JsonProperty("VOLCANO")
  @JsonPropertyDescription(
      "Margin for Volcano training fragments, 0..1. Unset: " + VOLCANO_DEFAULT + ".")
  @Min(0)
  @Max(1)
  private Double volcano;

  @JsonProperty("COLOCATION")
  @JsonPropertyDescription(
      "Margin for co-location (batch-cpu/batch-memory) capacity, 0..1. Unset: "
          + COLOCATION_DEFAULT
          + ".")
  @Min(0)
  @Max(1)
  private Double colocation;

  @JsonProperty("ELASTIC")
  @JsonPropertyDescription(
      "Margin for elastic (serverless) capacity, 0..1. Unset: " + ELASTIC_DEFAULT + ".")
  @Min(0)
  @Max(1)
  private Double elastic;

  public ReserveMargins() {}

  public ReserveMargins(Double idle, Double volcano, Double colocation, Double elastic) {
    this.idle = idle;
    this.volcano = volcano;
    this.colocation = colocation;
    this.elastic = elastic;
  }

  public Double getIdle() {
    return idle;
  }

  public void setIdle(Double idle) {
    this.idle = idle;
  }

  public Double getVolcano() {
    return volcano;
  }

  public void setVolcano(Double volcano) {
    this.volcano = volcano;
  }

  public Double getColocation() {
    return colocation;
  }

  public void setColocation(Double colocation) {
    this.colocation = colocation;
  }

  public Double getElastic() {
    return elastic;
  }

  public void setElastic(Double elastic) {
    this.elastic = elastic;
  }

  /** The margin set for {@code source}, or null when unset. */
  public Double get(CapacitySource source) {
    return switch (source) {
      case IDLE -> idle;
      case VOLCANO -> volcano;
      case COLOCATION -> colocation;
      case ELASTIC -> elastic;
    };
  }

  static double defaultFor(CapacitySource source) {
    return Double.parseDouble(
        switch (source) {
          case IDLE -> IDLE_DEFAULT;
          case VOLCANO -> VOLCANO_DEFAULT;
          case COLOCATION -> COLOCATION_DEFAULT;
          case ELASTIC -> ELASTIC_DEFAULT;
        });
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReserveMargins m
        && Objects.equals(idle, m.idle)
        && Objects.equals(volcano, m.volcano)
        && Objects.equals(colocation, m.colocation)
        && Objects.equals(elastic, m.elastic);
  }

  @Override
  public int hashCode() {
    return Objects.hash(idle, volcano, colocation, elastic);
  }
}
