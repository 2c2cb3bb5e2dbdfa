package io.gleaner.broker.grpc;

import io.gleaner.meta.service.AbstractLifecycle;
import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's gRPC server (Netty, shaded) on a host and port, with TLS when a certificate and key
 * are given.
 */
public final class BrokerServer extends AbstractLifecycle {
  private static final Logger log = LoggerFactory.getLogger(BrokerServer.class);

  private final String host;
  private final int requestedPort;
  private final String certFile;
  private final String keyFile;
  private final List<BindableService> services;
  private volatile Server server;

  /**
   * @param port 0 picks a free port
   * @param certFile PEM certificate chain, or null for plaintext (then {@code keyFile} must be null
   *     too)
   * @param keyFile PEM PKCS#8 private key, or null
   */
  public BrokerServer(
      String host, int port, String certFile, String keyFile, List<BindableService> services) {
    super("broker-grpc");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("broker.grpc.port must be within 0..65535, got " + port);
    }
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException(
          "broker.grpc.tls: certFile and keyFile must be set together");
    }
    this.host = host;
    this.requestedPort = port;
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.services = List.copyOf(services);
  }

  @Override
  protected void doStart() throws Exception {
    ServerCredentials creds =
        certFile == null
            ? InsecureServerCredentials.create()
            : TlsServerCredentials.create(new File(certFile), new File(keyFile));
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, requestedPort), creds);
    services.forEach(b::addService);
    server = b.build().start();
    log.info(
        "broker gRPC listening on {}:{}{}",
        host,
        server.getPort(),
        certFile == null ? "" : " (TLS)");
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
  }

  /** The bound port, once started. */
  public int port() {
    return server.getPort();
  }
}
