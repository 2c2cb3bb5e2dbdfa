package io.gleaner.idle.offer;

import java.util.Objects;

/** A member node's taint, carried in its offer so lent pods can be matched against it. */
public record NodeTaint(String key, String value, String effect) {
  public NodeTaint {
    Objects.requireNonNull(key, "key");
    value = value == null ? "" : value;
    effect = effect == null ? "" : effect;
  }
}
