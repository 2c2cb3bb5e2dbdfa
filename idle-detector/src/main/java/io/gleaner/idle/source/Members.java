package io.gleaner.idle.source;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberHealth;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/** Factories of {@link Member}. */
public final class Members {
  private Members() {}

  /**
   * A member backed by the registry's handle: writes go through its breaker, retry and rate
   * limiter.
   */
  public static Member of(MemberHandle handle) {
    Objects.requireNonNull(handle, "handle");
    return new Member() {
      @Override
      public String name() {
        return handle.name();
      }

      @Override
      public Set<MemberRole> roles() {
        Set<MemberRole> r = handle.roles();
        return r == null || r.isEmpty() ? Set.of() : EnumSet.copyOf(r);
      }

      @Override
      public KubernetesClient kubernetes() {
        return handle.kubernetes();
      }

      @Override
      public void write(String operation, Consumer<KubernetesClient> call) {
        handle.run(operation, call);
      }

      @Override
      public <T extends HasMetadata> SharedIndexInformer<T> track(SharedIndexInformer<T> informer) {
        return handle.informers().register(informer);
      }

      @Override
      public boolean healthy() {
        return handle.isHealthy();
      }

      @Override
      public String healthMessage() {
        MemberHealth h = handle.health();
        if (h.healthy()) {
          return "";
        }
        return h.breakerOpen()
            ? "circuit breaker open" + h.lastError().map(e -> ": " + e).orElse("")
            : h.lastError().orElse("no recent answer");
      }

      @Override
      public String toString() {
        return "Member[" + handle.name() + "]";
      }
    };
  }

  /**
   * A member backed by a plain client (tests, benches, single-cluster runs); the caller closes the
   * client.
   */
  public static Member direct(String name, KubernetesClient client, Set<MemberRole> roles) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(client, "client");
    Set<MemberRole> copy = roles.isEmpty() ? Set.of() : EnumSet.copyOf(roles);
    return new Member() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Set<MemberRole> roles() {
        return copy;
      }

      @Override
      public KubernetesClient kubernetes() {
        return client;
      }

      @Override
      public void write(String operation, Consumer<KubernetesClient> call) {
        call.accept(client);
      }

      @Override
      public <T extends HasMetadata> SharedIndexInformer<T> track(SharedIndexInformer<T> informer) {
        return informer;
      }

      @Override
      public boolean healthy() {
        return true;
      }

      @Override
      public String toString() {
        return "Member[" + name + "]";
      }
    };
  }
}
