package io.gleaner.meta.registry;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.crd.MemberRole;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One usable member cluster: its {@link MemberCluster} resource, a resilient {@link MemberClient}
 * and the {@link MemberInformers} that live as long as the connection. Obtained from {@link
 * MemberRegistry}; never create one yourself. After {@link #isClosed()} every call fails with
 * {@link MemberUnavailableException} (reason CLOSED): look the member up again.
 */
public final class MemberHandle {
  private final String name;
  private final MemberClient client;
  private final MemberInformers informers;
  private final Runnable onClose;
  private volatile MemberCluster resource;
  private volatile boolean closed;

  MemberHandle(
      MemberCluster resource, MemberClient client, MemberInformers informers, Runnable onClose) {
    this.name = resource.getMetadata().getName();
    this.resource = resource;
    this.client = client;
    this.informers = informers;
    this.onClose = onClose;
  }

  /** The member cluster's name (the MemberCluster's {@code metadata.name}). */
  public String name() {
    return name;
  }

  /** The MemberCluster as last seen by the registry; do not modify it. */
  public MemberCluster resource() {
    return resource;
  }

  public Set<MemberRole> roles() {
    return resource.getSpec().roleSet();
  }

  public boolean hasRole(MemberRole role) {
    return roles().contains(role);
  }

  public String region() {
    return resource.getSpec().getRegion();
  }

  public String zone() {
    return resource.getSpec().getZone();
  }

  /**
   * Whether the member is leaving the federation: its MemberCluster is marked for deletion and held
   * by a finalizer until Gleaner has taken its pods out ({@link MemberFinalizers}). A leaving
   * member gets no new pods; its client keeps working for the drain.
   */
  public boolean isLeaving() {
    return isLeaving(resource);
  }

  /** Whether {@code member} is marked for deletion: the one rule for "leaving the federation". */
  public static boolean isLeaving(MemberCluster member) {
    return member.getMetadata().getDeletionTimestamp() != null;
  }

  public MemberClient client() {
    return client;
  }

  /** The raw client, for informers and watches; prefer {@link #call} for requests. */
  public KubernetesClient kubernetes() {
    return client.kubernetes();
  }

  /** See {@link MemberClient#call(String, Function)}. */
  public <T> T call(String operation, Function<KubernetesClient, T> call) {
    return client.call(operation, call);
  }

  /** See {@link MemberClient#run(String, Consumer)}. */
  public void run(String operation, Consumer<KubernetesClient> call) {
    client.run(operation, call);
  }

  /** See {@link MemberClient#probe()}. */
  public CompletableFuture<Void> probe() {
    return client.probe();
  }

  /** Informers stopped when this handle closes. */
  public MemberInformers informers() {
    return informers;
  }

  public boolean isHealthy() {
    return client.isHealthy();
  }

  public MemberHealth health() {
    return client.health();
  }

  public boolean isClosed() {
    return closed;
  }

  void update(MemberCluster latest) {
    this.resource = Objects.requireNonNull(latest);
  }

  /** Stops the informers, then closes the client. Idempotent; the registry calls it. */
  void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      informers.close();
    } finally {
      client.close();
      onClose.run();
    }
  }

  @Override
  public String toString() {
    return "MemberHandle{" + name + (closed ? ", closed" : "") + "}";
  }
}
