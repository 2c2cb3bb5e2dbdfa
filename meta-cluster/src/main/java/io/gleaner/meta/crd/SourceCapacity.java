package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.gleaner.meta.resources.Resources;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** What one capacity source currently lends from a member: resource totals and node count. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SourceCapacity {
  @JsonPropertyDescription("Usable resources offered, as Kubernetes quantities (cpu, memory, ...).")
  private Map<String, String> resources;

  @JsonPropertyDescription("Number of member nodes lent through this source.")
  private Integer nodes;

  public SourceCapacity() {}

  public SourceCapacity(Map<String, String> resources, Integer nodes) {
    this.resources = resources;
    this.nodes = nodes;
  }

  /** Builds the status form of a resource vector, keys sorted for stable output. */
  public static SourceCapacity of(Resources resources, int nodes) {
    return new SourceCapacity(new TreeMap<>(resources.toStrings()), nodes);
  }

  public Map<String, String> getResources() {
    return resources;
  }

  public void setResources(Map<String, String> resources) {
    this.resources = resources;
  }

  public Integer getNodes() {
    return nodes;
  }

  public void setNodes(Integer nodes) {
    this.nodes = nodes;
  }

  /** The resources as a vector; throws {@code InvalidQuantityException} naming a bad entry. */
  public Resources toResources() {
    return resources == null ? Resources.ZERO : Resources.parse(new LinkedHashMap<>(resources));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SourceCapacity c
        && Objects.equals(resources, c.resources)
        && Objects.equals(nodes, c.nodes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(resources, nodes);
  }

  @Override
  public String toString() {
    return "SourceCapacity{" + resources + ", nodes=" + nodes + "}";
  }
}
