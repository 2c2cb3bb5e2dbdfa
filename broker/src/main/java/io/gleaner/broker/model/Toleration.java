package io.gleaner.broker.model;

/**
 * A pod toleration with Kubernetes semantics: operator {@code Equal} (default) or {@code Exists};
 * an empty key with {@code Exists} tolerates every taint; an empty effect matches every effect.
 */
public record Toleration(String key, String operator, String value, String effect) {
  public Toleration {
    key = key == null ? "" : key;
    operator = operator == null || operator.isEmpty() ? "Equal" : operator;
    value = value == null ? "" : value;
    effect = effect == null ? "" : effect;
    if (!operator.equals("Equal") && !operator.equals("Exists")) {
      throw new IllegalArgumentException(
          "toleration " + key + ": operator \"" + operator + "\" is not Equal or Exists");
    }
    if (key.isEmpty() && !operator.equals("Exists")) {
      throw new IllegalArgumentException("toleration with an empty key must use operator Exists");
    }
  }

  public static Toleration exists(String key) {
    return new Toleration(key, "Exists", "", "");
  }

  public static Toleration equal(String key, String value, String effect) {
    return new Toleration(key, "Equal", value, effect);
  }

  /** Whether this toleration covers {@code taint}. */
  public boolean tolerates(Taint taint) {
    if (!effect.isEmpty() && !effect.equals(taint.effect())) {
      return false;
    }
    if (key.isEmpty()) {
      return true;
    }
    if (!key.equals(taint.key())) {
      return false;
    }
    return operator.equals("Exists") || value.equals(taint.value());
  }
}
