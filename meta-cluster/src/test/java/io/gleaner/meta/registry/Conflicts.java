package io.gleaner.meta.registry;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** Test helper: repeats a read-modify-write that lost an optimistic-concurrency race (HTTP 409). */
public final class Conflicts {
  private Conflicts() {}

  public static void retry(Runnable write) {
    for (int attempt = 1; ; attempt++) {
      try {
        write.run();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 20) {
          throw e;
        }
      }
    }
  }
}
