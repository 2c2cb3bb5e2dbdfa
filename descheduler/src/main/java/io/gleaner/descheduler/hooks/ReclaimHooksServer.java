package io.gleaner.descheduler.hooks;

import io.gleaner.api.auth.CallerAuthorizer;
import io.gleaner.api.auth.MethodAccess;
import io.gleaner.api.auth.ServerTlsCredentials;
import io.gleaner.meta.config.DeschedulerConfig;
import io.gleaner.meta.config.ServerTls;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ReclaimHooks gRPC server ({@code descheduler.hooks.server.*}) serving a {@link ReclaimHub}:
 * TLS when a certificate is configured; with a client CA, subscribers authenticate by certificate
 * and only the configured {@code subscribers} may watch ({@link CallerAuthorizer}).
 */
public final class ReclaimHooksServer {
  private static final Logger log = LoggerFactory.getLogger(ReclaimHooksServer.class);

  /** The largest request: a ReclaimFilter is a few names. */
  static final int MAX_MESSAGE_BYTES = 64 << 10;

  /** Threads running calls: a Watch only registers its subscriber, the hub sends the events. */
  static final int CALL_THREADS = 4;

  /** Call steps waiting for a thread before new ones are refused. */
  static final int QUEUED_CALL_STEPS = 1_000;

  /** Concurrent calls (watches included) per subscriber connection. */
  static final int MAX_CALLS_PER_CONNECTION = 100;

  private ReclaimHooksServer() {}

  /** Starts the server; the caller shuts it down. */
  public static Server start(
      DeschedulerConfig.HookServer config, ReclaimHub hub, MeterRegistry registry)
      throws IOException {
    ServerTls tls = config.tls();
    ServerTlsCredentials credentials =
        ServerTlsCredentials.open(tls.certFile(), tls.keyFile(), tls.clientCaFile());
    ThreadPoolExecutor executor = boundedExecutor();
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(config.host(), config.port()), credentials.credentials())
            .executor(executor)
            .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
            .permitKeepAliveTime(20, TimeUnit.SECONDS) // clients ping every 30 s (ApiChannels)
            .maxInboundMessageSize(MAX_MESSAGE_BYTES);
    if (tls.mutual()) {
      b.addService(
          ServerInterceptors.intercept(
              hub,
              new CallerAuthorizer(
                  "reclaim-hooks", MethodAccess.reclaimHooks(config.subscribers()), registry)));
    } else {
      b.addService(hub);
    }
    Server server;
    try {
      server = new ExecutorOwningServer(b.build().start(), executor, credentials);
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      credentials.close();
      throw e;
    }
    log.info(
        "ReclaimHooks gRPC server on {}:{} ({})",
        config.host(),
        server.getPort(),
        !tls.enabled()
            ? "plaintext, subscribers not authenticated"
            : tls.mutual()
                ? "mutual TLS, subscribers " + config.subscribers()
                : "TLS, subscribers not authenticated");
    return server;
  }

  /**
   * The threads that run calls: bounded, unlike gRPC's default cached pool; past {@link
   * #QUEUED_CALL_STEPS} queued steps new work is refused and the call fails.
   */
  static ThreadPoolExecutor boundedExecutor() {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            CALL_THREADS,
            CALL_THREADS,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUED_CALL_STEPS),
            r -> {
              Thread t = new Thread(r, "reclaim-hooks-grpc-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /**
   * The started server; shutting it down shuts its call executor down too and stops following its
   * certificate files.
   */
  private static final class ExecutorOwningServer extends Server {
    private final Server server;
    private final ExecutorService executor;
    private final ServerTlsCredentials credentials;

    ExecutorOwningServer(
        Server server, ExecutorService executor, ServerTlsCredentials credentials) {
      this.server = server;
      this.executor = executor;
      this.credentials = credentials;
    }

    @Override
    public Server start() throws IOException {
      server.start();
      return this;
    }

    @Override
    public int getPort() {
      return server.getPort();
    }

    @Override
    public List<? extends SocketAddress> getListenSockets() {
      return server.getListenSockets();
    }

    @Override
    public Server shutdown() {
      server.shutdown();
      executor.shutdown();
      credentials.close();
      return this;
    }

    @Override
    public Server shutdownNow() {
      server.shutdownNow();
      executor.shutdownNow();
      credentials.close();
      return this;
    }

    @Override
    public boolean isShutdown() {
      return server.isShutdown();
    }

    @Override
    public boolean isTerminated() {
      return server.isTerminated() && executor.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      long deadline = System.nanoTime() + unit.toNanos(timeout);
      return server.awaitTermination(timeout, unit)
          && executor.awaitTermination(
              Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    @Override
    public void awaitTermination() throws InterruptedException {
      server.awaitTermination();
      while (!executor.awaitTermination(1, TimeUnit.MINUTES)) {
        // keep waiting, as the server's own awaitTermination() does
      }
    }
  }
}
