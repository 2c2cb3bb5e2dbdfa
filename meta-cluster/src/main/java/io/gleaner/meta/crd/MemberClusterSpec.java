package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Desired state of a {@link MemberCluster}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MemberClusterSpec {
  @JsonPropertyDescription("Secret holding the kubeconfig Gleaner uses to reach the member.")
  @Required
  private KubeconfigSecretRef kubeconfigSecretRef;

  @JsonPropertyDescription("What the member is used for: online, training, colocation, elastic.")
  @Required
  @Size(min = 1)
  // An unknown role reads as null so that validate() can name it instead of the informer failing.
  @JsonFormat(with = JsonFormat.Feature.READ_UNKNOWN_ENUM_VALUES_AS_NULL)
  private List<MemberRole> roles;

  @JsonPropertyDescription("Region of the member, e.g. eu-west-1; used for spreading.")
  private String region;

  @JsonPropertyDescription("Zone of the member, e.g. eu-west-1a; used for spreading.")
  private String zone;

  @JsonPropertyDescription("false stops Gleaner using the member: informers stop, no new pods.")
  @Default("true")
  private Boolean enabled;

  public KubeconfigSecretRef getKubeconfigSecretRef() {
    return kubeconfigSecretRef;
  }

  public void setKubeconfigSecretRef(KubeconfigSecretRef kubeconfigSecretRef) {
    this.kubeconfigSecretRef = kubeconfigSecretRef;
  }

  public List<MemberRole> getRoles() {
    return roles;
  }

  public void setRoles(List<MemberRole> roles) {
    this.roles = roles;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public String getZone() {
    return zone;
  }

  public void setZone(String zone) {
    this.zone = zone;
  }

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  /** {@code enabled}, defaulting to true. */
  public boolean effectiveEnabled() {
    return enabled == null || enabled;
  }

  /** The roles as a set (empty when unset). */
  public Set<MemberRole> roleSet() {
    return roles == null || roles.isEmpty()
        ? EnumSet.noneOf(MemberRole.class)
        : EnumSet.copyOf(roles);
  }

  /**
   * Checks what the API server's schema checks too (the mock server and old objects do not), with
   * paths from the object root ({@code spec.roles: ...}). Empty when valid.
   */
  public List<FieldError> validate() {
    List<FieldError> errors = new ArrayList<>();
    if (kubeconfigSecretRef == null) {
      errors.add(new FieldError("spec.kubeconfigSecretRef", "is required"));
    } else {
      KubeconfigSecretRef ref = kubeconfigSecretRef;
      if (ref.getName() == null || ref.getName().isEmpty()) {
        errors.add(new FieldError("spec.kubeconfigSecretRef.name", "is required"));
      } else {
        Validation.pattern(
            errors,
            "spec.kubeconfigSecretRef.name",
            ref.getName(),
            Validation.DNS_SUBDOMAIN,
            "a DNS subdomain (lower-case letters, digits, '-', '.')");
      }
      Validation.pattern(
          errors,
          "spec.kubeconfigSecretRef.namespace",
          ref.getNamespace(),
          Validation.DNS_LABEL,
          "a DNS label (lower-case letters, digits, '-')");
      Validation.pattern(
          errors,
          "spec.kubeconfigSecretRef.key",
          ref.getKey(),
          Validation.SECRET_KEY,
          "a Secret data key (letters, digits, '-', '_', '.')");
    }
    if (roles == null || roles.isEmpty()) {
      errors.add(
          new FieldError(
              "spec.roles", "must list at least one of online, training, colocation, elastic"));
    } else {
      for (int i = 0; i < roles.size(); i++) {
        if (roles.get(i) == null) {
          errors.add(
              new FieldError(
                  "spec.roles[" + i + "]", "must be one of online, training, colocation, elastic"));
        }
      }
    }
    return errors;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MemberClusterSpec s
        && Objects.equals(kubeconfigSecretRef, s.kubeconfigSecretRef)
        && Objects.equals(roles, s.roles)
        && Objects.equals(region, s.region)
        && Objects.equals(zone, s.zone)
        && Objects.equals(enabled, s.enabled);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kubeconfigSecretRef, roles, region, zone, enabled);
  }

  @Override
  public String toString() {
    return "MemberClusterSpec{"
        + kubeconfigSecretRef
        + ", roles="
        + roles
        + ", region="
        + region
        + ", zone="
        + zone
        + ", enabled="
        + enabled
        + "}";
  }
}
