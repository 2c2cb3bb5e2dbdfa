package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link GleanerPolicy}: whether its spec is valid, and which generation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GleanerPolicyStatus {
  @JsonPropertyDescription(
      "Valid=True when the spec passed validation, else False naming each bad field.")
  private List<Condition> conditions;

  @JsonPropertyDescription("The metadata.generation the conditions describe.")
  private Long observedGeneration;

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GleanerPolicyStatus s
        && Objects.equals(conditions, s.conditions)
        && Objects.equals(observedGeneration, s.observedGeneration);
  }

  @Override
  public int hashCode() {
    return Objects.hash(conditions, observedGeneration);
  }
}
