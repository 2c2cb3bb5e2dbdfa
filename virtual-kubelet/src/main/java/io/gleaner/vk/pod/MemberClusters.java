package io.gleaner.vk.pod;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The member clusters the virtual-kubelet may create pods in. Implementations must be thread-safe;
 * {@link #names()} returns a snapshot.
 */
public interface MemberClusters {
  Set<String> names();

  Optional<KubernetesClient> client(String cluster);

  /** False while the member's circuit breaker is open or its API does not answer. */
  default boolean isHealthy(String cluster) {
    return client(cluster).isPresent();
  }

  /** A fixed set of clients, e.g. in tests or until the member registry is wired. */
  static MemberClusters of(Map<String, KubernetesClient> clients) {
    return of(clients, c -> true);
  }

  static MemberClusters of(Map<String, KubernetesClient> clients, Predicate<String> healthy) {
    Map<String, KubernetesClient> copy = new TreeMap<>(clients);
    return new MemberClusters() {
      @Override
      public Set<String> names() {
        return copy.keySet();
      }

      @Override
      public Optional<KubernetesClient> client(String cluster) {
        return Optional.ofNullable(copy.get(cluster));
      }

      @Override
      public boolean isHealthy(String cluster) {
        return copy.containsKey(cluster) && healthy.test(cluster);
      }
    };
  }
}
