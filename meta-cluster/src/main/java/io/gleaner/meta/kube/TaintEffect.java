package io.gleaner.meta.kube;

/** The effect of a node taint. */
public enum TaintEffect {
  NoSchedule,
  PreferNoSchedule,
  NoExecute;

  /**
   * Parses an effect name.
   *
   * @throws IllegalArgumentException naming the value when it is not one of the three effects
   */
  public static TaintEffect parse(String name) {
    for (TaintEffect e : values()) {
      if (e.name().equals(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        "taint effect \"" + name + "\" is not NoSchedule, PreferNoSchedule or NoExecute");
  }

  /** Whether the scheduler refuses pods that do not tolerate it (PreferNoSchedule only scores). */
  public boolean blocksScheduling() {
    return this != PreferNoSchedule;
  }
}
