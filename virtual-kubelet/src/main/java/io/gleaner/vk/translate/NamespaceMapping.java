package io.gleaner.vk.translate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which member namespace holds the pods (and copied ConfigMaps/Secrets) of a metadata namespace,
 * and under which name a copied ConfigMap or Secret lives there.
 *
 * <p>Three shapes: the metadata namespace's own name ({@link #identity()}), a prefix plus that name
 * ({@link #prefixed(String)}), or one namespace for every pod ({@link #single(String)}). Overrides
 * name the member namespace of single metadata namespaces; no two metadata namespaces may share a
 * member namespace through them. In the single shape every metadata namespace shares one member
 * namespace, so copied objects are renamed by {@link #memberObjectName}; in the other shapes they
 * keep their names.
 */
public record NamespaceMapping(String prefix, Map<String, String> overrides, String single) {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  /** The longest name of a ConfigMap or Secret (a DNS-1123 subdomain). */
  static final int MAX_OBJECT_NAME = 253;

  private static final int HASH_HEX = 16;

  public NamespaceMapping {
    prefix = prefix == null ? "" : prefix;
    overrides = overrides == null ? Map.of() : Map.copyOf(overrides);
    if (!prefix.isEmpty() && !DNS_LABEL.matcher(prefix + "x").matches()) {
      throw new IllegalArgumentException(
          "namespaceMapping.prefix '" + prefix + "' does not make a DNS-1123 label");
    }
    if (single != null) {
      if (!prefix.isEmpty()) {
        throw new IllegalArgumentException(
            "namespaceMapping: a prefix and a single namespace exclude each other");
      }
      if (!DNS_LABEL.matcher(single).matches() || single.length() > 63) {
        throw new IllegalArgumentException(
            "namespaceMapping.namespace '" + single + "' is not a valid namespace name");
      }
    }
    Map<String, String> seen = new HashMap<>();
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
          if (to.equals(single)) {
            throw new IllegalArgumentException(
                "namespaceMapping.overrides['"
                    + from
                    + "'] = '"
                    + to
                    + "' is the shared namespace; an override must name a namespace of its own");
          }
          String other = seen.put(to, from);
          if (other != null) {
            throw new IllegalArgumentException(
                "namespaceMapping.overrides map both '"
                    + other
                    + "' and '"
                    + from
                    + "' to '"
                    + to
                    + "'; tenants must not share a member namespace");
          }
        });
  }

  /** Prefix and overrides, no single namespace. */
  public NamespaceMapping(String prefix, Map<String, String> overrides) {
    this(prefix, overrides, null);
  }

  /** Each metadata namespace maps to the member namespace of the same name. */
  public static NamespaceMapping identity() {
    return new NamespaceMapping("", Map.of(), null);
  }

  /** Metadata namespace {@code ns} maps to {@code prefix + ns}. */
  public static NamespaceMapping prefixed(String prefix) {
    return new NamespaceMapping(prefix, Map.of(), null);
  }

  /** Every metadata namespace maps to {@code namespace}. */
  public static NamespaceMapping single(String namespace) {
    return new NamespaceMapping("", Map.of(), namespace);
  }

  /** Whether pods of different metadata namespaces share a member namespace. */
  public boolean shared() {
    return single != null;
  }

  public String memberNamespace(String metaNamespace) {
    String mapped = overrides.get(metaNamespace);
    if (mapped != null) {
      return mapped;
    }
    if (single != null) {
      return single;
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

  /**
   * The name of the member copy of ConfigMap or Secret {@code name} of metadata namespace {@code
   * metaNamespace}. Where namespaces are not shared: the name itself. In a shared namespace: {@code
   * <metaNamespace>.<name>}, which no other pair gives (a namespace has no dots); longer than 253
   * characters it is cut and ends in {@code -} and 16 hex digits of SHA-256 of the pair, still a
   * valid DNS-1123 subdomain.
   */
  public String memberObjectName(String metaNamespace, String name) {
    if (!shared() || overrides.containsKey(metaNamespace)) {
      return name;
    }
    return qualifiedName(metaNamespace, name);
  }

  static String qualifiedName(String metaNamespace, String name) {
    String full = metaNamespace + "." + name;
    if (full.length() <= MAX_OBJECT_NAME) {
      return full;
    }
    String head = full.substring(0, MAX_OBJECT_NAME - HASH_HEX - 1);
    int end = head.length();
    while (end > 0 && (head.charAt(end - 1) == '.' || head.charAt(end - 1) == '-')) {
      end--;
    }
    return head.substring(0, end) + "-" + hash(metaNamespace + "/" + name);
  }

  private static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, HASH_HEX / 2);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }
}
