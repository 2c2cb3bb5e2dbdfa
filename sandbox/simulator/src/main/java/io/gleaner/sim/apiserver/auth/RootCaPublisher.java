package io.gleaner.sim.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.ApiException;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The root CA certificate publisher of kube-controller-manager: every namespace that is not being
 * deleted has a ConfigMap {@code kube-root-ca.crt} whose {@code ca.crt} is the cluster CA; one that
 * is deleted or changed is put back. Works asynchronously, as the real controller.
 */
public final class RootCaPublisher implements AutoCloseable {
  /** The ConfigMap's name, the same in every namespace. */
  public static final String NAME = "kube-root-ca.crt";

  /** Its key holding the CA bundle. */
  public static final String KEY = "ca.crt";

  private final ObjectStore store;
  private final String caPem;
  private final List<ObjectStore.Subscription> subscriptions;

  /**
   * Starts watching; {@code executor} runs the syncs (store watch callbacks only hand on).
   *
   * @param caPem the cluster CA certificate, published as {@code ca.crt}
   */
  public RootCaPublisher(ObjectStore store, String caPem, Executor executor) {
    this.store = store;
    this.caPem = caPem;
    this.subscriptions =
        List.of(
            store.watch(
                ResourceTypes.NAMESPACES,
                null,
                o -> true,
                null,
                e -> {
                  if (e.type().equals(ObjectStore.ADDED)) {
                    String ns = e.object().path("metadata").path("name").asText();
                    executor.execute(() -> sync(ns));
                  }
                }),
            store.watch(
                ResourceTypes.CONFIGMAPS,
                null,
                o -> NAME.equals(o.path("metadata").path("name").asText()),
                null,
                e -> {
                  ObjectNode cm = e.object();
                  if (e.type().equals(ObjectStore.DELETED)
                      || !caPem.equals(cm.path("data").path(KEY).asText(null))) {
                    String ns = cm.path("metadata").path("namespace").asText();
                    executor.execute(() -> sync(ns));
                  }
                }));
  }

  private void sync(String namespace) {
    JsonNode ns = store.get(ResourceTypes.NAMESPACES, null, namespace);
    if (ns == null || ns.path("metadata").has("deletionTimestamp")) {
      return;
    }
    try {
      ObjectNode current = store.get(ResourceTypes.CONFIGMAPS, namespace, NAME);
      if (current == null) {
        ObjectNode cm = JsonNodeFactory.instance.objectNode();
        cm.with("metadata").put("name", NAME).put("namespace", namespace);
        cm.with("data").put(KEY, caPem);
        store.create(ResourceTypes.CONFIGMAPS, namespace, cm);
      } else if (!caPem.equals(current.path("data").path(KEY).asText(null))) {
        store.mutate(
            ResourceTypes.CONFIGMAPS,
            namespace,
            NAME,
            c -> {
              c.with("data").put(KEY, caPem);
              return c;
            });
      }
    } catch (ApiException e) {
      // 409: created meanwhile; 404/403: the namespace went away meanwhile
      if (e.code() != 409 && e.code() != 404 && e.code() != 403) {
        throw e;
      }
    }
  }

  @Override
  public void close() {
    subscriptions.forEach(ObjectStore.Subscription::close);
  }
}
