package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/** Where a member cluster's kubeconfig lives: one key of a Secret in the metadata cluster. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KubeconfigSecretRef {
  /** Key used when {@link #getKey()} is unset. */
  public static final String DEFAULT_KEY = "kubeconfig";

  @JsonPropertyDescription("Namespace of the Secret; defaults to the namespace Gleaner runs in.")
  @Pattern(Validation.DNS_LABEL)
  private String namespace;

  @JsonPropertyDescription("Name of the Secret.")
  @Required
  @Pattern(Validation.DNS_SUBDOMAIN)
  private String name;

  @JsonPropertyDescription("Key in the Secret's data holding the kubeconfig YAML.")
  @Default(DEFAULT_KEY)
  @Pattern(Validation.SECRET_KEY)
  private String key;

  public KubeconfigSecretRef() {}

  public KubeconfigSecretRef(String namespace, String name, String key) {
    this.namespace = namespace;
    this.name = name;
    this.key = key;
  }

  public String getNamespace() {
    return namespace;
  }

  public void setNamespace(String namespace) {
    this.namespace = namespace;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getKey() {
    return key;
  }

  public void setKey(String key) {
    this.key = key;
  }

  /** The key, or {@value #DEFAULT_KEY} when unset. */
  public String effectiveKey() {
    return key == null || key.isEmpty() ? DEFAULT_KEY : key;
  }

  /** The namespace, or {@code fallback} when unset. */
  public String effectiveNamespace(String fallback) {
    return namespace == null || namespace.isEmpty() ? fallback : namespace;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KubeconfigSecretRef r
        && Objects.equals(namespace, r.namespace)
        && Objects.equals(name, r.name)
        && Objects.equals(key, r.key);
  }

  @Override
  public int hashCode() {
    return Objects.hash(namespace, name, key);
  }

  @Override
  public String toString() {
    return "Secret " + namespace + "/" + name + " key " + effectiveKey();
  }
}
