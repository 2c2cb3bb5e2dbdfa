package io.gleaner.broker.grpc;

import io.gleaner.api.auth.CallerAuthorizer;
import io.gleaner.api.auth.MethodAccess;
import io.gleaner.api.auth.ServerTlsCredentials;
import io.gleaner.api.tls.CertificateFiles;
import io.gleaner.meta.service.AbstractLifecycle;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's gRPC server (Netty, shaded) on a host and port, with TLS when a certificate and key
 * are given, and with mutual TLS when a client CA is given too: then every call is authenticated
 * and authorized by {@link CallerAuthorizer} against {@link MethodAccess#broker()}.
 */
public final class BrokerServer extends AbstractLifecycle {
  private static final Logger log = LoggerFactory.getLogger(BrokerServer.class);

  private final String host;
  private final int requestedPort;
  private final String certFile;
  private final String keyFile;
  private final String clientCaFile;
  private final MeterRegistry registry;
  private final List<BindableService> services;

  /** Threads running calls. */
  static final int CALL_THREADS = 16;

  /** Call steps (messages, completions) waiting for a thread before new ones are refused. */
  static final int QUEUED_CALL_STEPS = 10_000;

  /** Concurrent calls (streams included) per client connection. */
  static final int MAX_CALLS_PER_CONNECTION = 1_000;

  /** The largest request: a full resync of one member's offers fits many times over. */
  static final int MAX_MESSAGE_BYTES = 16 << 20;

  private ThreadPoolExecutor executor;
  private ServerTlsCredentials tls;
  private Duration certificatePoll = CertificateFiles.DEFAULT_POLL;
  private volatile Server server;

  /**
   * @param port 0 picks a free port
   * @param certFile PEM certificate chain, or null for plaintext (then {@code keyFile} must be null
   *     too)
   * @param keyFile PEM PKCS#8 private key, or null
   * @param clientCaFile PEM CA bundle of callers' certificates: with it, only authenticated callers
   *     allowed by {@link MethodAccess#broker()} are served; null: callers are not authenticated
   * @param registry where refused calls are counted
   */
  public BrokerServer(
      String host,
      int port,
      String certFile,
      String keyFile,
      String clientCaFile,
      List<BindableService> services,
      MeterRegistry registry) {
    super("broker-grpc");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("broker.grpc.port must be within 0..65535, got " + port);
    }
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException(
          "broker.grpc.tls: certFile and keyFile must be set together");
    }
    if (clientCaFile != null && certFile == null) {
      throw new IllegalArgumentException(
          "broker.grpc.tls.clientCaFile needs certFile and keyFile (mutual TLS needs TLS)");
    }
    this.host = host;
    this.requestedPort = port;
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.clientCaFile = clientCaFile;
    this.registry = registry;
    this.services = List.copyOf(services);
  }

  @Override
  protected void doStart() throws Exception {
    executor = boundedExecutor();
    tls = ServerTlsCredentials.open(certFile, keyFile, clientCaFile, certificatePoll);
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, requestedPort), tls.credentials())
            .executor(executor)
            .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
            .maxInboundMessageSize(MAX_MESSAGE_BYTES)
            // Gleaner's clients ping every 30 s on open streams (ApiChannels); gRPC's default
            // permits one ping in 5 min and answers more with GOAWAY too_many_pings
            .permitKeepAliveTime(20, TimeUnit.SECONDS);
    if (clientCaFile == null) {
      services.forEach(b::addService);
    } else {
      CallerAuthorizer authorizer = new CallerAuthorizer("broker", MethodAccess.broker(), registry);
      services.forEach(s -> b.addService(ServerInterceptors.intercept(s, authorizer)));
    }
    server = b.build().start();
    log.info(
        "broker gRPC listening on {}:{} ({})",
        host,
        server.getPort(),
        certFile == null
            ? "plaintext, callers not authenticated"
            : clientCaFile == null
                ? "TLS, callers not authenticated"
                : "mutual TLS, callers authenticated and authorized per method");
  }

  @Override
  protected void doStop() throws Exception {
    Server s = server;
    if (s != null) {
      s.shutdown();
      if (!s.awaitTermination(5, TimeUnit.SECONDS)) {
        s.shutdownNow();
      }
    }
    if (executor != null) {
      executor.shutdownNow();
    }
    if (tls != null) {
      tls.close();
    }
  }

  /**
   * The threads that run calls: bounded, unlike gRPC's default cached pool. Handlers are short (the
   * ledger is one lock), so a burst queues; past {@link #QUEUED_CALL_STEPS} queued steps new work
   * is refused and the call fails instead of the broker running out of memory.
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
              Thread t = new Thread(r, "broker-grpc-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /**
   * How often the certificate and key files are looked at for a renewal (default {@link
   * CertificateFiles#DEFAULT_POLL}); set before start.
   */
  public BrokerServer certificatePoll(Duration poll) {
    this.certificatePoll = poll;
    return this;
  }

  /** The bound port, once started. */
  public int port() {
    return server.getPort();
  }
}
