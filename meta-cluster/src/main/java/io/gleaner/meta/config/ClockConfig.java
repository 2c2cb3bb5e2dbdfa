package io.gleaner.meta.config;

import io.gleaner.meta.time.AcceleratedClock;
import java.time.Clock;
import java.time.Instant;

/**
 * The clock a service runs on ({@code clock.*}). The one place where a service's clock is defined:
 * processes given the same three keys show the same simulated time, which is how the sandbox runs
 * every service on one accelerated clock.
 *
 * @param speed simulated seconds per real second (1 = real time); flag {@code --speed}
 * @param simulatedStart what the clock shows at {@code realStart}; null = the real time at {@code
 *     realStart} (the clock only runs faster)
 * @param realStart the real instant the clock is anchored at; null = when the service starts
 */
public record ClockConfig(double speed, Instant simulatedStart, Instant realStart)
    implements Validatable {
  public static final ClockConfig DEFAULTS = new ClockConfig(1.0, null, null);

  /** The clock these keys describe, anchored on the system UTC clock. */
  public Clock clock() {
    return clock(Clock.systemUTC());
  }

  /** The clock these keys describe, on {@code real} (a test clock). */
  public Clock clock(Clock real) {
    if (speed == 1.0 && simulatedStart == null) {
      return real;
    }
    Instant anchor = realStart == null ? real.instant() : realStart;
    return AcceleratedClock.anchored(
        real, anchor, simulatedStart == null ? anchor : simulatedStart, speed);
  }

  @Override
  public void validate(Problems p) {
    try {
      AcceleratedClock.checkSpeed(speed);
    } catch (IllegalArgumentException e) {
      p.check(false, "speed", speed, "must be a finite number > 0");
    }
  }
}
