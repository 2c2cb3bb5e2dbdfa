package io.gleaner.vk.translate;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which member namespace holds the pods (and copied ConfigMaps/Secrets) of a metadata namespace.
 * The default keeps the name; a prefix and per-namespace overrides can keep tenants of the metadata
 * cluster apart from members' own workloads.
 */
public record NamespaceMapping(String prefix, Map<String, String> overrides) {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  public NamespaceMapping {
    prefix = prefix == null ? "" : prefix;
    overrides = overrides == null ? Map.of() : Map.copyOf(overrides);
    if (!prefix.isEmpty() && !DNS_LABEL.matcher(prefix + "x").matches()) {
      throw new IllegalArgumentException(
          "namespaceMapping.prefix '" + prefix + "' does not make a DNS-1123 label");
    }
    overrides.forEach(
        (from, to) -> {
          if (!DNS_LABEL.matcher(to).matches() || to.length() > 63) {
            throw new IllegalArgumentException(
                "namespaceMapping.overrides['"
                    + from
                    + "'] = '"
                    + to
                    + "' is not a valid namespace name");
          }
        });
  }

  public static NamespaceMapping identity() {
    return new NamespaceMapping("", Map.of());
  }

  public String memberNamespace(String metaNamespace) {
    String mapped = overrides.get(metaNamespace);
    if (mapped != null) {
      return mapped;
    }
    String name = prefix + metaNamespace;
    if (name.length() > 63) {
      throw new IllegalArgumentException(
          "member namespace '"
              + name
              + "' for metadata namespace '"
              + metaNamespace
              + "' is longer than 63 characters; add a namespaceMapping override");
    }
    return name;
  }
}
