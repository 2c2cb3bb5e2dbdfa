package io.gleaner.idle.publish;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: attempt {@code n} waits a random time in {@code [base·2ⁿ /
 * 2, base·2ⁿ]}, capped at {@code max}. Not thread-safe.
 */
public final class Backoff {
  private final Duration base;
  private final Duration max;
  private final DoubleSupplier random;
  private int attempt;

  /**
   * @param random values in [0, 1), e.g. {@code ThreadLocalRandom.current()::nextDouble}
   */
  public Backoff(Duration base, Duration max, DoubleSupplier random) {
    this.base = Objects.requireNonNull(base, "base");
    this.max = Objects.requireNonNull(max, "max");
    this.random = Objects.requireNonNull(random, "random");
    if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
      throw new IllegalArgumentException(
          "backoff needs 0 < base <= max, got base " + base + ", max " + max);
    }
  }

  /** The wait before the next attempt; each call doubles the ceiling. */
  public Duration next() {
    long ceiling = base.toMillis() << Math.min(attempt, 20);
    ceiling = Math.min(ceiling, max.toMillis());
    attempt++;
    long half = ceiling / 2;
    return Duration.ofMillis(half + (long) (random.getAsDouble() * (ceiling - half)));
  }

  /** Back to the first attempt, after a connection that held. */
  public void reset() {
    attempt = 0;
  }

  public int attempts() {
    return attempt;
  }
}
