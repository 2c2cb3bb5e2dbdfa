package io.gleaner.meta.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A clock that runs {@code speed} times faster than a base clock, anchored at a real start instant.
 *
 * <p>At the anchor the clock shows {@code simulatedStart}; afterwards simulated time advances by
 * {@code speed × (real elapsed)}. The sandbox runs every service on one instance so that a day of
 * simulated load passes in minutes. Components schedule real timers with {@link #toReal(Duration)}.
 *
 * <p>Thread-safe and immutable.
 */
public final class AcceleratedClock extends Clock {
  private final Clock base;
  private final Instant realStart;
  private final Instant simulatedStart;
  private final double speed;
  private final ZoneId zone;

  /**
   * @param base the real clock (normally {@link Clock#systemUTC()})
   * @param simulatedStart what this clock shows at the moment of construction
   * @param speed how many simulated seconds pass per real second; finite and positive
   */
  public AcceleratedClock(Clock base, Instant simulatedStart, double speed) {
    this(base, base.instant(), simulatedStart, speed, ZoneOffset.UTC);
  }

  private AcceleratedClock(
      Clock base, Instant realStart, Instant simulatedStart, double speed, ZoneId zone) {
    this.base = Objects.requireNonNull(base, "base");
    this.realStart = Objects.requireNonNull(realStart, "realStart");
    this.simulatedStart = Objects.requireNonNull(simulatedStart, "simulatedStart");
    this.speed = checkSpeed(speed);
    this.zone = Objects.requireNonNull(zone, "zone");
  }

  /**
   * A clock that shows {@code simulatedStart} at the real instant {@code realStart} (past or
   * future) on {@code base}: processes built with the same three values show the same time.
   */
  public static AcceleratedClock anchored(
      Clock base, Instant realStart, Instant simulatedStart, double speed) {
    return new AcceleratedClock(base, realStart, simulatedStart, speed, ZoneOffset.UTC);
  }

  /**
   * A clock on the system UTC clock that shows the real time now and then runs {@code speed}×
   * faster.
   */
  public static AcceleratedClock startingNow(double speed) {
    Clock system = Clock.systemUTC();
    return new AcceleratedClock(system, system.instant(), speed);
  }

  /**
   * Validates a clock speed.
   *
   * @throws IllegalArgumentException naming the bad value unless finite and positive
   */
  public static double checkSpeed(double speed) {
    if (!(speed > 0) || Double.isInfinite(speed)) {
      throw new IllegalArgumentException("clock speed must be a finite number > 0, got " + speed);
    }
    return speed;
  }

  public double speed() {
    return speed;
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId newZone) {
    return newZone.equals(zone)
        ? this
        : new AcceleratedClock(base, realStart, simulatedStart, speed, newZone);
  }

  @Override
  public Instant instant() {
    Duration realElapsed = Duration.between(realStart, base.instant());
    return simulatedStart.plus(scale(realElapsed, speed));
  }

  /**
   * The real period that corresponds to {@code simulated} on this clock, e.g. for scheduling a
   * timer.
   */
  public Duration toReal(Duration simulated) {
    return scale(simulated, 1.0 / speed);
  }

  /** The simulated period that passes on this clock during {@code real}. */
  public Duration toSimulated(Duration real) {
    return scale(real, speed);
  }

  private static Duration scale(Duration d, double factor) {
    if (factor == 1.0) {
      return d;
    }
    // Seconds and nanos are scaled separately so that long periods keep nanosecond resolution.
    double seconds = d.getSeconds() * factor;
    long wholeSeconds = (long) Math.floor(seconds);
    long nanos = Math.round((seconds - wholeSeconds) * 1e9 + d.getNano() * factor);
    Duration scaled = Duration.ofSeconds(wholeSeconds, nanos);
    if (scaled.isZero() && !d.isZero() && !d.isNegative()) {
      return Duration.ofNanos(1);
    }
    return scaled;
  }

  @Override
  public String toString() {
    return "AcceleratedClock[speed="
        + speed
        + ", simulatedStart="
        + simulatedStart
        + ", realStart="
        + realStart
        + "]";
  }
}
