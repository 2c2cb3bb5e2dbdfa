package io.gleaner.vk.node;

import io.gleaner.vk.translate.VirtualNode;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How the virtual node presents itself.
 *
 * @param name Node name (default {@code gleaner})
 * @param internalIp InternalIP address; the API server reaches the kubelet API there
 * @param kubeletPort port of the kubelet API ({@code daemonEndpoints.kubeletEndpoint.Port})
 * @param kubeletVersion {@code nodeInfo.kubeletVersion}
 * @param maxPods pods capacity when the broker advertises none
 * @param extraLabels labels added to the standard ones
 */
public record NodeConfig(
    String name,
    String internalIp,
    int kubeletPort,
    String kubeletVersion,
    long maxPods,
    Map<String, String> extraLabels) {
  private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

  public NodeConfig {
    Objects.requireNonNull(name, "name");
    if (!DNS_SUBDOMAIN.matcher(name).matches() || name.length() > 253) {
      throw new IllegalArgumentException("node.name '" + name + "' is not a valid DNS subdomain");
    }
    if (internalIp == null || internalIp.isBlank()) {
      throw new IllegalArgumentException("node.internalIp must be set");
    }
    if (kubeletPort < 0 || kubeletPort > 65535) {
      throw new IllegalArgumentException("node.kubeletPort " + kubeletPort + " is not a port");
    }
    if (maxPods < 0) {
      throw new IllegalArgumentException("node.maxPods " + maxPods + " must not be negative");
    }
    kubeletVersion =
        kubeletVersion == null || kubeletVersion.isBlank() ? "v1.30.0-gleaner" : kubeletVersion;
    extraLabels = extraLabels == null ? Map.of() : Map.copyOf(extraLabels);
  }

  public static NodeConfig defaults() {
    return new NodeConfig(
        VirtualNode.DEFAULT_NAME, "127.0.0.1", 10250, "v1.30.0-gleaner", 20_000, Map.of());
  }

  public NodeConfig withKubeletPort(int port) {
    return new NodeConfig(name, internalIp, port, kubeletVersion, maxPods, extraLabels);
  }

  public NodeConfig withName(String newName) {
    return new NodeConfig(newName, internalIp, kubeletPort, kubeletVersion, maxPods, extraLabels);
  }

  public VirtualNode virtualNode() {
    return VirtualNode.named(name);
  }
}
