package io.gleaner.broker.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One requirement of a required node affinity term, with the operators Kubernetes defines: In,
 * NotIn, Exists, DoesNotExist, Gt, Lt (Gt/Lt compare a single integer value).
 */
public record NodeSelectorRequirement(String key, Operator operator, List<String> values) {
  /** The node selector operators. */
  public enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt
  }

  public NodeSelectorRequirement {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(operator, "operator");
    values = values == null ? List.of() : List.copyOf(values);
    switch (operator) {
      case In, NotIn -> {
        if (values.isEmpty()) {
          throw new IllegalArgumentException(
              "affinity " + key + " " + operator + ": values must not be empty");
        }
      }
      case Exists, DoesNotExist -> {
        if (!values.isEmpty()) {
          throw new IllegalArgumentException(
              "affinity " + key + " " + operator + ": values must be empty, got " + values);
        }
      }
      case Gt, Lt -> {
        if (values.size() != 1) {
          throw new IllegalArgumentException(
              "affinity "
                  + key
                  + " "
                  + operator
                  + ": needs exactly one integer value, got "
                  + values);
        }
        try {
          Long.parseLong(values.get(0));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "affinity "
                  + key
                  + " "
                  + operator
                  + ": value \""
                  + values.get(0)
                  + "\" is not an integer");
        }
      }
    }
  }

  /** Parses an operator name; an unknown one fails naming it. */
  public static Operator operator(String name) {
    for (Operator o : Operator.values()) {
      if (o.name().equals(name)) {
        return o;
      }
    }
    throw new IllegalArgumentException(
        "affinity operator \"" + name + "\" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt");
  }

  /** Whether a node with these labels satisfies the requirement. */
  public boolean matches(Map<String, String> labels) {
    String v = labels.get(key);
    return switch (operator) {
      case In -> v != null && values.contains(v);
      case NotIn -> v == null || !values.contains(v);
      case Exists -> v != null;
      case DoesNotExist -> v == null;
      case Gt, Lt -> {
        if (v == null) {
          yield false;
        }
        long nodeValue;
        try {
          nodeValue = Long.parseLong(v);
        } catch (NumberFormatException e) {
          yield false;
        }
        long bound = Long.parseLong(values.get(0));
        yield operator == Operator.Gt ? nodeValue > bound : nodeValue < bound;
      }
    };
  }

  @Override
  public String toString() {
    return key + " " + operator + (values.isEmpty() ? "" : " " + values);
  }
}
