package io.gleaner.meta.kube;

import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;

/**
 * A pod toleration, validated and matched as Kubernetes does.
 *
 * <p>Validation (the API server's): the operator is {@code Equal} (the default) or {@code Exists};
 * an empty key requires {@code Exists}; {@code Exists} takes no value; {@code tolerationSeconds}
 * needs effect {@code NoExecute}. Matching: an empty effect ({@code null} here) matches every
 * effect; an empty key with {@code Exists} matches every taint; otherwise keys must be equal, and
 * with {@code Equal} the values too.
 *
 * @param effect the effect it tolerates, or null for all
 * @param tolerationSeconds how long a {@code NoExecute} taint is tolerated, or null for ever
 */
public record KubeToleration(
    String key, Operator operator, String value, TaintEffect effect, Long tolerationSeconds) {

  /** The toleration operators. */
  public enum Operator {
    Equal,
    Exists
  }

  public KubeToleration {
    key = key == null ? "" : key;
    operator = operator == null ? Operator.Equal : operator;
    value = value == null ? "" : value;
    if (key.isEmpty() && operator != Operator.Exists) {
      throw new IllegalArgumentException(
          "toleration: operator must be Exists when the key is empty (which matches all keys)");
    }
    if (operator == Operator.Exists && !value.isEmpty()) {
      throw new IllegalArgumentException(
          "toleration " + key + ": value must be empty when the operator is Exists");
    }
    if (tolerationSeconds != null && effect != TaintEffect.NoExecute) {
      throw new IllegalArgumentException(
          "toleration " + key + ": effect must be NoExecute when tolerationSeconds is set");
    }
  }

  /**
   * A toleration from API strings; an empty operator means {@code Equal}, an empty effect all
   * effects.
   *
   * @throws IllegalArgumentException naming the field when it would fail the API's validation
   */
  public static KubeToleration of(
      String key, String operator, String value, String effect, Long tolerationSeconds) {
    Operator op;
    if (operator == null || operator.isEmpty()) {
      op = Operator.Equal;
    } else if (operator.equals("Equal")) {
      op = Operator.Equal;
    } else if (operator.equals("Exists")) {
      op = Operator.Exists;
    } else {
      throw new IllegalArgumentException(
          "toleration " + key + ": operator \"" + operator + "\" is not Equal or Exists");
    }
    TaintEffect e;
    try {
      e = effect == null || effect.isEmpty() ? null : TaintEffect.parse(effect);
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException("toleration " + key + ": " + ex.getMessage(), ex);
    }
    return new KubeToleration(key, op, value, e, tolerationSeconds);
  }

  /** As above, without {@code tolerationSeconds}. */
  public static KubeToleration of(String key, String operator, String value, String effect) {
    return of(key, operator, value, effect, null);
  }

  /** A fabric8 pod's toleration. */
  public static KubeToleration from(Toleration t) {
    return of(t.getKey(), t.getOperator(), t.getValue(), t.getEffect(), t.getTolerationSeconds());
  }

  /** {@code key Exists} for every effect; an empty key tolerates everything. */
  public static KubeToleration exists(String key) {
    return new KubeToleration(key, Operator.Exists, "", null, null);
  }

  /** {@code key Equal value}; an empty effect tolerates every effect. */
  public static KubeToleration equal(String key, String value, String effect) {
    return of(key, "Equal", value, effect);
  }

  /** Whether this toleration covers {@code taint}. */
  public boolean tolerates(KubeTaint taint) {
    if (effect != null && effect != taint.effect()) {
      return false;
    }
    if (!key.isEmpty() && !key.equals(taint.key())) {
      return false;
    }
    return operator == Operator.Exists || value.equals(taint.value());
  }

  /** Whether some toleration of the list covers {@code taint}. */
  public static boolean tolerated(KubeTaint taint, List<KubeToleration> tolerations) {
    for (int i = 0, n = tolerations.size(); i < n; i++) {
      if (tolerations.get(i).tolerates(taint)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The first taint that blocks scheduling ({@code NoSchedule} or {@code NoExecute}) and no
   * toleration covers, or null when the pod may be scheduled onto a node with these taints.
   */
  public static KubeTaint firstUntolerated(
      List<KubeTaint> taints, List<KubeToleration> tolerations) {
    for (int i = 0, n = taints.size(); i < n; i++) {
      KubeTaint t = taints.get(i);
      if (t.blocksScheduling() && !tolerated(t, tolerations)) {
        return t;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return (key.isEmpty() ? "*" : key)
        + (operator == Operator.Exists ? " Exists" : "=" + value)
        + ":"
        + (effect == null ? "*" : effect)
        + (tolerationSeconds == null ? "" : " for " + tolerationSeconds + "s");
  }
}
