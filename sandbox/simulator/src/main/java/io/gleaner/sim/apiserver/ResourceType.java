package io.gleaner.sim.apiserver;

import java.util.List;
import java.util.Set;

/**
 * One served resource: group/version/plural and what discovery says about it.
 *
 * @param group API group, empty for the core group
 * @param version served version
 * @param plural resource name in URLs
 * @param singular singular name (kubectl uses it)
 * @param kind kind of the objects
 * @param namespaced whether objects live in namespaces
 * @param shortNames short names for kubectl
 * @param statusSubresource whether {@code /status} is a subresource (then the main endpoint ignores
 *     status changes)
 * @param fieldLabels field-selector keys this resource accepts besides {@code metadata.name}/{@code
 *     metadata.namespace}
 * @param categories discovery categories ({@code all} makes {@code kubectl get all} include it)
 */
public record ResourceType(
    String group,
    String version,
    String plural,
    String singular,
    String kind,
    boolean namespaced,
    List<String> shortNames,
    boolean statusSubresource,
    Set<String> fieldLabels,
    List<String> categories) {

  public ResourceType {
    shortNames = List.copyOf(shortNames);
    fieldLabels = Set.copyOf(fieldLabels);
    categories = List.copyOf(categories);
  }

  /** Identity is group, version and plural (cheap: types are map keys on every store call). */
  @Override
  public boolean equals(Object o) {
    return this == o
        || o instanceof ResourceType t
            && plural.equals(t.plural)
            && group.equals(t.group)
            && version.equals(t.version);
  }

  @Override
  public int hashCode() {
    return (group.hashCode() * 31 + version.hashCode()) * 31 + plural.hashCode();
  }

  /** {@code v1} or {@code group/version}. */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** {@code pods} or {@code poddisruptionbudgets.policy}, as in API error messages. */
  public String qualifiedPlural() {
    return group.isEmpty() ? plural : plural + "." + group;
  }

  /** {@code /api/v1} or {@code /apis/group/version}. */
  public String basePath() {
    return group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
  }

  public boolean is(String group, String plural) {
    return this.group.equals(group) && this.plural.equals(plural);
  }
}
