package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of {@code GleanerPolicy.spec.teams}: the metadata namespaces of a team and how much of
 * the harvested pool it may take. Validated by {@link GleanerPolicySpec#validate()}; made typed
 * ({@link io.gleaner.meta.fair.Team}) by {@link GleanerPolicySpec#effective()}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TeamSpec {
  /** The team of every namespace no team lists; declare it (without namespaces) to tune it. */
  public static final String DEFAULT_TEAM = "default";

  static final String WEIGHT_DEFAULT = "1";

  /** The resources a guarantee or cap may name. */
  static final List<String> RESOURCES = List.of("cpu", "memory", "nvidia.com/gpu");

  @JsonPropertyDescription(
      "Name of the team, a DNS label. The team named \""
          + DEFAULT_TEAM
          + "\" takes every namespace no other team lists; it may be declared, without namespaces,"
          + " to set its weight, guarantee or cap.")
  @Required
  @Pattern(Validation.DNS_LABEL)
  private String name;

  @JsonPropertyDescription(
      "Metadata namespaces whose pods belong to the team; a namespace is in one team at most.")
  private List<String> namespaces;

  @JsonPropertyDescription(
      "Relative share of the harvested pool when teams compete (> 0): a team of weight 2 gets twice"
          + " the dominant share of a team of weight 1. Unset: "
          + WEIGHT_DEFAULT
          + ".")
  @Min(value = 0, inclusive = false)
  private Double weight;

  @JsonPropertyDescription(
      "Per resource (cpu, memory, nvidia.com/gpu), what the team gets before any fair turn while it"
          + " holds less, as far as the harvested pool has it, e.g. cpu: \"8\". Unset: none.")
  private Map<String, Quantity> guarantee;

  @JsonPropertyDescription(
      "Per resource (cpu, memory, nvidia.com/gpu), the most the team may hold at once; its pods wait"
          + " beyond it, e.g. nvidia.com/gpu: \"4\". Unset: no cap.")
  private Map<String, Quantity> cap;

  public TeamSpec() {}

  public TeamSpec(String name, List<String> namespaces, Double weight) {
    this.name = name;
    this.namespaces = namespaces;
    this.weight = weight;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public List<String> getNamespaces() {
    return namespaces;
  }

  public void setNamespaces(List<String> namespaces) {
    this.namespaces = namespaces;
  }

  public Double getWeight() {
    return weight;
  }

  public void setWeight(Double weight) {
    this.weight = weight;
  }

  public Map<String, Quantity> getGuarantee() {
    return guarantee;
  }

  public void setGuarantee(Map<String, Quantity> guarantee) {
    this.guarantee = guarantee;
  }

  public Map<String, Quantity> getCap() {
    return cap;
  }

  public void setCap(Map<String, Quantity> cap) {
    this.cap = cap;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TeamSpec t
        && Objects.equals(name, t.name)
        && Objects.equals(namespaces, t.namespaces)
        && Objects.equals(weight, t.weight)
        && Objects.equals(guarantee, t.guarantee)
        && Objects.equals(cap, t.cap);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, namespaces, weight, guarantee, cap);
  }
}
