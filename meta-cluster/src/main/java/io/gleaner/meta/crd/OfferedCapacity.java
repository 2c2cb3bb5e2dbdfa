package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Summary of what a member currently lends, per {@link CapacitySource}, written to {@code
 * MemberCluster.status.offeredCapacity} by whoever aggregates offers (the broker). Informational:
 * nothing reads it back to make decisions.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OfferedCapacity {
  @JsonPropertyDescription("Per capacity source (IDLE, VOLCANO, COLOCATION, ELASTIC).")
  private Map<String, SourceCapacity> sources;

  @JsonPropertyDescription("Sum over all sources.")
  private SourceCapacity total;

  @JsonPropertyDescription("When this summary was computed (RFC 3339).")
  private String updateTime;

  public OfferedCapacity() {}

  /** Builds a summary from per-source vectors and node counts; total is their sum. */
  public static OfferedCapacity of(
      Map<CapacitySource, Resources> resources, Map<CapacitySource, Integer> nodes, Instant at) {
    OfferedCapacity c = new OfferedCapacity();
    Map<String, SourceCapacity> bySource = new TreeMap<>();
    Resources sum = Resources.ZERO;
    int nodeSum = 0;
    Map<CapacitySource, Resources> sorted = new EnumMap<>(CapacitySource.class);
    sorted.putAll(resources);
    for (Map.Entry<CapacitySource, Resources> e : sorted.entrySet()) {
      int n = nodes.getOrDefault(e.getKey(), 0);
      bySource.put(e.getKey().name(), SourceCapacity.of(e.getValue(), n));
      sum = sum.plus(e.getValue());
      nodeSum += n;
    }
    c.sources = bySource;
    c.total = SourceCapacity.of(sum, nodeSum);
    c.updateTime = Conditions.timestamp(at);
    return c;
  }

  public Map<String, SourceCapacity> getSources() {
    return sources;
  }

  public void setSources(Map<String, SourceCapacity> sources) {
    this.sources = sources;
  }

  public SourceCapacity getTotal() {
    return total;
  }

  public void setTotal(SourceCapacity total) {
    this.total = total;
  }

  public String getUpdateTime() {
    return updateTime;
  }

  public void setUpdateTime(String updateTime) {
    this.updateTime = updateTime;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OfferedCapacity c
        && Objects.equals(sources, c.sources)
        && Objects.equals(total, c.total)
        && Objects.equals(updateTime, c.updateTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(sources, total, updateTime);
  }

  @Override
  public String toString() {
    return "OfferedCapacity{" + sources + ", total=" + total + ", at=" + updateTime + "}";
  }
}
