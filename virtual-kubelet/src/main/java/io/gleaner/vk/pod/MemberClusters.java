package io.gleaner.vk.pod;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberListener;
import io.gleaner.meta.registry.MemberRegistry;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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

  /**
   * Whether the member is leaving the federation (its MemberCluster is being deleted): it gets no
   * new pods and Gleaner's pods there are taken out ({@link MemberDrain}).
   */
  default boolean isLeaving(String cluster) {
    return false;
  }

  /**
   * The members marked for deletion, including any no longer connected (its kubeconfig went first):
   * these too must be let go.
   */
  default Set<String> leaving() {
    return Set.of();
  }

  /**
   * The member's finalizers as last seen, or empty when the set does not come from MemberCluster
   * objects (then Gleaner puts none on it).
   */
  default Optional<java.util.List<String>> finalizers(String cluster) {
    return Optional.empty();
  }

  /**
   * Calls {@code listener} (it must not block) whenever a member is added, changed, removed or
   * reconnected, so that the caller looks at {@link #names()} and {@link #client} again. A fixed
   * set never calls it.
   */
  default void addChangeListener(Runnable listener) {}

  /**
   * The usable members of {@code registry}, as they come and go: every member with a handle, its
   * current client (a new one after its kubeconfig changed), healthy while its breaker is closed
   * and its API answers.
   */
  static MemberClusters of(MemberRegistry registry) {
    return new MemberClusters() {
      @Override
      public Set<String> names() {
        Set<String> names = new TreeSet<>();
        registry.members().forEach(m -> names.add(m.name()));
        return names;
      }

      @Override
      public Optional<KubernetesClient> client(String cluster) {
        return registry.member(cluster).map(MemberHandle::kubernetes);
      }

      @Override
      public boolean isHealthy(String cluster) {
        return registry.member(cluster).map(MemberHandle::isHealthy).orElse(false);
      }

      @Override
      public boolean isLeaving(String cluster) {
        return registry.resource(cluster).map(MemberHandle::isLeaving).orElse(false);
      }

      @Override
      public Set<String> leaving() {
        return registry.leaving();
      }

      @Override
      public Optional<java.util.List<String>> finalizers(String cluster) {
        return registry
            .resource(cluster)
            .map(
                m -> {
                  java.util.List<String> f = m.getMetadata().getFinalizers();
                  return f == null ? java.util.List.<String>of() : f;
                });
      }

      @Override
      public void addChangeListener(Runnable listener) {
        registry.addListener(
            new MemberListener() {
              @Override
              public void memberAdded(MemberHandle member) {
                listener.run();
              }

              @Override
              public void memberUpdated(MemberHandle member) {
                listener.run();
              }

              @Override
              public void memberRemoved(MemberHandle member) {
                listener.run();
              }
            });
      }
    };
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
