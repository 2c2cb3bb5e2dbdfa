package io.gleaner.sim.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.sim.apiserver.ApiException;
import io.gleaner.sim.apiserver.ObjectStore;
import io.gleaner.sim.apiserver.ResourceTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-controller-manager's ephemeral volume controller, with the part of the garbage collector
 * that concerns it. For each volume {@code v} of a pod with {@code ephemeral.volumeClaimTemplate},
 * it creates the PersistentVolumeClaim {@code <pod name>-<v>} in the pod's namespace: the
 * template's labels, annotations and spec, and a controller ownerReference to the pod
 * (blockOwnerDeletion). An existing claim of that name is left alone (the real controller does not
 * adopt it either; the pod then cannot start). Once the pod is gone, the claims it owns are
 * deleted, as the garbage collector does.
 *
 * <p>Nothing binds the claims: this simulator has no StorageClasses or volumes, and its kubelet
 * starts a pod without waiting for them.
 */
public final class EphemeralVolumes implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EphemeralVolumes.class);

  private final ObjectStore store;
  private final Executor executor;
  private ObjectStore.Subscription subscription;

  public EphemeralVolumes(ObjectStore store, Executor executor) {
    this.store = Objects.requireNonNull(store, "store");
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  /** Watches pods (the current ones first). */
  public void start() {
    subscription =
        store.watch(
            ResourceTypes.PODS,
            null,
            o -> true,
            null,
            e -> {
              if (!claimNames(e.object()).isEmpty()) {
                String type = e.type();
                ObjectNode pod = e.object();
                try {
                  executor.execute(() -> handle(type, pod));
                } catch (RejectedExecutionException closed) {
                  // shutting down
                }
              }
            });
  }

  /** The claim name of each generic ephemeral volume of {@code pod}: {@code <pod>-<volume>}. */
  public static List<String> claimNames(JsonNode pod) {
    List<String> out = new ArrayList<>();
    String podName = pod.path("metadata").path("name").asText();
    for (JsonNode v : pod.path("spec").path("volumes")) {
      if (v.path("ephemeral").has("volumeClaimTemplate")) {
        out.add(podName + "-" + v.path("name").asText());
      }
    }
    return out;
  }

  private void handle(String type, ObjectNode pod) {
    try {
      if (type.equals(ObjectStore.DELETED)) {
        collect(pod);
      } else if (!pod.path("metadata").has("deletionTimestamp")) {
        create(pod);
      }
    } catch (RuntimeException e) {
      LOG.warn(
          "ephemeral volumes of pod {}/{}: {}",
          pod.path("metadata").path("namespace").asText(),
          pod.path("metadata").path("name").asText(),
          e.toString());
    }
  }

  private void create(ObjectNode pod) {
    JsonNode meta = pod.path("metadata");
    String ns = meta.path("namespace").asText();
    for (JsonNode v : pod.path("spec").path("volumes")) {
      JsonNode template = v.path("ephemeral").path("volumeClaimTemplate");
      if (template.isMissingNode()) {
        continue;
      }
      String name = meta.path("name").asText() + "-" + v.path("name").asText();
      if (store.get(ResourceTypes.PVCS, ns, name) != null) {
        continue;
      }
      ObjectNode claim = JsonNodeFactory.instance.objectNode();
      claim.put("apiVersion", "v1").put("kind", "PersistentVolumeClaim");
      ObjectNode m = claim.putObject("metadata");
      m.put("name", name).put("namespace", ns);
      if (template.path("metadata").has("labels")) {
        m.set("labels", template.path("metadata").get("labels").deepCopy());
      }
      if (template.path("metadata").has("annotations")) {
        m.set("annotations", template.path("metadata").get("annotations").deepCopy());
      }
      m.putArray("ownerReferences")
          .addObject()
          .put("apiVersion", "v1")
          .put("kind", "Pod")
          .put("name", meta.path("name").asText())
          .put("uid", meta.path("uid").asText())
          .put("controller", true)
          .put("blockOwnerDeletion", true);
      claim.set("spec", template.path("spec").deepCopy());
      claim.putObject("status").put("phase", "Pending");
      try {
        store.create(ResourceTypes.PVCS, ns, claim);
      } catch (ApiException e) {
        if (e.code() != 409) {
          throw e;
        }
      }
    }
  }

  private void collect(ObjectNode pod) {
    String ns = pod.path("metadata").path("namespace").asText();
    String uid = pod.path("metadata").path("uid").asText();
    for (String name : claimNames(pod)) {
      ObjectNode claim = store.get(ResourceTypes.PVCS, ns, name);
      if (claim == null) {
        continue;
      }
      for (JsonNode o : claim.path("metadata").path("ownerReferences")) {
        if (uid.equals(o.path("uid").asText())) {
          store.delete(ResourceTypes.PVCS, ns, name, ObjectStore.DeleteOptions.DEFAULT);
          break;
        }
      }
    }
  }

  @Override
  public void close() {
    if (subscription != null) {
      subscription.close();
    }
  }
}
