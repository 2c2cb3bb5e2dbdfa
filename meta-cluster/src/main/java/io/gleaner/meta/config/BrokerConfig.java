package io.gleaner.meta.config;

import java.time.Duration;

/**
 * The broker service ({@code broker.*}).
 *
 * @param grpc the gRPC server
 * @param offerTtl how long an offer stays valid without a refresh from its source
 * @param dashboard the capacity dashboard on the admin server
 */
public record BrokerConfig(Grpc grpc, Duration offerTtl, Dashboard dashboard)
    implements Validatable {
  public static final BrokerConfig DEFAULTS =
      new BrokerConfig(
          new Grpc("0.0.0.0", 9090, ServerTls.NONE), Duration.ofSeconds(60), new Dashboard(true));

  @Override
  public void validate(Problems p) {
    p.positive("offerTtl", offerTtl);
  }

  /**
   * {@code broker.grpc.*}.
   *
   * @param host the address to bind
   * @param port the port; 0 picks a free one
   * @param tls server TLS; off unless both files are set
   */
  public record Grpc(String host, int port, ServerTls tls) implements Validatable {
    @Override
    public void validate(Problems p) {
      p.notBlank("host", host);
      p.inRange("port", port, 0, 65535);
    }
  }

  /** {@code broker.dashboard.*}. @param enabled serve the dashboard and its JSON API */
  public record Dashboard(boolean enabled) {}
}
