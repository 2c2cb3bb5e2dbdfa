package io.gleaner.meta.time;

import java.time.Clock;

/** Picks the clock a service runs on. */
public final class Clocks {
  private Clocks() {}

  /**
   * The system UTC clock at {@code speed} 1, otherwise an {@link AcceleratedClock} that starts at
   * the current real time ({@code --speed}).
   */
  public static Clock system(double speed) {
    AcceleratedClock.checkSpeed(speed);
    return speed == 1.0 ? Clock.systemUTC() : AcceleratedClock.startingNow(speed);
  }

  /**
   * The real period for a simulated one on {@code clock}: scaled down on an {@link
   * AcceleratedClock}, unchanged otherwise. Use it to schedule real timers.
   */
  public static java.time.Duration toReal(Clock clock, java.time.Duration simulated) {
    return clock instanceof AcceleratedClock a ? a.toReal(simulated) : simulated;
  }
}
