package io.gleaner.vk.kubelet;

import java.util.function.Function;

/**
 * The kubelet's container log query: follow, tailLines, sinceSeconds, timestamps, previous,
 * limitBytes.
 */
public record LogOptions(
    boolean follow,
    Integer tailLines,
    Long sinceSeconds,
    boolean timestamps,
    boolean previous,
    Long limitBytes) {
  /** Parses query parameters; a malformed number fails naming the parameter and value. */
  public static LogOptions parse(Function<String, String> param) {
    return new LogOptions(
        bool(param.apply("follow")),
        integer("tailLines", param.apply("tailLines")),
        longValue("sinceSeconds", param.apply("sinceSeconds")),
        bool(param.apply("timestamps")),
        bool(param.apply("previous")),
        longValue("limitBytes", param.apply("limitBytes")));
  }

  private static boolean bool(String v) {
    return v != null && (v.isEmpty() || "true".equalsIgnoreCase(v) || "1".equals(v));
  }

  private static Integer integer(String name, String v) {
    Long l = longValue(name, v);
    return l == null ? null : Math.toIntExact(l);
  }

  private static Long longValue(String name, String v) {
    if (v == null || v.isEmpty()) {
      return null;
    }
    try {
      long l = Long.parseLong(v);
      if (l < 0) {
        throw new IllegalArgumentException(name + "=" + v + ": must not be negative");
      }
      return l;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + "=" + v + ": not an integer");
    }
  }
}
