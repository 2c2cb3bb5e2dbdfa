package io.gleaner.meta.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import java.util.Objects;

/** How the virtual node treats pods no member node has room for. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlacementSettings {
  static final String PENDING_TIMEOUT_DEFAULT = "10m";

  @JsonPropertyDescription(
      "How long a pod bound to the virtual node may wait for a member node with room before it is"
          + " failed (reason NoMemberFit), e.g. 10m; 0 fails it at the first refusal. A pod no"
          + " member node could ever hold fails at once. Unset: "
          + PENDING_TIMEOUT_DEFAULT
          + ".")
  @Pattern(Validation.DURATION_PATTERN)
  private String pendingTimeout;

  public PlacementSettings() {}

  public PlacementSettings(String pendingTimeout) {
    this.pendingTimeout = pendingTimeout;
  }

  public String getPendingTimeout() {
    return pendingTimeout;
  }

  public void setPendingTimeout(String pendingTimeout) {
    this.pendingTimeout = pendingTimeout;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PlacementSettings p && Objects.equals(pendingTimeout, p.pendingTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hashCode(pendingTimeout);
  }
}
