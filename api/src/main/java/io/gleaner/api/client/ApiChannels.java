package io.gleaner.api.client;

import io.gleaner.api.tls.CertificateFiles;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettySslContextChannelCredentials;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSslSessionContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSessionContext;

/**
 * Opens the channels of every Gleaner client in one way: TLS (server-verified, optionally mutual)
 * or plaintext, keepalive, the call metrics of {@link ClientMetrics}, and the retry policy below.
 *
 * <p>Retries: gRPC's transparent retry covers calls that never left the client. On top of that, the
 * unary calls that are safe to repeat ({@code Confirm}, {@code Release}, {@code ListPlacements},
 * {@code GetCapacity}, {@code Estimate}; each is keyed by pod UID or reads only) are retried on
 * {@code UNAVAILABLE} up to 3 attempts with exponential backoff, within the call's deadline. {@code
 * Place} and {@code Withdraw} are not retried here: their callers decide (a repeated Place of the
 * same pod is answered with its existing reservation, but the caller must see the first failure to
 * count it).
 */
public final class ApiChannels {
  private ApiChannels() {}

  /** Seconds between keepalive pings on a channel with open calls; servers must permit it. */
  public static final int KEEPALIVE_SECONDS = 30;

  /**
   * A channel to {@code settings.target()}; the caller shuts it down. Its CA bundle and its client
   * certificate, if any, are followed ({@link CertificateFiles}): a rotated CA verifies the next
   * connection, a renewed certificate is presented on it.
   */
  public static ManagedChannel open(ChannelSettings settings, MeterRegistry registry) {
    return open(settings, registry, CertificateFiles.DEFAULT_POLL);
  }

  /**
   * {@link #open(ChannelSettings, MeterRegistry)}, looking at the CA and certificate every {@code
   * poll}.
   */
  public static ManagedChannel open(
      ChannelSettings settings, MeterRegistry registry, Duration poll) {
    CertificateFiles.Watched keys = settings.certFile() == null ? null : keyManager(settings, poll);
    CertificateFiles.WatchedTrust trust;
    try {
      trust = settings.tls() ? trustManager(settings, poll) : null;
    } catch (RuntimeException e) {
      if (keys != null) {
        keys.close();
      }
      throw e;
    }
    List<CertificateFiles> watches = new ArrayList<>();
    if (trust != null) {
      watches.add(trust.files());
    }
    if (keys != null) {
      watches.add(keys.files());
    }
    ManagedChannel channel;
    try {
      channel =
          Grpc.newChannelBuilder(settings.target(), credentials(trust, keys))
              .intercept(new ClientMetrics(registry, settings.client()))
              .defaultServiceConfig(retryConfig())
              .enableRetry()
              .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
              .keepAliveTimeout(10, TimeUnit.SECONDS)
              .build();
    } catch (RuntimeException e) {
      watches.forEach(CertificateFiles::close);
      throw e;
    }
    return watches.isEmpty() ? channel : new WatchingChannel(channel, watches);
  }

  private static CertificateFiles.WatchedTrust trustManager(ChannelSettings s, Duration poll) {
    try {
      return CertificateFiles.trustManager(Path.of(s.caFile()), poll);
    } catch (IllegalArgumentException e) {
      throw new UncheckedIOException(
          new IOException(
              "cannot read the CA " + s.caFile() + " of " + s.target() + ": " + e.getMessage(), e));
    }
  }

  private static CertificateFiles.Watched keyManager(ChannelSettings s, Duration poll) {
    try {
      return CertificateFiles.keyManager(Path.of(s.certFile()), Path.of(s.keyFile()), poll);
    } catch (IllegalArgumentException e) {
      throw new UncheckedIOException(
          new IOException(
              "cannot use the client certificate of "
                  + s.target()
                  + " (cert "
                  + s.certFile()
                  + ", key "
                  + s.keyFile()
                  + "): "
                  + e.getMessage(),
              e));
    }
  }

  static ChannelCredentials credentials(
      CertificateFiles.WatchedTrust trust, CertificateFiles.Watched keys) {
    if (trust == null) {
      return InsecureChannelCredentials.create();
    }
    try {
      SslContextBuilder b = GrpcSslContexts.forClient().trustManager(trust.trustManager());
      if (keys != null) {
        b.keyManager(keys.keyManager());
      }
      SslContext context = b.build();
      noResumption(context.sessionContext());
      return NettySslContextChannelCredentials.create(context);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every new connection makes a full handshake: a resumed TLS session (a TLS 1.3 ticket) carries
   * the certificates of the session it resumes, so the server would go on seeing this client's old
   * certificate after a renewal, and the client the server's. gRPC connections are long-lived; the
   * handshakes this costs are few.
   */
  private static void noResumption(SSLSessionContext sessions) {
    if (sessions instanceof OpenSslSessionContext openSsl) {
      openSsl.setSessionCacheEnabled(false);
    } else {
      sessions.setSessionCacheSize(1);
      sessions.setSessionTimeout(1);
    }
  }

  static Map<String, Object> retryConfig() {
    Map<String, Object> retry =
        Map.of(
            "maxAttempts",
            3.0,
            "initialBackoff",
            "0.1s",
            "maxBackoff",
            "1s",
            "backoffMultiplier",
            2.0,
            "retryableStatusCodes",
            List.of("UNAVAILABLE"));
    List<Object> names =
        List.of("Confirm", "Release", "ListPlacements", "GetCapacity", "Estimate").stream()
            .<Object>map(m -> Map.of("service", "gleaner.v1.Broker", "method", m))
            .toList();
    return Map.of("methodConfig", List.of(Map.of("name", names, "retryPolicy", retry)));
  }
}
