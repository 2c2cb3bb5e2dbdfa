package io.gleaner.meta.kube;

import io.fabric8.kubernetes.client.Config;
import io.gleaner.meta.service.ServiceMain;

/**
 * How a Gleaner replica names itself to API servers: the {@code User-Agent} of its Kubernetes
 * clients carries its replica id ({@link ServiceMain#candidateId()}), so an API server's audit log
 * tells which replica of a service made a request when replicas share a service account.
 */
public final class ClientIdentity {
  private ClientIdentity() {}

  /** {@code gleaner (<replica id>)}, e.g. {@code gleaner (virtual-kubelet-5d9f-x2x)}. */
  public static String userAgent() {
    return "gleaner (" + ServiceMain.candidateId() + ")";
  }

  /** {@code config} with this replica's {@link #userAgent()}. */
  public static Config applyTo(Config config) {
    config.setUserAgent(userAgent());
    return config;
  }
}
