package io.gleaner.meta.config;

import java.time.Duration;

/**
 * The broker service ({@code broker.*}).
 *
 * @param grpc the gRPC server
 * @param offerTtl how long an offer stays valid without a refresh from its source
 * @param gangTtl how long a gang's reservations wait for their pods to be confirmed before the
 *     broker gives them all back (a PlaceGang call that names no TTL of its own)
 * @param dashboard the capacity dashboard on the admin server
 * @param kueue the Kueue quota controller (off by default)
 */
public record BrokerConfig(
    Grpc grpc, Duration offerTtl, Duration gangTtl, Dashboard dashboard, Kueue kueue)
    implements Validatable {
  /** The default {@link #gangTtl}. */
  public static final Duration DEFAULT_GANG_TTL = Duration.ofMinutes(2);

  public static final BrokerConfig DEFAULTS =
      new BrokerConfig(
          new Grpc("0.0.0.0", 9090, ServerTls.NONE),
          Duration.ofSeconds(60),
          DEFAULT_GANG_TTL,
          new Dashboard(true),
          Kueue.OFF);

  /** With the default gang TTL, without the Kueue quota controller. */
  public BrokerConfig(Grpc grpc, Duration offerTtl, Dashboard dashboard) {
    this(grpc, offerTtl, DEFAULT_GANG_TTL, dashboard, Kueue.OFF);
  }

  @Override
  public void validate(Problems p) {
    p.positive("offerTtl", offerTtl);
    p.positive("gangTtl", gangTtl);
  }

  /**
   * {@code broker.kueue.*}: keep the {@code nominalQuota} of the Kueue ResourceFlavors that point
   * at the virtual node in step with the harvested capacity.
   *
   * @param enabled run the controller
   * @param band a quota is rewritten only when the harvest moved by more than this fraction of it
   * @param interval how often the quotas are checked (cluster clock)
   */
  public record Kueue(boolean enabled, double band, Duration interval) implements Validatable {
    public static final Kueue OFF = new Kueue(false, 0.1, Duration.ofSeconds(30));

    @Override
    public void validate(Problems p) {
      if (!(band >= 0 && band < 1)) {
        p.add("band", "must be in [0, 1), got " + band);
      }
      p.positive("interval", interval);
    }
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
