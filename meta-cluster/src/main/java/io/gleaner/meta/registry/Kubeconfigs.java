package io.gleaner.meta.registry;

import io.fabric8.kubernetes.api.model.AuthInfo;
import io.fabric8.kubernetes.api.model.AuthInfoBuilder;
import io.fabric8.kubernetes.api.model.ClusterBuilder;
import io.fabric8.kubernetes.api.model.ConfigBuilder;
import io.fabric8.kubernetes.api.model.ContextBuilder;
import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.NamedClusterBuilder;
import io.fabric8.kubernetes.api.model.NamedContextBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Objects;

/**
 * Writes minimal kubeconfig files (one cluster, one user, one context, selected) that both kubectl
 * and fabric8's {@code Config.fromKubeconfig} read. Used for member Secrets and by the simulator.
 */
public final class Kubeconfigs {
  private Kubeconfigs() {}

  /**
   * A kubeconfig for {@code serverUrl} with no credentials, context and cluster named {@code
   * clusterName}. For an {@code https} server with a self-signed certificate use {@link
   * #write(String, String, String, boolean)}.
   */
  public static String write(String clusterName, String serverUrl) {
    return write(clusterName, serverUrl, null, false);
  }

  /**
   * A kubeconfig for {@code serverUrl}.
   *
   * @param token bearer token of the user, or null for none
   * @param insecureSkipTlsVerify skip server certificate checks (simulated clusters only)
   */
  public static String write(
      String clusterName, String serverUrl, String token, boolean insecureSkipTlsVerify) {
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(serverUrl, "serverUrl");
    if (clusterName.isBlank()) {
      throw new IllegalArgumentException("clusterName must not be blank");
    }
    if (!serverUrl.startsWith("http://") && !serverUrl.startsWith("https://")) {
      throw new IllegalArgumentException(
          "serverUrl must start with http:// or https://, got \"" + serverUrl + "\"");
    }
    String user = clusterName + "-user";
    AuthInfo auth = token == null ? new AuthInfo() : new AuthInfoBuilder().withToken(token).build();
    var config =
        new ConfigBuilder()
            .withApiVersion("v1")
            .withKind("Config")
            .addToClusters(
                new NamedClusterBuilder()
                    .withName(clusterName)
                    .withCluster(
                        new ClusterBuilder()
                            .withServer(serverUrl)
                            .withInsecureSkipTlsVerify(insecureSkipTlsVerify ? Boolean.TRUE : null)
                            .build())
                    .build())
            .addToUsers(new NamedAuthInfoBuilder().withName(user).withUser(auth).build())
            .addToContexts(
                new NamedContextBuilder()
                    .withName(clusterName)
                    .withContext(
                        new ContextBuilder().withCluster(clusterName).withUser(user).build())
                    .build())
            .withCurrentContext(clusterName)
            .build();
    return Serialization.asYaml(config);
  }
}
