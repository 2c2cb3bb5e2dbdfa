package io.gleaner.idle.state;

import java.util.EnumSet;
import java.util.Set;

/**
 * The outcome of checking one node against the idle thresholds at one instant.
 *
 * @param breaches every threshold the node breaches; empty means idle
 * @param pressure how close the node's online load is to the nearest threshold, 0 (none) to 1 (at
 *     or over it); feeds the reclaim risk of an offer
 */
public record IdleVerdict(Set<Breach> breaches, double pressure) {

  public static final IdleVerdict IDLE = new IdleVerdict(Set.of(), 0);

  public IdleVerdict {
    breaches = breaches.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(breaches));
    if (Double.isNaN(pressure)) {
      throw new IllegalArgumentException("pressure must be a number, got NaN");
    }
    pressure = Math.max(0, Math.min(1, pressure));
  }

  /** A busy verdict with the given breaches and full pressure. */
  public static IdleVerdict busy(Breach first, Breach... more) {
    return new IdleVerdict(EnumSet.of(first, more), 1);
  }

  public boolean idle() {
    return breaches.isEmpty();
  }

  @Override
  public String toString() {
    return idle() ? "idle(pressure=" + pressure + ")" : "busy" + breaches;
  }
}
