package io.gleaner.descheduler.plan;

/**
 * Why Gleaner reclaims: the trigger behind a demand. {@link #wire()} is the ReclaimEvent.reason and
 * metric tag.
 */
public enum Reason {
  UNSCHEDULABLE("Unschedulable", true),
  POD_GROUP_PENDING("PodGroupPending", true),
  COLOCATION_PRESSURE("ColocationPressure", true),
  /**
   * Room taken back within the pool for a team below its guarantee ({@code
   * io.gleaner.meta.fair.GuaranteeReclaim}): the node stays lent and offered.
   */
  TEAM_GUARANTEE("TeamGuarantee", false);

  private final String wire;
  private final boolean returnsNode;

  Reason(String wire, boolean returnsNode) {
    this.wire = wire;
    this.returnsNode = returnsNode;
  }

  public String wire() {
    return wire;
  }

  /**
   * Whether the node goes back to its member: its offer withdrawn, a cool-down, the node handed
   * back. False when the room is for other Gleaner pods.
   */
  public boolean returnsNode() {
    return returnsNode;
  }
}
