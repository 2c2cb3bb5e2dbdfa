package io.gleaner.broker.model;

import java.util.Objects;

/**
 * A member node taint that lent pods must tolerate (effect NoSchedule, PreferNoSchedule or
 * NoExecute).
 */
public record Taint(String key, String value, String effect) {
  public static final String NO_SCHEDULE = "NoSchedule";
  public static final String PREFER_NO_SCHEDULE = "PreferNoSchedule";
  public static final String NO_EXECUTE = "NoExecute";

  public Taint {
    Objects.requireNonNull(key, "key");
    value = value == null ? "" : value;
    effect = effect == null || effect.isEmpty() ? NO_SCHEDULE : effect;
    if (!effect.equals(NO_SCHEDULE)
        && !effect.equals(PREFER_NO_SCHEDULE)
        && !effect.equals(NO_EXECUTE)) {
      throw new IllegalArgumentException(
          "taint "
              + key
              + ": effect \""
              + effect
              + "\" is not NoSchedule, PreferNoSchedule or NoExecute");
    }
  }

  /** Whether scheduling must respect it; PreferNoSchedule is only a preference. */
  public boolean blocksScheduling() {
    return !effect.equals(PREFER_NO_SCHEDULE);
  }

  @Override
  public String toString() {
    return key + (value.isEmpty() ? "" : "=" + value) + ":" + effect;
  }
}
