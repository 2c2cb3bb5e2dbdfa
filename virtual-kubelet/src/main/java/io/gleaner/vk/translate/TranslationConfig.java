package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Installation-wide inputs of {@link MemberPodTranslator}.
 *
 * @param instance value of {@code gleaner.io/instance} on every member pod; scopes garbage
 *     collection
 * @param node the virtual node whose selectors are stripped
 * @param namespaces metadata → member namespace mapping
 * @param poolTolerations tolerations added to every member pod so it may run on lent nodes
 */
public record TranslationConfig(
    String instance,
    VirtualNode node,
    NamespaceMapping namespaces,
    List<Toleration> poolTolerations) {
  private static final Pattern LABEL_VALUE =
      Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");

  public TranslationConfig {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(namespaces, "namespaces");
    if (instance == null || instance.length() > 63 || !LABEL_VALUE.matcher(instance).matches()) {
      throw new IllegalArgumentException(
          "instance '" + instance + "' is not a valid label value (gleaner.io/instance)");
    }
    poolTolerations = poolTolerations == null ? List.of() : List.copyOf(poolTolerations);
  }

  /** The default pool toleration: any taint with key {@code gleaner.io/pool}, every effect. */
  public static List<Toleration> defaultPoolTolerations() {
    return List.of(
        new TolerationBuilder().withKey(GleanerKeys.POOL).withOperator("Exists").build());
  }

  /**
   * The default namespace prefix: metadata namespace {@code ns} runs in member namespace {@code
   * gleaner-ns}, which Gleaner creates, so no member workload shares it.
   */
  public static final String DEFAULT_PREFIX = "gleaner-";

  /** The defaults: the pool tolerations and the {@link #DEFAULT_PREFIX} namespace mapping. */
  public static TranslationConfig defaults(String instance, String nodeName) {
    return new TranslationConfig(
        instance,
        VirtualNode.named(nodeName),
        NamespaceMapping.prefixed(DEFAULT_PREFIX),
        defaultPoolTolerations());
  }
}
