package io.gleaner.descheduler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberListener;
import io.gleaner.meta.registry.MemberRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The member clusters the descheduler reclaims in, as they come and go: the {@link MemberRegistry}
 * in a deployment ({@link #of(MemberRegistry)}), a fixed map in tests and the sandbox ({@link
 * #fixed(Map)}).
 */
public interface MemberSource {

  /** Callbacks; they must not block. */
  interface Listener {
    /**
     * A member to watch, through {@code client}; also called for every member known when the
     * listener is attached. A second call for the same name (a new connection) replaces the first.
     */
    void added(String cluster, KubernetesClient client);

    /** Stop watching {@code cluster}; its client is about to close. */
    void removed(String cluster);
  }

  /** Attaches the listener; members already known are reported through it at once. */
  void attach(Listener listener);

  /** Detaches the listener; a callback already under way may still arrive. */
  void detach(Listener listener);

  /** Members that never change; the caller closes the clients. */
  static MemberSource fixed(Map<String, KubernetesClient> clients) {
    Map<String, KubernetesClient> copy = new TreeMap<>(clients);
    return new MemberSource() {
      @Override
      public void attach(Listener listener) {
        copy.forEach(listener::added);
      }

      @Override
      public void detach(Listener listener) {}
    };
  }

  /**
   * Every member with a usable handle in {@code registry}: added, removed, and removed then added
   * again when its kubeconfig (Secret) changes. Roles do not matter to the descheduler, so a spec
   * change alone is no event.
   */
  static MemberSource of(MemberRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    Map<Listener, MemberListener> bridges = new ConcurrentHashMap<>();
    return new MemberSource() {
      @Override
      public void attach(Listener listener) {
        MemberListener bridge =
            new MemberListener() {
              @Override
              public void memberAdded(MemberHandle member) {
                listener.added(member.name(), member.kubernetes());
              }

              @Override
              public void memberRemoved(MemberHandle member) {
                listener.removed(member.name());
              }
            };
        bridges.put(listener, bridge);
        registry.addListener(bridge);
      }

      @Override
      public void detach(Listener listener) {
        MemberListener bridge = bridges.remove(listener);
        if (bridge != null) {
          registry.removeListener(bridge);
        }
      }
    };
  }
}
