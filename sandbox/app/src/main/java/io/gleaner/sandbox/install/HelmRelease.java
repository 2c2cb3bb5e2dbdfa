package io.gleaner.sandbox.install;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One {@code helm install <name> <chart> -n <namespace>} with the values it sets (what {@code -f}
 * and {@code --set} give), as a value: what the sandbox installs, comparable with the README's
 * command lines.
 *
 * @param chart the chart's name ({@link Charts#GLEANER}, {@link Charts#GLEANER_MEMBER})
 * @param values nested maps, as in a values file
 */
public record HelmRelease(String chart, String name, String namespace, Map<String, Object> values) {
  public HelmRelease {
    Objects.requireNonNull(chart, "chart");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    values = values == null ? Map.of() : values;
  }

  /**
   * These values with {@code more} over them, as helm merges a later values file: maps merge key by
   * key, anything else is replaced.
   */
  public HelmRelease withValues(Map<String, Object> more) {
    return new HelmRelease(chart, name, namespace, merge(values, more));
  }

  /**
   * Every value by its dotted path ({@code broker.config.offerTtl}); lists and scalars are leaves.
   */
  public SortedMap<String, Object> flatValues() {
    SortedMap<String, Object> out = new TreeMap<>();
    flatten("", values, out);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void flatten(
      String prefix, Map<String, Object> map, SortedMap<String, Object> out) {
    for (Map.Entry<String, Object> e : map.entrySet()) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      if (e.getValue() instanceof Map<?, ?> m && !m.isEmpty()) {
        flatten(key, (Map<String, Object>) m, out);
      } else {
        out.put(key, e.getValue());
      }
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
    Map<String, Object> out = new LinkedHashMap<>(base);
    for (Map.Entry<String, Object> e : over.entrySet()) {
      Object before = out.get(e.getKey());
      if (before instanceof Map<?, ?> b && e.getValue() instanceof Map<?, ?> o) {
        out.put(e.getKey(), merge((Map<String, Object>) b, (Map<String, Object>) o));
      } else {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  /** Nested maps from dotted paths ({@code a.b=1} gives {@code {a: {b: 1}}}). */
  public static Map<String, Object> nested(Map<String, Object> dotted) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : dotted.entrySet()) {
      List<String> path = new ArrayList<>(List.of(e.getKey().split("\\.")));
      String last = path.remove(path.size() - 1);
      Map<String, Object> at = out;
      for (String p : path) {
        @SuppressWarnings("unchecked")
        Map<String, Object> next =
            (Map<String, Object>) at.computeIfAbsent(p, k -> new LinkedHashMap<String, Object>());
        at = next;
      }
      at.put(last, e.getValue());
    }
    return out;
  }
}
