package io.gleaner.sim.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Label and field selectors in the string syntax of the Kubernetes API ({@code labelSelector=},
 * {@code fieldSelector=} query parameters) and the structured {@code LabelSelector} of PDBs.
 */
public final class Selectors {
  private Selectors() {}

  /** One requirement of a label selector. */
  public record LabelRequirement(String key, Op op, Set<String> values) {
    /** Selector operators. */
    public enum Op {
      EQUALS,
      NOT_EQUALS,
      IN,
      NOT_IN,
      EXISTS,
      DOES_NOT_EXIST,
      GT,
      LT
    }

    public boolean matches(Map<String, String> labels) {
      String v = labels.get(key);
      return switch (op) {
        case EQUALS, IN -> v != null && values.contains(v);
        case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
        case EXISTS -> v != null;
        case DOES_NOT_EXIST -> v == null;
        case GT, LT -> {
          if (v == null) {
            yield false;
          }
          try {
            long have = Long.parseLong(v);
            long want = Long.parseLong(values.iterator().next());
            yield op == Op.GT ? have > want : have < want;
          } catch (NumberFormatException e) {
            yield false;
          }
        }
      };
    }
  }

  /** One requirement of a field selector: {@code path=value} or {@code path!=value}. */
  public record FieldRequirement(String field, boolean equals, String value) {
    public boolean matches(JsonNode object) {
      String actual = fieldValue(object, field);
      return equals == actual.equals(value);
    }
  }

