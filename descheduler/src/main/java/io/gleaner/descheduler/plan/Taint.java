package io.gleaner.descheduler.plan;

import java.util.Objects;

/**
 * A node taint as the planner sees it. {@code effect} is NoSchedule, PreferNoSchedule or NoExecute.
 */
public record Taint(String key, String value, String effect) {
  public Taint {
    Objects.requireNonNull(key, "taint key");
    value = value == null ? "" : value;
    effect = effect == null ? "" : effect;
  }

  /**
   * Whether the scheduler refuses pods that do not tolerate this taint (PreferNoSchedule only
   * scores).
   */
  public boolean blocksScheduling() {
    return "NoSchedule".equals(effect) || "NoExecute".equals(effect);
  }

  @Override
  public String toString() {
    return key + (value.isEmpty() ? "" : "=" + value) + ":" + effect;
  }
}
