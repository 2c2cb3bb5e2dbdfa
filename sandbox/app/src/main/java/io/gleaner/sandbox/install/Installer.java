package io.gleaner.sandbox.install;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * What a platform team does with {@code helm} and {@code kubectl} (README "Deploying"), done
 * through a cluster's API with the admin's credentials: apply rendered objects, read a service
 * account token Secret and build a kubeconfig from it as the member chart's install notes say.
 */
public final class Installer {
  private static final Duration TOKEN_WAIT = Duration.ofSeconds(3);

  private final Consumer<String> notes;
  private final Set<String> notServed = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Set<String> issuesNoTokens = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public Installer(Consumer<String> notes) {
    this.notes = notes == null ? s -> {} : notes;
  }

  /**
   * Applies every object in order (like {@code kubectl apply}; namespaces created as {@code
   * --create-namespace} would). Kinds the API server does not serve are reported and left out.
   */
  public void apply(KubernetesClient cluster, List<HasMetadata> objects) {
    for (HasMetadata o : objects) {
      String ns = o.getMetadata().getNamespace();
      if (ns != null && cluster.namespaces().withName(ns).get() == null) {
        cluster
            .namespaces()
            .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
            .create();
      }
      try {
        cluster.resource(o).createOr(NonDeletingOperation::update);
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          if (notServed.add(o.getKind())) {
            notes.accept(
                "this API server does not serve "
                    + o.getKind()
                    + " ("
                    + o.getApiVersion()
                    + "): not applied");
          }
        } else {
          throw e;
        }
      }
    }
  }

  /** Kinds left out because the API server does not serve them. */
  public Set<String> notServed() {
    return Set.copyOf(new TreeSet<>(notServed));
  }

  /**
   * The kubeconfig the install notes build: the cluster's server and CA, and the token of the
   * service account token Secret {@code namespace/secret}. Empty when the API server fills in no
   * token (it issues none).
   */
  public Optional<String> kubeconfigFromTokenSecret(
      KubernetesClient cluster, String adminKubeconfig, String namespace, String secret) {
    String server = cluster.getConfiguration().getMasterUrl();
    // one wait per API server tells whether it issues tokens at all
    long deadline =
        System.nanoTime() + (issuesNoTokens.contains(server) ? 0 : TOKEN_WAIT.toNanos());
    while (true) {
      Secret s = cluster.secrets().inNamespace(namespace).withName(secret).get();
      Map<String, String> data = s == null || s.getData() == null ? Map.of() : s.getData();
      if (data.containsKey("token")) {
        String token = decode(data.get("token"));
        String ca = data.containsKey("ca.crt") ? data.get("ca.crt") : null;
        return Optional.of(kubeconfig(adminKubeconfig, ca, token));
      }
      if (System.nanoTime() > deadline) {
        issuesNoTokens.add(server);
        return Optional.empty();
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
  }

  /**
   * A token Secret for {@code namespace/serviceAccount} (what the kubelet mounts into a pod as its
   * projected token), then the kubeconfig built from it.
   */
  public Optional<String> serviceAccountKubeconfig(
      KubernetesClient cluster, String adminKubeconfig, String namespace, String serviceAccount) {
    String name = serviceAccount + "-token";
    if (cluster.secrets().inNamespace(namespace).withName(name).get() == null) {
      cluster
          .secrets()
          .inNamespace(namespace)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(namespace)
                  .addToAnnotations("kubernetes.io/service-account.name", serviceAccount)
                  .endMetadata()
                  .withType("kubernetes.io/service-account-token")
                  .build())
          .create();
    }
    return kubeconfigFromTokenSecret(cluster, adminKubeconfig, namespace, name);
  }

  /** {@code kubectl config set-cluster/set-credentials/set-context}, as one file. */
  static String kubeconfig(String adminKubeconfig, String caBase64, String token) {
    io.fabric8.kubernetes.api.model.Config admin =
        Serialization.unmarshal(adminKubeconfig, io.fabric8.kubernetes.api.model.Config.class);
    var cluster = admin.getClusters().get(0).getCluster();
    String ca = caBase64 != null ? caBase64 : cluster.getCertificateAuthorityData();
    StringBuilder b = new StringBuilder();
    b.append("apiVersion: v1\nkind: Config\nclusters:\n- name: cluster\n  cluster:\n")
        .append("    server: ")
        .append(cluster.getServer())
        .append('\n');
    if (ca != null && !ca.isBlank()) {
      b.append("    certificate-authority-data: ").append(ca).append('\n');
    } else if (Boolean.TRUE.equals(cluster.getInsecureSkipTlsVerify())) {
      b.append("    insecure-skip-tls-verify: true\n");
    }
    b.append("users:\n- name: sa\n  user:\n    token: ")
        .append(token)
        .append("\ncontexts:\n- name: sa\n  context:\n    cluster: cluster\n    user: sa\n")
        .append("current-context: sa\n");
    return b.toString();
  }

  static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  static String encode(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
