package io.gleaner.idle.source;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.NodeMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import io.gleaner.idle.offer.MemberPodInfo;
import io.gleaner.idle.offer.Usage;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.informer.Informers;
import io.gleaner.meta.kube.SkippedPods;
import io.gleaner.meta.kube.VolcanoPodGroups;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one member cluster and keeps its {@link ClusterCache} current: informers on nodes, pods
 * (all namespaces) and, on training members, Volcano PodGroups ({@code
 * scheduling.volcano.sh/v1beta1}, read as generic resources); and a poll of {@code metrics.k8s.io}
 * (which has no watch).
 *
 * <p>Every change that matters marks exactly the affected nodes through {@link Listener}; a change
 * that does not (a heartbeat, a pod condition) marks nothing. The node and pod informers keep only
 * a reduced state in their own caches (the detector keeps what it needs in the {@link
 * ClusterCache}), so a large member costs little memory.
 *
 * <p>PodGroups are watched only where API discovery says they are served ({@link
 * Informers#startIfServed}); elsewhere one INFO line says so and the member has no gangs. Node and
 * pod informers that stop watching make the member unreachable (see {@link #problem()}).
 */
public final class ClusterWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterWatch.class);

  /** Receives the marks; called on informer and poller threads, must not block. */
  public interface Listener {
    void nodeChanged(String cluster, String node, long changeNanos);

    void clusterChanged(String cluster, long changeNanos);
  }

  private final Member member;
  private final ClusterCache cache;
  private final SkippedPods skipped;
  private final String instance;
  private final Listener listener;
  private final ScheduledExecutorService pollers;
  private final Duration metricsPeriod;
  private final boolean podMetrics;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private SharedIndexInformer<Node> nodeInformer;
  private SharedIndexInformer<Pod> podInformer;
  private volatile boolean closed;
  private ScheduledFuture<?> poll;
  private volatile boolean podMetricsAvailable = true;
  private volatile String lastError = "";
  private volatile boolean metricsWarned;

  /**
   * @param metricsPeriod real time between metrics polls
   * @param podMetrics also poll PodMetrics
   * @param skipped where member pods whose requests cannot be counted are counted and logged; null:
   *     they are left out silently
   * @param instance this detector's installation: only its member pods are lent work
   */
  public ClusterWatch(
      Member member,
      ClusterCache cache,
      Listener listener,
      ScheduledExecutorService pollers,
      Duration metricsPeriod,
      boolean podMetrics,
      SkippedPods skipped,
      String instance) {
    this.skipped = skipped;
    this.instance = Objects.requireNonNull(instance, "instance");
    this.member = Objects.requireNonNull(member, "member");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.pollers = Objects.requireNonNull(pollers, "pollers");
    this.metricsPeriod = Objects.requireNonNull(metricsPeriod, "metricsPeriod");
    this.podMetrics = podMetrics;
  }

  public String cluster() {
    return member.name();
  }

  public Member member() {
    return member;
  }

  public ClusterCache cache() {
    return cache;
  }

  /** Starts the informers and the metrics poll; returns at once (see {@link #synced()}). */
  public void start() {
    KubernetesClient client = member.kubernetes();
    String cluster = member.name();
    nodeInformer = member.track(client.nodes().runnableInformer(0));
    nodeInformer.itemStore(
        new ReducedStateItemStore<>(
            ReducedStateItemStore.NAME_KEY_STATE,
            Node.class,
            client.getKubernetesSerialization(),
            "metadata.resourceVersion"));
    nodeInformer.addEventHandler(
        handler(
            n -> {
              if (cache.putNode(KubeModel.node(n))) {
                listener.nodeChanged(cluster, n.getMetadata().getName(), System.nanoTime());
              }
            },
            n -> {
              if (cache.removeNode(n.getMetadata().getName())) {
                listener.nodeChanged(cluster, n.getMetadata().getName(), System.nanoTime());
              }
            }));
    podInformer = member.track(client.pods().inAnyNamespace().runnableInformer(0));
    podInformer.itemStore(
        new ReducedStateItemStore<>(
            ReducedStateItemStore.NAME_KEY_STATE,
            Pod.class,
            client.getKubernetesSerialization(),
            "metadata.resourceVersion"));
    podInformer.addEventHandler(
        handler(
            p -> {
              long now = System.nanoTime();
              for (String node : putPod(cache, p, skipped, instance)) {
                listener.nodeChanged(cluster, node, now);
              }
            },
            p -> {
              if (skipped != null) {
                skipped.forget(cluster, p);
              }
              cache
                  .removePod(p.getMetadata().getNamespace(), p.getMetadata().getName())
                  .ifPresent(node -> listener.nodeChanged(cluster, node, System.nanoTime()));
            }));
    synchronized (informers) {
      informers.add(nodeInformer);
      informers.add(podInformer);
    }
    if (member.roles().contains(MemberRole.TRAINING)) {
      Informers.startIfServed(
          client,
          VolcanoPodGroups.CONTEXT,
          () -> !closed,
          this::groupInformer,
          LOG,
          "PodGroups of member " + cluster);
    }
    Consumer<Throwable> recordError =
        t -> lastError = t.getMessage() == null ? t.toString() : t.getMessage();
    Informers.keepRetrying(nodeInformer, LOG, "nodes of member " + cluster, recordError);
    Informers.keepRetrying(podInformer, LOG, "pods of member " + cluster, recordError);
    nodeInformer.start();
    podInformer.start();
    long period = Math.max(1, metricsPeriod.toMillis());
    poll = pollers.scheduleWithFixedDelay(this::pollMetrics, 0, period, TimeUnit.MILLISECONDS);
  }

  /** The PodGroup informer, unstarted, tracked for closing; null once this watch is closed. */
  private SharedIndexInformer<GenericKubernetesResource> groupInformer() {
    synchronized (informers) {
      if (closed) {
        return null;
      }
      String cluster = member.name();
      SharedIndexInformer<GenericKubernetesResource> groups =
          member.track(
              member
                  .kubernetes()
                  .genericKubernetesResources(VolcanoPodGroups.CONTEXT)
                  .inAnyNamespace()
                  .runnableInformer(0));
      groups.addEventHandler(
          handler(
              g -> {
                if (cache.putPodGroup(KubeModel.podGroup(g))) {
                  listener.clusterChanged(cluster, System.nanoTime());
                }
              },
              g -> {
                if (cache.removePodGroup(
                    g.getMetadata().getNamespace(), g.getMetadata().getName())) {
                  listener.clusterChanged(cluster, System.nanoTime());
                }
              }));
      informers.add(groups);
      return groups;
    }
  }

  /**
   * Puts a member pod into the cache. One whose requests cannot be counted (a malformed quantity,
   * requests that overflow a {@code long}) is left out, and taken out if an earlier version was in,
   * and reported to {@code skipped} (ARCHITECTURE.md §6, bad input). Only {@code instance}'s own
   * member pods are lent work ({@link KubeModel#pod(Pod, String)}).
   *
   * @return the nodes whose offer may change
   */
  static Set<String> putPod(ClusterCache cache, Pod p, SkippedPods skipped, String instance) {
    MemberPodInfo info;
    try {
      info = KubeModel.pod(p, instance);
    } catch (RuntimeException e) {
      if (!SkippedPods.isBadRequests(e)) {
        throw e;
      }
      if (skipped != null) {
        skipped.skipped(cache.cluster(), p, e);
      }
      return cache
          .removePod(p.getMetadata().getNamespace(), p.getMetadata().getName())
          .map(Set::of)
          .orElse(Set.of());
    }
    return cache.putPod(info);
  }

  private static <T extends HasMetadata> ResourceEventHandler<T> handler(
      Consumer<T> upsert, Consumer<T> delete) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        upsert.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        upsert.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        delete.accept(obj);
      }
    };
  }

  /** Node and pod informers have listed the member once. */
  public boolean synced() {
    return nodeInformer != null && nodeInformer.hasSynced() && podInformer.hasSynced();
  }

  /**
   * Why the member cannot be trusted right now, or empty: informers not synced or not watching, or
   * the member's client unhealthy (breaker open).
   */
  public String problem() {
    if (!synced()) {
      return "informers not synced" + (lastError.isEmpty() ? "" : ": " + lastError);
    }
    if (!nodeInformer.isWatching() || !podInformer.isWatching()) {
      return "informers not watching" + (lastError.isEmpty() ? "" : ": " + lastError);
    }
    if (!member.healthy()) {
      return member.healthMessage();
    }
    return "";
  }

  /** Polls metrics.k8s.io once; public for tests and benches. */
  public void pollMetrics() {
    KubernetesClient client = member.kubernetes();
    String cluster = member.name();
    long now = System.nanoTime();
    try {
      Map<String, Usage> nodes = new HashMap<>();
      for (NodeMetrics m : client.top().nodes().metrics().getItems()) {
        KubeModel.usage(m).ifPresent(u -> nodes.put(m.getMetadata().getName(), u));
      }
      if (podMetrics && podMetricsAvailable) {
        try {
          Map<String, Usage> pods = new HashMap<>();
          for (PodMetrics m : client.top().pods().metrics().getItems()) {
            KubeModel.usage(m)
                .ifPresent(
                    u ->
                        pods.put(
                            m.getMetadata().getNamespace() + "/" + m.getMetadata().getName(), u));
          }
          cache.setPodUsage(pods);
        } catch (KubernetesClientException e) {
          if (e.getCode() == 404) {
            podMetricsAvailable = false;
            LOG.info(
                "member {} serves no PodMetrics; online usage is estimated from Gleaner pods' requests",
                cluster);
          } else {
            throw e;
          }
        }
      }
      for (String node : cache.setNodeUsage(nodes)) {
        listener.nodeChanged(cluster, node, now);
      }
      metricsWarned = false;
    } catch (RuntimeException e) {
      if (!metricsWarned) {
        metricsWarned = true;
        LOG.warn(
            "metrics poll of member {} failed (usage is ignored once stale): {}",
            cluster,
            e.getMessage());
      }
      // Samples age on their own; a recompute makes stale ones count as missing.
      listener.clusterChanged(cluster, now);
    }
  }

  @Override
  public void close() {
    if (poll != null) {
      poll.cancel(false);
    }
    List<SharedIndexInformer<?>> open;
    synchronized (informers) {
      closed = true;
      open = List.copyOf(informers);
    }
    for (SharedIndexInformer<?> i : open) {
      try {
        i.stop();
      } catch (RuntimeException e) {
        LOG.debug("stopping an informer of member {}: {}", member.name(), e.toString());
      }
    }
  }
}
