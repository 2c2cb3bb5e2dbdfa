package io.gleaner.idle.state;

/** Why a node does not count as idle right now. Any breach resets the idle timer. */
public enum Breach {
  /** The node's Ready condition is not True. */
  NOT_READY,
  /** The node is cordoned ({@code spec.unschedulable}). */
  UNSCHEDULABLE,
  /** The node carries {@code gleaner.io/exclude=true}. */
  EXCLUDED,
  /** Online pods request more CPU than the policy's fraction of allocatable. */
  CPU_REQUESTS,
  /** Online pods request more memory than the policy's fraction of allocatable. */
  MEMORY_REQUESTS,
  /** Measured online CPU usage is above the policy's fraction of allocatable. */
  CPU_USAGE;

  /** Lower-case form for logs, annotations and metric tags. */
  public String tag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
