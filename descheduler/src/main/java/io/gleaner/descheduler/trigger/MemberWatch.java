package io.gleaner.descheduler.trigger;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.descheduler.Keys;
import io.gleaner.meta.informer.IndexLookup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one member cluster (never polls): informers on pods and nodes (all namespaces), on
 * FailedScheduling events (field selector {@code reason=FailedScheduling}) and, where Volcano is
 * installed, on PodGroups. Their caches are what plans are made from; their callbacks go to a
 * {@link Listener}.
 */
public final class MemberWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MemberWatch.class);
  private static final String BY_NODE = "byNode";

  /** Told of every change; calls come on informer threads and must return quickly. */
  public interface Listener {
    void podChanged(Pod pod);

    void podDeleted(Pod pod);

    void nodeChanged(Node node);

    void failedScheduling(Event event);

    void podGroupChanged(GenericKubernetesResource podGroup, boolean deleted);
  }

  private final String cluster;
  private final KubernetesClient client;
  private final Listener listener;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<Node> nodes;
  private SharedIndexInformer<GenericKubernetesResource> podGroups;

  public MemberWatch(String cluster, KubernetesClient client, Listener listener) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.client = Objects.requireNonNull(client, "client");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  public String cluster() {
    return cluster;
  }

  /**
   * Starts the informers; returns once their caches are filled (fabric8's inform() waits for the
   * first list).
   */
  public void start(Duration syncTimeout) throws InterruptedException {
    nodes = client.nodes().inform(handler(listener::nodeChanged, n -> {}), 0);
    informers.add(nodes);
    pods = client.pods().inAnyNamespace().runnableInformer(0);
    pods.addIndexers(
        Map.of(
            BY_NODE,
            p ->
                p.getSpec() == null || p.getSpec().getNodeName() == null
                    ? List.of()
                    : List.of(p.getSpec().getNodeName())));
    pods.addEventHandler(handler(listener::podChanged, listener::podDeleted));
    informers.add(pods);
    try {
      pods.start().toCompletableFuture().get(syncTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(
          "cluster " + cluster + ": pod informer did not sync within " + syncTimeout + ": " + e, e);
    }
    informers.add(
        client
            .v1()
            .events()
            .inAnyNamespace()
            .withField("reason", "FailedScheduling")
            .inform(handler(listener::failedScheduling, e -> {}), 0));
    try {
      podGroups =
          client
              .genericKubernetesResources(Keys.PODGROUP_API_VERSION, Keys.PODGROUP_KIND)
              .inAnyNamespace()
              .inform(
                  handler(
                      pg -> listener.podGroupChanged(pg, false),
                      pg -> listener.podGroupChanged(pg, true)),
                  0);
      informers.add(podGroups);
    } catch (RuntimeException e) {
      log.info(
          "cluster {}: no Volcano PodGroups ({}); PodGroup triggers are off there",
          cluster,
          e.getMessage());
      podGroups = null;
    }
  }

  private static <T> ResourceEventHandler<T> handler(
      java.util.function.Consumer<T> changed, java.util.function.Consumer<T> deleted) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        changed.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        changed.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        deleted.accept(obj);
      }
    };
  }

  public Collection<Pod> pods() {
    return pods.getStore().list();
  }

  public List<Pod> podsOn(String node) {
    return IndexLookup.byIndex(pods, BY_NODE, node);
  }

  public Pod pod(String namespace, String name) {
    return pods.getStore().getByKey(namespace + "/" + name);
  }

  public Collection<Node> nodes() {
    return nodes.getStore().list();
  }

  public Node node(String name) {
    return nodes.getStore().getByKey(name);
  }

  /** PodGroups by {@code namespace/name}; malformed ones are left out (and logged). */
  public Map<String, PodGroupView> podGroups() {
    Map<String, PodGroupView> out = new HashMap<>();
    if (podGroups == null) {
      return out;
    }
    for (GenericKubernetesResource pg : podGroups.getStore().list()) {
      try {
        PodGroupView v = PodGroupView.of(pg);
        out.put(v.key(), v);
      } catch (IllegalArgumentException e) {
        log.warn("cluster {}: ignoring PodGroup: {}", cluster, e.getMessage());
      }
    }
    return out;
  }

  @Override
  public void close() {
    for (SharedIndexInformer<?> i : informers) {
      i.close();
    }
    informers.clear();
  }
}
