package io.gleaner.api.client;

import io.gleaner.api.auth.PemKeys;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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

  /** A channel to {@code settings.target()}; the caller shuts it down. */
  public static ManagedChannel open(ChannelSettings settings, MeterRegistry registry) {
    return Grpc.newChannelBuilder(settings.target(), credentials(settings))
        .intercept(new ClientMetrics(registry, settings.client()))
        .defaultServiceConfig(retryConfig())
        .enableRetry()
        .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .build();
  }

  static ChannelCredentials credentials(ChannelSettings s) {
    if (!s.tls()) {
      return InsecureChannelCredentials.create();
    }
    try {
      TlsChannelCredentials.Builder b =
          TlsChannelCredentials.newBuilder().trustManager(new File(s.caFile()));
      if (s.certFile() != null) {
        b.keyManager(PemKeys.keyManagers(s.certFile(), s.keyFile()));
      }
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the TLS files of "
              + s.target()
              + " (ca "
              + s.caFile()
              + ", cert "
              + s.certFile()
              + ", key "
              + s.keyFile()
              + "): "
              + e.getMessage(),
          e);
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
