package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Objects;

/**
 * Observed state of a {@link MemberCluster}. The member registry writes {@code conditions} and
 * {@code lastContactTime}; the capacity aggregator writes {@code offeredCapacity}. Each writer
 * patches only its own fields (fabric8 {@code editStatus} sends a JSON Patch diff), so they never
 * overwrite each other. Avoid JSON merge patch for {@code conditions}: the fabric8 mock merges
 * lists.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MemberClusterStatus {
  @JsonPropertyDescription("Reachable and Ready, standard Kubernetes conditions.")
  private List<Condition> conditions;

  @JsonPropertyDescription("Last time a call to the member's API server succeeded (RFC 3339).")
  private String lastContactTime;

  @JsonPropertyDescription("What the member currently lends, per capacity source.")
  private OfferedCapacity offeredCapacity;

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public String getLastContactTime() {
    return lastContactTime;
  }

  public void setLastContactTime(String lastContactTime) {
    this.lastContactTime = lastContactTime;
  }

  public OfferedCapacity getOfferedCapacity() {
    return offeredCapacity;
  }

  public void setOfferedCapacity(OfferedCapacity offeredCapacity) {
    this.offeredCapacity = offeredCapacity;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MemberClusterStatus s
        && Objects.equals(conditions, s.conditions)
        && Objects.equals(lastContactTime, s.lastContactTime)
        && Objects.equals(offeredCapacity, s.offeredCapacity);
  }

  @Override
  public int hashCode() {
    return Objects.hash(conditions, lastContactTime, offeredCapacity);
  }

  @Override
  public String toString() {
    return "MemberClusterStatus{conditions="
        + conditions
        + ", lastContactTime="
        + lastContactTime
        + ", offeredCapacity="
        + offeredCapacity
        + "}";
  }
}
