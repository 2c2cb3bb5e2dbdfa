package io.gleaner.meta.registry;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads every member client of one {@link MemberRegistry} shares, so a service's threads do
 * not grow with the number of members: left to its defaults, each fabric8 client starts its own
 * Vert.x (its event loops, blocked-thread checker and internal blocking pool) and its own cached
 * task pool, about nine threads per member in each service.
 *
 * <ul>
 *   <li>One Vert.x for the HTTP connections of every member: its event loops (2 per core) only move
 *       bytes; a member that answers slowly holds no event-loop thread while it is awaited, so it
 *       delays no other member's requests or watches. Answers are decoded off the loops ({@link
 *       OffLoopHttpClientFactory}): a large list decoded on a loop stalled every member on it.
 *   <li>One task pool for what fabric8 runs off the event loop (decoding whole answers, informer
 *       handlers, each informer serially; async request callbacks): it creates a thread only for
 *       work running at that moment and lets an idle one go after a minute, so a handler that is
 *       slow in one member never queues another member's handlers behind it (no bounded queue to
 *       starve), and its size is bounded by the work in flight, not by the number of members.
 *   <li>One JSON serialization: each client's own would build and cache Jackson's (de)serializers
 *       for every model kind once per member (in the leading virtual-kubelet at 60 members, 9,261
 *       bean deserializers and 212,000 reflected methods, a large part of its live heap).
 * </ul>
 *
 * <p>Closed by the registry after every member client is closed. Each service's metadata-cluster
 * client has an instance of its own ({@code gleaner-meta}), for the same reason: its answers (the
 * pods on the virtual node, MemberClusters, policies) are decoded off its event loops too.
 */
public final class MemberHttpClients implements AutoCloseable {
  private final Vertx vertx;
  private final OffLoopHttpClientFactory factory;
  private final ExecutorService tasks;
  private final KubernetesSerialization serialization;

  MemberHttpClients() {
    this(new KubernetesSerialization());
  }

  /** With {@code serialization} for every member client (tests observe where it decodes). */
  MemberHttpClients(KubernetesSerialization serialization) {
    this("gleaner-member", serialization);
  }

  /**
   * For the clients of one purpose, e.g. {@code gleaner-meta}: its task threads are named {@code
   * name-task-N}; {@code serialization} decodes every answer.
   */
  public MemberHttpClients(String name, KubernetesSerialization serialization) {
    this.serialization = serialization;
    this.vertx = newVertx();
    this.tasks =
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE,
            60,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            daemon(name + "-task"));
    this.factory = new OffLoopHttpClientFactory(new VertxHttpClientFactory(vertx), tasks);
  }

  /** {@code builder} set to use the shared Vert.x, task pool and serialization. */
  public KubernetesClientBuilder applyTo(KubernetesClientBuilder builder) {
    return builder
        .withHttpClientFactory(factory)
        .withTaskExecutor(tasks)
        .withKubernetesSerialization(serialization);
  }

  /** Vert.x as fabric8 configures its own: daemon threads, no file cache, the JDK's resolver. */
  private static Vertx newVertx() {
    String key = "vertx.disableDnsResolver";
    String previous = System.getProperty(key);
    System.setProperty(key, "true");
    try {
      return Vertx.vertx(
          new VertxOptions()
              .setUseDaemonThread(true)
              .setFileSystemOptions(
                  new FileSystemOptions()
                      .setFileCachingEnabled(false)
                      .setClassPathResolvingEnabled(false)));
    } finally {
      if (previous == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, previous);
      }
    }
  }

  @Override
  public void close() {
    tasks.shutdownNow();
    vertx.close();
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
