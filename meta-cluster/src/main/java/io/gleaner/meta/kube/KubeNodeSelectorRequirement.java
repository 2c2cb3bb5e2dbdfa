package io.gleaner.meta.kube;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One requirement of a node selector term, validated as the API server does: {@code In} and {@code
 * NotIn} need values, {@code Exists} and {@code DoesNotExist} take none, {@code Gt} and {@code Lt}
 * take one integer (kube-scheduler matches no node with a non-integer one; it is refused here).
 * {@code NotIn} and {@code DoesNotExist} match a node without the label; {@code Gt} and {@code Lt}
 * never match a label that is not an integer.
 */
public record KubeNodeSelectorRequirement(String key, Operator operator, List<String> values) {
  /** The node selector operators. */
  public enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt;

    /**
     * Parses an operator name.
     *
     * @throws IllegalArgumentException naming it when it is not one of the six
     */
    public static Operator parse(String name) {
      for (Operator o : values()) {
        if (o.name().equals(name)) {
          return o;
        }
      }
      throw new IllegalArgumentException(
          "node selector operator \""
              + name
              + "\" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt");
    }
  }

  public KubeNodeSelectorRequirement {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("node selector requirement: key must not be empty");
    }
    Objects.requireNonNull(operator, () -> "node selector requirement " + key + ": operator");
    values = values == null ? List.of() : List.copyOf(values);
    switch (operator) {
      case In, NotIn -> {
        if (values.isEmpty()) {
          throw new IllegalArgumentException(
              "node selector requirement " + key + " " + operator + ": values must not be empty");
        }
      }
      case Exists, DoesNotExist -> {
        if (!values.isEmpty()) {
          throw new IllegalArgumentException(
              "node selector requirement "
                  + key
                  + " "
                  + operator
                  + ": values must be empty, got "
                  + values);
        }
      }
      case Gt, Lt -> {
        if (values.size() != 1 || integer(values.get(0)) == null) {
          throw new IllegalArgumentException(
              "node selector requirement "
                  + key
                  + " "
                  + operator
                  + ": needs exactly one integer value, got "
                  + values);
        }
      }
    }
  }

  /**
   * A requirement from API strings.
   *
   * @throws IllegalArgumentException naming the problem when it would not pass validation
   */
  public static KubeNodeSelectorRequirement of(String key, String operator, List<String> values) {
    Operator op;
    try {
      op = Operator.parse(operator);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "node selector requirement " + key + ": " + e.getMessage());
    }
    return new KubeNodeSelectorRequirement(key, op, values);
  }

  /** Whether a node with these labels (or fields) satisfies the requirement. */
  public boolean matches(Map<String, String> labels) {
    String v = labels.get(key);
    return switch (operator) {
      case In -> v != null && values.contains(v);
      case NotIn -> v == null || !values.contains(v);
      case Exists -> v != null;
      case DoesNotExist -> v == null;
      case Gt, Lt -> {
        Long actual = v == null ? null : integer(v);
        if (actual == null) {
          yield false;
        }
        long bound = Long.parseLong(values.get(0));
        yield operator == Operator.Gt ? actual > bound : actual < bound;
      }
    };
  }

  private static Long integer(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return key + " " + operator + (values.isEmpty() ? "" : " " + values);
  }
}
