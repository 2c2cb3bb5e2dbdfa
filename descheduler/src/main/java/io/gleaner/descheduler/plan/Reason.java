package io.gleaner.descheduler.plan;

/**
 * Why Gleaner reclaims: the trigger behind a demand. {@link #wire()} is the ReclaimEvent.reason and
 * metric tag.
 */
public enum Reason {
  UNSCHEDULABLE("Unschedulable"),
  POD_GROUP_PENDING("PodGroupPending"),
  COLOCATION_PRESSURE("ColocationPressure");

  private final String wire;

  Reason(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }
}
