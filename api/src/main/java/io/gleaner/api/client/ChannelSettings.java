package io.gleaner.api.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How a service reaches a Gleaner gRPC endpoint: the target, TLS on the client side, and the
 * deadlines every call of the typed clients carries.
 *
 * @param target {@code host:port} (or any gRPC target string, e.g. {@code dns:///broker:9090})
 * @param caFile PEM bundle that the server certificate must chain to; {@code null}: plaintext
 * @param certFile client certificate (PEM) for mutual TLS; with {@code keyFile}, or neither
 * @param keyFile client private key (PEM: PKCS#8, PKCS#1 or SEC 1)
 * @param callDeadline deadline of each unary call
 * @param streamDeadline deadline of one stream; long-lived streams are reopened when it expires
 * @param client this service's name, the {@code client} tag of the call metrics
 */
public record ChannelSettings(
    String target,
    String caFile,
    String certFile,
    String keyFile,
    Duration callDeadline,
    Duration streamDeadline,
    String client) {
  public static final Duration DEFAULT_CALL_DEADLINE = Duration.ofSeconds(10);
  public static final Duration DEFAULT_STREAM_DEADLINE = Duration.ofHours(1);

  public ChannelSettings {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(callDeadline, "callDeadline");
    Objects.requireNonNull(streamDeadline, "streamDeadline");
    Objects.requireNonNull(client, "client");
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException(
          "client TLS needs both certFile and keyFile, or neither (got certFile="
              + certFile
              + ", keyFile="
              + keyFile
              + ")");
    }
    if (certFile != null && caFile == null) {
      throw new IllegalArgumentException("a client certificate needs TLS: set caFile too");
    }
  }

  /** Plaintext to {@code target} with the default deadlines. */
  public static ChannelSettings plaintext(String target, String client) {
    return new ChannelSettings(
        target, null, null, null, DEFAULT_CALL_DEADLINE, DEFAULT_STREAM_DEADLINE, client);
  }

  public ChannelSettings withCallDeadline(Duration d) {
    return new ChannelSettings(target, caFile, certFile, keyFile, d, streamDeadline, client);
  }

  public ChannelSettings withStreamDeadline(Duration d) {
    return new ChannelSettings(target, caFile, certFile, keyFile, callDeadline, d, client);
  }

  public ChannelSettings withTls(String caFile, String certFile, String keyFile) {
    return new ChannelSettings(
        target, caFile, certFile, keyFile, callDeadline, streamDeadline, client);
  }

  public boolean tls() {
    return caFile != null;
  }
}