  /**
   * Parses {@code labelSelector}; syntax errors are 400s naming the selector, as in the API server.
   */
  public static List<LabelRequirement> parseLabels(String selector) {
    List<LabelRequirement> result = new ArrayList<>();
    if (selector == null || selector.isBlank()) {
      return result;
    }
    for (String part : splitTopLevel(selector)) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      result.add(parseLabelRequirement(p, selector));
    }
    return result;
  }

  private static LabelRequirement parseLabelRequirement(String p, String whole) {
    int inIdx = indexOfWord(p, " notin ");
    if (inIdx > 0) {
      return new LabelRequirement(
          checkKey(p.substring(0, inIdx).trim(), whole),
          LabelRequirement.Op.NOT_IN,
          parseSet(p.substring(inIdx + 7), whole));
    }
    inIdx = indexOfWord(p, " in ");
    if (inIdx > 0) {
      return new LabelRequirement(
          checkKey(p.substring(0, inIdx).trim(), whole),
          LabelRequirement.Op.IN,
          parseSet(p.substring(inIdx + 4), whole));
    }
    if (p.startsWith("!")) {
      return new LabelRequirement(
          checkKey(p.substring(1).trim(), whole), LabelRequirement.Op.DOES_NOT_EXIST, Set.of());
    }
    for (String op : List.of("!=", "==", "=", ">", "<")) {
      int i = p.indexOf(op);
      if (i > 0) {
        String key = checkKey(p.substring(0, i).trim(), whole);
        String value = p.substring(i + op.length()).trim();
        LabelRequirement.Op o =
            switch (op) {
              case "!=" -> LabelRequirement.Op.NOT_EQUALS;
              case ">" -> LabelRequirement.Op.GT;
              case "<" -> LabelRequirement.Op.LT;
              default -> LabelRequirement.Op.EQUALS;
            };
        return new LabelRequirement(key, o, Set.of(value));
      }
    }
    return new LabelRequirement(checkKey(p, whole), LabelRequirement.Op.EXISTS, Set.of());
  }

  private static int indexOfWord(String p, String word) {
    return p.indexOf(word);
  }

  private static Set<String> parseSet(String s, String whole) {
    String t = s.trim();
    if (!t.startsWith("(") || !t.endsWith(")")) {
      throw ApiException.badRequest(
          "unable to parse requirement: found '"
              + t
              + "', expected: '(' in label selector \""
              + whole
              + "\"");
    }
    Set<String> values = new HashSet<>();
    for (String v : t.substring(1, t.length() - 1).split(",")) {
      if (!v.isBlank()) {
        values.add(v.trim());
      }
    }
    return values;
  }

  private static String checkKey(String key, String whole) {
    if (key.isEmpty() || key.contains(" ") || key.contains("(")) {
      throw ApiException.badRequest(
          "unable to parse requirement: invalid label key \""
              + key
              + "\" in label selector \""
              + whole
              + "\"");
    }
    return key;
  }

  /** Splits at commas that are not inside parentheses. */
  private static List<String> splitTopLevel(String s) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        parts.add(s.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(s.substring(start));
    return parts;
  }

  /**
   * Parses {@code fieldSelector} for {@code type}; an unsupported field is a 400 with the API
   * server's message ({@code field label not supported: x}).
   */
  public static List<FieldRequirement> parseFields(String selector, ResourceType type) {
    List<FieldRequirement> result = new ArrayList<>();
    if (selector == null || selector.isBlank()) {
      return result;
    }
    for (String part : selector.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int ne = p.indexOf("!=");
      int eqeq = p.indexOf("==");
      int eq = p.indexOf('=');
      String field;
      String value;
      boolean equals;
      if (ne > 0) {
        field = p.substring(0, ne);
        value = p.substring(ne + 2);
        equals = false;
      } else if (eqeq > 0) {
        field = p.substring(0, eqeq);
        value = p.substring(eqeq + 2);
        equals = true;
      } else if (eq > 0) {
        field = p.substring(0, eq);
        value = p.substring(eq + 1);
        equals = true;
      } else {
        throw ApiException.badRequest(
            "invalid selector: '" + selector + "'; can't understand '" + p + "'");
      }
      field = field.trim();
      if (!field.equals("metadata.name")
          && !field.equals("metadata.namespace")
          && !type.fieldLabels().contains(field)) {
        throw ApiException.badRequest("field label not supported: " + field);
      }
      result.add(new FieldRequirement(field, equals, value.trim()));
    }
    return result;
  }

  /**
   * The string value of a dotted field path, {@code ""} when absent (as the API server compares).
   */
  public static String fieldValue(JsonNode object, String path) {
    JsonNode node = object;
    for (String segment : path.split("\\.")) {
      node = node == null ? null : node.get(segment);
    }
    if (node == null || node.isNull()) {
      return "";
    }
    return node.isValueNode() ? node.asText() : node.toString();
  }

  /** Combines both selectors into one predicate over stored objects. */
  public static Predicate<JsonNode> predicate(
      List<LabelRequirement> labels, List<FieldRequirement> fields) {
    if (labels.isEmpty() && fields.isEmpty()) {
      return o -> true;
    }
    return o -> {
      if (!labels.isEmpty()) {
        Map<String, String> l = labelsOf(o);
        for (LabelRequirement r : labels) {
          if (!r.matches(l)) {
            return false;
          }
        }
      }
      for (FieldRequirement f : fields) {
        if (!f.matches(o)) {
          return false;
        }
      }
      return true;
    };
  }

  /** {@code metadata.labels} as a map (empty when absent). */
  public static Map<String, String> labelsOf(JsonNode object) {
    return stringMap(object.path("metadata").path("labels"));
  }

  public static Map<String, String> stringMap(JsonNode node) {
    if (node == null || !node.isObject() || node.isEmpty()) {
      return Map.of();
    }
    Map<String, String> map = new java.util.HashMap<>();
    node.fields()
        .forEachRemaining(
            e -> {
              if (!e.getValue().isNull()) {
                map.put(e.getKey(), e.getValue().asText());
              }
            });
    return map;
  }

  /**
   * Matches a structured {@code LabelSelector} ({@code matchLabels} and {@code matchExpressions}).
   * An empty selector matches everything, a null one nothing (as for PodDisruptionBudgets in
   * policy/v1).
   */
  public static boolean matchesLabelSelector(JsonNode selector, Map<String, String> labels) {
    if (selector == null || selector.isNull() || selector.isMissingNode()) {
      return false;
    }
    for (Map.Entry<String, String> e : stringMap(selector.path("matchLabels")).entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    for (JsonNode expr : selector.path("matchExpressions")) {
      String key = expr.path("key").asText();
      Set<String> values = new HashSet<>();
      expr.path("values").forEach(v -> values.add(v.asText()));
      LabelRequirement.Op op =
          switch (expr.path("operator").asText()) {
            case "In" -> LabelRequirement.Op.IN;
            case "NotIn" -> LabelRequirement.Op.NOT_IN;
            case "Exists" -> LabelRequirement.Op.EXISTS;
            case "DoesNotExist" -> LabelRequirement.Op.DOES_NOT_EXIST;
            default ->
                throw ApiException.badRequest(
                    "unsupported label selector operator \""
                        + expr.path("operator").asText()
                        + "\"");
          };
      if (!new LabelRequirement(key, op, values).matches(labels)) {
        return false;
      }
    }
    return true;
  }
}
