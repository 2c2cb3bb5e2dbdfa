package io.gleaner.vk.translate;

import io.gleaner.meta.kube.GleanerKeys;
import java.util.Map;
import java.util.Objects;

/**
 * Identity of the virtual node: its name and the labels it carries. A metadata pod's node selector
 * and required node affinity may target these (that is how it got bound to the virtual node); such
 * requirements say nothing about member nodes and are stripped before placement and translation.
 */
public record VirtualNode(String name, Map<String, String> labels) {
  public static final String DEFAULT_NAME = "gleaner";

  public VirtualNode {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("virtual node name must not be blank");
    }
    labels = Map.copyOf(labels);
  }

  /**
   * The standard labels: {@code type=virtual-kubelet}, {@code kubernetes.io/role=agent}, hostname,
   * os and arch.
   */
  public static VirtualNode named(String name) {
    return new VirtualNode(
        name,
        Map.of(
            "type",
            "virtual-kubelet",
            "kubernetes.io/role",
            "agent",
            GleanerKeys.HOSTNAME_LABEL,
            name,
            "kubernetes.io/os",
            "linux",
            "kubernetes.io/arch",
            "amd64"));
  }

  /**
   * True when a node-selector entry {@code key=value} is satisfied by the virtual node's own
   * labels.
   */
  public boolean selects(String key, String value) {
    return value != null && value.equals(labels.get(key));
  }

  /** True when the label key is one of the virtual node's identity labels. */
  public boolean hasLabel(String key) {
    return labels.containsKey(key);
  }
}
