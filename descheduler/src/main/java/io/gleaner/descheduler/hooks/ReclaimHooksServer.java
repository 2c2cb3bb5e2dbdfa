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
import java.util.concurrent.TimeUnit;
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

  private ReclaimHooksServer() {}

  /** Starts the server; the caller shuts it down. */
  public static Server start(
      DeschedulerConfig.HookServer config, ReclaimHub hub, MeterRegistry registry)
      throws IOException {
    ServerTls tls = config.tls();
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(config.host(), config.port()),
                ServerTlsCredentials.of(tls.certFile(), tls.keyFile(), tls.clientCaFile()))
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
    Server server = b.build().start();
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
}
