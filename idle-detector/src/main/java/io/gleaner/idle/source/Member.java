package io.gleaner.idle.source;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.meta.crd.MemberRole;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One member cluster as the detector sees it: a name, roles, a client for informers and metrics,
 * and a resilient path for writes. Backed by a registry {@code MemberHandle} or, without a
 * registry, by a plain client ({@link Members#direct}).
 */
public interface Member {
  String name();

  Set<MemberRole> roles();

  /** The raw client, for informers and metrics polls. */
  KubernetesClient kubernetes();

  /**
   * Runs a write through the member's resilience wrapper (retry, rate limit, circuit breaker) where
   * there is one. Blocks; throws what the call threw.
   */
  void write(String operation, Consumer<KubernetesClient> call);

  /** Tracks an informer so it stops with the member's connection; returns it. */
  <T extends HasMetadata> SharedIndexInformer<T> track(SharedIndexInformer<T> informer);

  /** The member answers calls (breaker closed, recent success); always true without a registry. */
  boolean healthy();

  /** Why it is not healthy, for {@code MemberHealth.message}. */
  default String healthMessage() {
    return healthy() ? "" : "member does not answer";
  }
}
