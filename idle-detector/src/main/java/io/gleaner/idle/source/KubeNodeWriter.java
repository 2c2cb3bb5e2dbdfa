package io.gleaner.idle.source;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes node patches to the members as JSON merge patches (conditional ones with {@code
 * metadata.resourceVersion}), and the scale-up placeholders of elastic members, through each
 * member's resilience wrapper, on an I/O executor.
 */
public final class KubeNodeWriter implements NodeWriter, PlaceholderWriter {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private final Map<String, Member> members = new ConcurrentHashMap<>();
  private final Executor io;

  public KubeNodeWriter(Executor io) {
    this.io = io;
  }

  public void add(Member member) {
    members.put(member.name(), member);
  }

  public void remove(String cluster) {
    members.remove(cluster);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A conditional patch the member refuses with 409 Conflict completes as {@link
   * Outcome#CONFLICT} (the member's resilience wrapper neither retries nor counts a 409 against the
   * member's health).
   */
  @Override
  public CompletableFuture<Written> patch(String cluster, String node, NodePatch patch) {
    Member m = members.get(cluster);
    if (m == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("member " + cluster + " is not watched"));
    }
    String body = JSON.asJson(patch.body());
    return CompletableFuture.supplyAsync(
        () -> {
          AtomicReference<Node> after = new AtomicReference<>();
          try {
            m.write(
                "patch-node",
                c ->
                    after.set(
                        // resource(stub), not withName(): fabric8 GETs the node first when it has
                        // no item
                        c.nodes()
                            .resource(
                                new NodeBuilder()
                                    .withNewMetadata()
                                    .withName(node)
                                    .endMetadata()
                                    .build())
                            .patch(PatchContext.of(PatchType.JSON_MERGE), body)));
          } catch (RuntimeException e) {
            if (patch.conditional() && isConflict(e)) {
              return Written.conflict();
            }
            throw e;
          }
          Node n = after.get();
          return Written.applied(
              n == null || n.getMetadata() == null ? "" : n.getMetadata().getResourceVersion());
        },
        io);
  }

  /** The member answered 409 Conflict. */
  static boolean isConflict(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof KubernetesClientException k && k.getCode() == 409) {
        return true;
      }
    }
    return false;
  }

  @Override
  public CompletableFuture<Void> create(String cluster, String name, Resources requests) {
    Member m = members.get(cluster);
    if (m == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("member " + cluster + " is not watched"));
    }
    Pod pod = placeholder(name, requests);
    return CompletableFuture.runAsync(
        () ->
            m.write(
                "create-placeholder",
                c -> {
                  if (c.namespaces().withName(GleanerKeys.SCALE_UP_NAMESPACE).get() == null) {
                    try {
                      c.namespaces()
                          .resource(
                              new NamespaceBuilder()
                                  .withNewMetadata()
                                  .withName(GleanerKeys.SCALE_UP_NAMESPACE)
                                  .endMetadata()
                                  .build())
                          .create();
                    } catch (KubernetesClientException e) {
                      if (e.getCode() != 409) {
                        throw e;
                      }
                    }
                  }
                  c.pods().inNamespace(GleanerKeys.SCALE_UP_NAMESPACE).resource(pod).create();
                }),
        io);
  }

  @Override
  public CompletableFuture<Void> delete(String cluster, String name) {
    Member m = members.get(cluster);
    if (m == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("member " + cluster + " is not watched"));
    }
    return CompletableFuture.runAsync(
        () ->
            m.write(
                "delete-placeholder",
                c ->
                    c.pods()
                        .inNamespace(GleanerKeys.SCALE_UP_NAMESPACE)
                        .withName(name)
                        .withGracePeriod(0)
                        .delete()),
        io);
  }

  /**
   * A scale-up placeholder: a pause container asking for {@code requests}, at the member chart's
   * {@code gleaner-scale-up} priority (the autoscaler counts it, nothing is preempted for it).
   */
  static Pod placeholder(String name, Resources requests) {
    Map<String, Quantity> q = requests.without(Resources.PODS).toQuantities();
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(GleanerKeys.SCALE_UP_NAMESPACE)
        .withLabels(Map.of(GleanerKeys.SCALE_UP, "true"))
        .endMetadata()
        .withNewSpec()
        .withPriorityClassName(GleanerKeys.SCALE_UP_PRIORITY_CLASS)
        .withTerminationGracePeriodSeconds(0L)
        .addNewContainer()
        .withName("pause")
        .withImage("registry.k8s.io/pause:3.9")
        .withNewResources()
        .withRequests(q)
        .withLimits(q)
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }
}
