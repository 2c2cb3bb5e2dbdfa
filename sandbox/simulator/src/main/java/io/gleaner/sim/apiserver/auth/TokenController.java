package io.gleaner.sim.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.ApiException;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The service account token controller of kube-controller-manager, for legacy token Secrets: a
 * Secret of type {@code kubernetes.io/service-account-token} whose annotation {@code
 * kubernetes.io/service-account.name} names an existing ServiceAccount gets {@code data.token},
 * {@code data["ca.crt"]}, {@code data.namespace} and the {@code kubernetes.io/service-account.uid}
 * annotation; one naming a missing ServiceAccount (or one with another UID) is deleted, and so are
 * the token Secrets of a deleted ServiceAccount. Works asynchronously, as the real controller.
 */
public final class TokenController implements AutoCloseable {
  private final ObjectStore store;
  private final String caPem;
  private final Executor executor;
  private final List<ObjectStore.Subscription> subscriptions;

  /**
   * Starts watching; {@code executor} runs the syncs (store watch callbacks only hand on).
   *
   * @param caPem the cluster CA certificate, written as {@code ca.crt}
   */
  public TokenController(ObjectStore store, String caPem, Executor executor) {
    this.store = store;
    this.caPem = caPem;
    this.executor = executor;
    this.subscriptions =
        List.of(
            store.watch(
                ResourceTypes.SECRETS,
                null,
                o -> ServiceAccountTokens.SECRET_TYPE.equals(o.path("type").asText()),
                null,
                e -> {
                  if (!e.type().equals(ObjectStore.DELETED)) {
                    ObjectNode s = e.object();
                    if (needsSync(s)) {
                      String ns = s.path("metadata").path("namespace").asText();
                      String name = s.path("metadata").path("name").asText();
                      executor.execute(() -> syncSecret(ns, name));
                    }
                  }
                }),
            store.watch(
                ResourceTypes.SERVICEACCOUNTS,
                null,
                o -> true,
                null,
                e -> {
                  if (e.type().equals(ObjectStore.DELETED)) {
                    JsonNode meta = e.object().path("metadata");
                    String ns = meta.path("namespace").asText();
                    String name = meta.path("name").asText();
                    executor.execute(() -> serviceAccountDeleted(ns, name));
                  }
                }));
  }

  private static boolean needsSync(JsonNode secret) {
    JsonNode data = secret.path("data");
    return !secret.path("metadata").has("deletionTimestamp")
        && (!data.hasNonNull("token")
            || !data.hasNonNull("ca.crt")
            || !data.hasNonNull("namespace")
            || !secret
                .path("metadata")
                .path("annotations")
                .hasNonNull(ServiceAccountTokens.SA_UID_ANNOTATION));
  }

  private void syncSecret(String namespace, String name) {
    ObjectNode secret = store.get(ResourceTypes.SECRETS, namespace, name);
    if (secret == null || !needsSync(secret)) {
      return;
    }
    JsonNode annotations = secret.path("metadata").path("annotations");
    String saName = annotations.path(ServiceAccountTokens.SA_NAME_ANNOTATION).asText("");
    ObjectNode sa = store.get(ResourceTypes.SERVICEACCOUNTS, namespace, saName);
    String saUid = sa == null ? null : sa.path("metadata").path("uid").asText();
    String wantedUid = annotations.path(ServiceAccountTokens.SA_UID_ANNOTATION).asText("");
    if (sa == null || !wantedUid.isEmpty() && !wantedUid.equals(saUid)) {
      delete(namespace, name);
      return;
    }
    store.mutate(
        ResourceTypes.SECRETS,
        namespace,
        name,
        s -> {
          ObjectNode data = s.with("data");
          if (!data.hasNonNull("token")) {
            data.put("token", b64(ServiceAccountTokens.newToken()));
          }
          data.put("ca.crt", b64(caPem));
          data.put("namespace", b64(namespace));
          s.with("metadata").with("annotations").put(ServiceAccountTokens.SA_UID_ANNOTATION, saUid);
          return s;
        });
  }

  private void serviceAccountDeleted(String namespace, String saName) {
    for (ObjectNode s :
        store
            .list(
                ResourceTypes.SECRETS,
                namespace,
                o ->
                    ServiceAccountTokens.SECRET_TYPE.equals(o.path("type").asText())
                        && saName.equals(
                            o.path("metadata")
                                .path("annotations")
                                .path(ServiceAccountTokens.SA_NAME_ANNOTATION)
                                .asText()))
            .items()) {
      delete(namespace, s.path("metadata").path("name").asText());
    }
  }

  private void delete(String namespace, String name) {
    try {
      store.delete(ResourceTypes.SECRETS, namespace, name, ObjectStore.DeleteOptions.DEFAULT);
    } catch (ApiException e) {
      if (e.code() != 404) {
        throw e;
      }
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    subscriptions.forEach(ObjectStore.Subscription::close);
  }
}
