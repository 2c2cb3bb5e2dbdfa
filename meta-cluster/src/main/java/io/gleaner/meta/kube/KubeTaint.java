package io.gleaner.meta.kube;

import io.fabric8.kubernetes.api.model.Taint;
import java.util.Objects;

/**
 * A node taint: a non-empty key, a value (empty when absent) and an effect, all required as the
 * Kubernetes API validates them.
 */
public record KubeTaint(String key, String value, TaintEffect effect) {
  public KubeTaint {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("taint key must not be empty");
    }
    value = value == null ? "" : value;
    Objects.requireNonNull(effect, () -> "taint " + key + ": effect is required");
  }

  /**
   * A taint from API strings.
   *
   * @throws IllegalArgumentException when the key is empty or the effect is not a taint effect
   */
  public static KubeTaint of(String key, String value, String effect) {
    if (effect == null || effect.isEmpty()) {
      throw new IllegalArgumentException("taint " + key + ": effect is required");
    }
    TaintEffect e;
    try {
      e = TaintEffect.parse(effect);
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException("taint " + key + ": " + ex.getMessage(), ex);
    }
    return new KubeTaint(key, value, e);
  }

  /** The taint of a fabric8 node. */
  public static KubeTaint from(Taint t) {
    return of(t.getKey(), t.getValue(), t.getEffect());
  }

  public boolean blocksScheduling() {
    return effect.blocksScheduling();
  }

  @Override
  public String toString() {
    return key + (value.isEmpty() ? "" : "=" + value) + ":" + effect;
  }
}
