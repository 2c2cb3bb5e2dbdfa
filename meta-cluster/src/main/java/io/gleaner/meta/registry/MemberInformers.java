package io.gleaner.meta.registry;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The informers (and other watches) one component runs against one member cluster, owned by the
 * member's {@link MemberHandle}: when the member is disabled, deleted or its kubeconfig changes,
 * the handle closes and every informer registered here is stopped before the client closes.
 *
 * <p>Typical use, in {@link MemberListener#memberAdded}:
 *
 * <pre>{@code
 * var pods = handle.informers().inform(c -> c.pods().inAnyNamespace()
 *     .withLabel("gleaner.io/managed", "true").inform(handler, 0));
 * }</pre>
 *
 * Informers are not routed through the circuit breaker: they reconnect with their own backoff.
 * Thread-safe.
 */
public final class MemberInformers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MemberInformers.class);

  private final String cluster;
  private final KubernetesClient client;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private boolean closed;

  MemberInformers(String cluster, KubernetesClient client) {
    this.cluster = cluster;
    this.client = client;
  }

  /**
   * Builds an informer with the member's client and tracks it.
   *
   * @throws MemberUnavailableException (reason CLOSED) when the handle is already closed; an
   *     informer built meanwhile is stopped
   */
  public <T extends HasMetadata> SharedIndexInformer<T> inform(
      Function<KubernetesClient, SharedIndexInformer<T>> factory) {
    ensureOpen("inform");
    return register(factory.apply(client));
  }

  /**
   * Tracks an informer built on this member's client, so that it is stopped with the handle.
   *
   * @throws MemberUnavailableException (reason CLOSED) when the handle is closed; the informer is
   *     stopped first
   */
  public <T extends HasMetadata> SharedIndexInformer<T> register(SharedIndexInformer<T> informer) {
    synchronized (this) {
      if (!closed) {
        informers.add(informer);
        return informer;
      }
    }
    informer.stop();
    throw new MemberUnavailableException(
        cluster, "register informer", MemberUnavailableException.Reason.CLOSED, null);
  }

  /** Tracks anything else to close with the handle (a Watch, an executor). */
  public void register(AutoCloseable closeable) {
    synchronized (this) {
      if (!closed) {
        closeables.add(closeable);
        return;
      }
    }
    closeQuietly(closeable);
    throw new MemberUnavailableException(
        cluster, "register closeable", MemberUnavailableException.Reason.CLOSED, null);
  }

  /** Number of tracked informers. */
  public synchronized int size() {
    return informers.size();
  }

  /** A copy of the tracked informers. */
  public synchronized List<SharedIndexInformer<?>> informers() {
    return List.copyOf(informers);
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  /** Stops every informer and closes every closeable; idempotent. */
  @Override
  public void close() {
    List<SharedIndexInformer<?>> toStop;
    List<AutoCloseable> toClose;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toStop = List.copyOf(informers);
      toClose = List.copyOf(closeables);
      informers.clear();
      closeables.clear();
    }
    for (SharedIndexInformer<?> informer : toStop) {
      try {
        informer.stop();
      } catch (RuntimeException e) {
        log.warn("stopping an informer of member {} failed", cluster, e);
      }
    }
    toClose.forEach(this::closeQuietly);
  }

  private void ensureOpen(String operation) {
    if (isClosed()) {
      throw new MemberUnavailableException(
          cluster, operation, MemberUnavailableException.Reason.CLOSED, null);
    }
  }

  private void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing a resource of member {} failed", cluster, e);
    }
  }
}
