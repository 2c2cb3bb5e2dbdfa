package io.gleaner.descheduler.plan;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** One requirement of a required node-affinity term: In, NotIn, Exists, DoesNotExist, Gt, Lt. */
public record NodeSelectorRequirement(String key, String operator, List<String> values) {
  public NodeSelectorRequirement {
    Objects.requireNonNull(key, "node selector requirement key");
    Objects.requireNonNull(operator, "node selector requirement operator");
    values = values == null ? List.of() : List.copyOf(values);
    switch (operator) {
      case "In", "NotIn" -> {
        if (values.isEmpty()) {
          throw new IllegalArgumentException(
              "node selector requirement " + key + " " + operator + " needs values");
        }
      }
      case "Exists", "DoesNotExist" -> {}
      case "Gt", "Lt" -> {
        if (values.size() != 1) {
          throw new IllegalArgumentException(
              "node selector requirement "
                  + key
                  + " "
                  + operator
                  + " needs exactly one value, got "
                  + values);
        }
        parseLong(values.get(0));
      }
      default ->
          throw new IllegalArgumentException(
              "node selector requirement " + key + ": unknown operator \"" + operator + "\"");
    }
  }

  public boolean matches(Map<String, String> labels) {
    String actual = labels.get(key);
    return switch (operator) {
      case "In" -> actual != null && values.contains(actual);
      case "NotIn" -> actual == null || !values.contains(actual);
      case "Exists" -> actual != null;
      case "DoesNotExist" -> actual == null;
      case "Gt" ->
          actual != null && isLong(actual) && Long.parseLong(actual) > parseLong(values.get(0));
      case "Lt" ->
          actual != null && isLong(actual) && Long.parseLong(actual) < parseLong(values.get(0));
      default -> false;
    };
  }

  private static boolean isLong(String s) {
    try {
      Long.parseLong(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "node selector Gt/Lt value must be an integer, got \"" + s + "\"", e);
    }
  }

  @Override
  public String toString() {
    return key + " " + operator + (values.isEmpty() ? "" : " " + values);
  }
}
