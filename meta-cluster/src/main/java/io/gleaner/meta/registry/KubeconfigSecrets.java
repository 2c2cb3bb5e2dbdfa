package io.gleaner.meta.registry;

import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.meta.crd.KubeconfigSecretRef;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** Reads a member's kubeconfig from its Secret and checks it, with errors that name the Secret. */
final class KubeconfigSecrets {
  private KubeconfigSecrets() {}

  /** Outcome of reading a kubeconfig Secret. */
  sealed interface Result {}

  /** A usable kubeconfig; {@code fingerprint} changes when the connection must be rebuilt. */
  record Loaded(Config config, String fingerprint) implements Result {}

  /** Why no client can be built; becomes a {@link MemberObservation.ConnectFailed}. */
  record Failed(String reason, String message) implements Result {}

  static final int INFORMER_RETRY_INTERVAL_MILLIS = 250;

  static Result load(
      KubernetesClient meta,
      KubeconfigSecretRef ref,
      String defaultNamespace,
      MemberClientConfig clientConfig) {
    String namespace = ref.effectiveNamespace(defaultNamespace);
    String key = ref.effectiveKey();
    String where = "Secret " + namespace + "/" + ref.getName();
    Secret secret;
    try {
      secret = meta.secrets().inNamespace(namespace).withName(ref.getName()).get();
    } catch (KubernetesClientException e) {
      return new Failed(
          "SecretUnreadable", where + " could not be read: " + MemberErrors.describe(e));
    }
    if (secret == null) {
      return new Failed("SecretNotFound", where + " not found");
    }
    Optional<String> text;
    try {
      text = value(secret, key);
    } catch (IllegalArgumentException e) {
      return new Failed("InvalidKubeconfig", where + " key \"" + key + "\" is not valid base64");
    }
    if (text.isEmpty()) {
      TreeSet<String> keys = new TreeSet<>();
      if (secret.getData() != null) {
        keys.addAll(secret.getData().keySet());
      }
      if (secret.getStringData() != null) {
        keys.addAll(secret.getStringData().keySet());
      }
      return new Failed(
          "SecretKeyMissing", where + " has no key \"" + key + "\" (keys: " + keys + ")");
    }
    return parse(text.get(), where + " key \"" + key + "\"", clientConfig);
  }

  /** The key's value, decoded; throws IllegalArgumentException for bad base64. */
  private static Optional<String> value(Secret secret, String key) {
    Map<String, String> data = secret.getData();
    if (data != null && data.get(key) != null) {
      return Optional.of(
          new String(Base64.getMimeDecoder().decode(data.get(key)), StandardCharsets.UTF_8));
    }
    Map<String, String> stringData = secret.getStringData();
    return stringData == null ? Optional.empty() : Optional.ofNullable(stringData.get(key));
  }

  static Result parse(String kubeconfig, String where, MemberClientConfig clientConfig) {
    io.fabric8.kubernetes.api.model.Config parsed;
    try {
      parsed = Serialization.unmarshal(kubeconfig, io.fabric8.kubernetes.api.model.Config.class);
    } catch (RuntimeException e) {
      return new Failed(
          "InvalidKubeconfig", where + " is not a kubeconfig: " + MemberErrors.describe(e));
    }
    if (parsed == null || parsed.getClusters() == null || parsed.getClusters().isEmpty()) {
      return new Failed("InvalidKubeconfig", where + " is not a kubeconfig: no clusters");
    }
    String current = parsed.getCurrentContext();
    if (current == null || current.isEmpty()) {
      return new Failed("InvalidKubeconfig", where + ": current-context is not set");
    }
    Optional<NamedContext> context =
        parsed.getContexts() == null
            ? Optional.empty()
            : parsed.getContexts().stream().filter(c -> current.equals(c.getName())).findFirst();
    if (context.isEmpty() || context.get().getContext() == null) {
      return new Failed(
          "InvalidKubeconfig",
          where + ": current-context \"" + current + "\" is not among the contexts");
    }
    String clusterName = context.get().getContext().getCluster();
    Optional<NamedCluster> cluster =
        parsed.getClusters().stream()
            .filter(c -> c.getName() != null && c.getName().equals(clusterName))
            .findFirst();
    if (cluster.isEmpty()
        || cluster.get().getCluster() == null
        || cluster.get().getCluster().getServer() == null
        || cluster.get().getCluster().getServer().isBlank()) {
      return new Failed(
          "InvalidKubeconfig",
          where + ": cluster \"" + clusterName + "\" of context \"" + current + "\" has no server");
    }
    Config config;
    try {
      config = Config.fromKubeconfig(kubeconfig);
    } catch (RuntimeException e) {
      return new Failed(
          "InvalidKubeconfig", where + " cannot be used: " + MemberErrors.describe(e));
    }
    // Our Retry decides about retries; fabric8's own backoff would hide failures from the breaker.
    config.setRequestRetryBackoffLimit(0);
    config.setConnectionTimeout((int) clientConfig.connectTimeout().toMillis());
    config.setRequestTimeout((int) clientConfig.requestTimeout().toMillis());
    // An informer that cannot list retries after this interval, doubled per failure up to 32
    // times it: a member that answers again is listed within 8 s, not fabric8's default 32 s.
    config.setWatchReconnectInterval(INFORMER_RETRY_INTERVAL_MILLIS);
    return new Loaded(config, kubeconfig);
  }
}
