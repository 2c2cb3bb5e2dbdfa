package io.gleaner.meta.service;

import java.util.Objects;

/**
 * The outcome of one {@link HealthCheck}.
 *
 * @param status UP or DOWN
 * @param detail a short human-readable explanation, e.g. {@code "connected to 10.0.0.5:2181"}
 */
public record Health(Status status, String detail) {

  /** Whether a check passed. */
  public enum Status {
    UP,
    DOWN
  }

  public Health {
    Objects.requireNonNull(status, "status");
    detail = detail == null ? "" : detail;
  }

  public static Health up(String detail) {
    return new Health(Status.UP, detail);
  }

  public static Health down(String detail) {
    return new Health(Status.DOWN, detail);
  }

  public boolean isUp() {
    return status == Status.UP;
  }
}
