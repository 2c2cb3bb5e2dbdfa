package io.gleaner.descheduler.trigger;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.gleaner.meta.informer.IndexLookup;
import io.gleaner.meta.informer.Informers;
import io.gleaner.meta.kube.VolcanoPodGroups;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one member cluster (never polls): informers on pods and nodes (all namespaces), on
 * FailedScheduling events (field selector {@code reason=FailedScheduling}) and, where API discovery
 * says Volcano's PodGroups are served, on PodGroups ({@link Informers#startIfServed}). Their caches
 * are what plans are made from; their callbacks go to a {@link Listener}. Starting never blocks: a
 * member that does not answer is retried in the background and delays no other member.
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
  private volatile SharedIndexInformer<GenericKubernetesResource> podGroups;
  private volatile boolean closed;

  public MemberWatch(String cluster, KubernetesClient client, Listener listener) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.client = Objects.requireNonNull(client, "client");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  public String cluster() {
    return cluster;
  }

  /**
   * Starts the informers and returns at once. The future completes when nodes, pods and
   * FailedScheduling events have been listed (and PodGroups, or that they are not served there);
   * plans are made only from then on. An informer that cannot list or watch (the member does not
   * answer) retries with fabric8's backoff for as long as this watch is open; the future then
   * completes once the member answers. It never completes exceptionally.
   */
  public CompletableFuture<Void> start() {
    nodes = Informers.keepRetrying(client.nodes().runnableInformer(0), log, "nodes of " + cluster);
    nodes.addEventHandler(handler(listener::nodeChanged, n -> {}));
    pods =
        Informers.keepRetrying(
            client.pods().inAnyNamespace().runnableInformer(0), log, "pods of " + cluster);
    pods.addIndexers(
        Map.of(
            BY_NODE,
            p ->
                p.getSpec() == null || p.getSpec().getNodeName() == null
                    ? List.of()
                    : List.of(p.getSpec().getNodeName())));
    pods.addEventHandler(handler(listener::podChanged, listener::podDeleted));
    SharedIndexInformer<Event> events =
        Informers.keepRetrying(
            client
                .v1()
                .events()
                .inAnyNamespace()
                .withField("reason", "FailedScheduling")
                .runnableInformer(0),
            log,
            "FailedScheduling events of " + cluster);
    events.addEventHandler(handler(listener::failedScheduling, e -> {}));
    synchronized (informers) {
      informers.addAll(List.of(nodes, pods, events));
    }
    CompletableFuture<Boolean> groups =
        Informers.startIfServed(
            client,
            VolcanoPodGroups.CONTEXT,
            () -> !closed,
            this::podGroupInformer,
            log,
            "PodGroups of member " + cluster);
    return CompletableFuture.allOf(
        nodes.start().toCompletableFuture(),
        pods.start().toCompletableFuture(),
        events.start().toCompletableFuture(),
        groups);
  }

  /** The PodGroup informer, unstarted, kept for closing; null once this watch is closed. */
  private SharedIndexInformer<GenericKubernetesResource> podGroupInformer() {
    synchronized (informers) {
      if (closed) {
        return null;
      }
      SharedIndexInformer<GenericKubernetesResource> i =
          client
              .genericKubernetesResources(VolcanoPodGroups.CONTEXT)
              .inAnyNamespace()
              .runnableInformer(0);
      i.addEventHandler(
          handler(
              pg -> listener.podGroupChanged(pg, false), pg -> listener.podGroupChanged(pg, true)));
      informers.add(i);
      podGroups = i;
      return i;
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
    SharedIndexInformer<GenericKubernetesResource> groups = podGroups;
    if (groups == null || !groups.hasSynced()) {
      return out;
    }
    for (GenericKubernetesResource pg : groups.getStore().list()) {
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
    List<SharedIndexInformer<?>> open;
    synchronized (informers) {
      closed = true;
      open = List.copyOf(informers);
      informers.clear();
    }
    for (SharedIndexInformer<?> i : open) {
      try {
        i.close();
      } catch (RuntimeException e) {
        log.debug("cluster {}: closing an informer: {}", cluster, e.toString());
      }
    }
  }
}
