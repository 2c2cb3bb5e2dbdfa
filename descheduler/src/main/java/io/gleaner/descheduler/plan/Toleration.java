package io.gleaner.descheduler.plan;

/**
 * A pod toleration, matched as the Kubernetes API documents it: an empty key with {@code Exists}
 * tolerates every taint; an empty effect matches every effect; {@code Exists} ignores the value;
 * {@code Equal} (the default) needs it.
 */
public record Toleration(String key, String operator, String value, String effect) {
  public Toleration {
    key = key == null ? "" : key;
    operator = operator == null || operator.isEmpty() ? "Equal" : operator;
    value = value == null ? "" : value;
    effect = effect == null ? "" : effect;
    if (!operator.equals("Equal") && !operator.equals("Exists")) {
      throw new IllegalArgumentException(
          "toleration operator must be Equal or Exists, got \"" + operator + "\"");
    }
  }

  public boolean tolerates(Taint taint) {
    if (!effect.isEmpty() && !effect.equals(taint.effect())) {
      return false;
    }
    if (key.isEmpty()) {
      return operator.equals("Exists");
    }
    if (!key.equals(taint.key())) {
      return false;
    }
    return operator.equals("Exists") || value.equals(taint.value());
  }
}
