package io.gleaner.meta.config;

/**
 * The admin HTTP server ({@code metrics.*}) serving {@code /metrics}, {@code /healthz} and {@code
 * /readyz}.
 *
 * @param bindAddress {@code host:port}; port 0 picks a free port; flag {@code
 *     --metrics-bind-address}
 */
public record MetricsConfig(HostPort bindAddress) implements Validatable {
  public static final MetricsConfig DEFAULTS = new MetricsConfig(new HostPort("0.0.0.0", 8080));

  @Override
  public void validate(Problems p) {
    p.check(bindAddress != null, "bindAddress", null, "must be set");
  }
}
