package io.gleaner.meta.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A manually driven clock for tests of every module. It only moves when told to.
 *
 * <p>Thread-safe: {@link #advance(Duration)} and {@link #set(Instant)} may race with readers on
 * other threads; every reader sees some value that was set. Zoned views made by {@link
 * #withZone(ZoneId)} share the same time.
 */
public final class FakeClock extends Clock {
  /** A fixed, readable default start: 2024-01-01T00:00:00Z. */
  public static final Instant DEFAULT_START = Instant.parse("2024-01-01T00:00:00Z");

  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  public FakeClock() {
    this(DEFAULT_START);
  }

  public FakeClock(Instant start) {
    this(new AtomicReference<>(Objects.requireNonNull(start, "start")), ZoneOffset.UTC);
  }

  private FakeClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = zone;
  }

  /**
   * Moves the clock forward.
   *
   * @return the new instant
   * @throws IllegalArgumentException if {@code by} is negative
   */
  public Instant advance(Duration by) {
    Objects.requireNonNull(by, "by");
    if (by.isNegative()) {
      throw new IllegalArgumentException(
          "FakeClock.advance needs a non-negative duration, got " + by);
    }
    return now.updateAndGet(t -> t.plus(by));
  }

  /** Sets the clock to {@code instant}; unlike {@link #advance} this may move it backwards. */
  public void set(Instant instant) {
    now.set(Objects.requireNonNull(instant, "instant"));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId newZone) {
    return newZone.equals(zone) ? this : new FakeClock(now, newZone);
  }

  @Override
  public String toString() {
    return "FakeClock[" + now.get() + "]";
  }
}
