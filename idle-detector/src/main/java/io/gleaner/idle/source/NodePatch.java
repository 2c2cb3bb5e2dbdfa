package io.gleaner.idle.source;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A change to a member node's labels and annotations, applied as a JSON merge patch: a {@code null}
 * value removes the key.
 */
public record NodePatch(Map<String, String> labels, Map<String, String> annotations) {
  public NodePatch {
    labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    annotations = Collections.unmodifiableMap(new LinkedHashMap<>(annotations));
  }

  /** The merge-patch body. */
  public Map<String, Object> body() {
    Map<String, Object> meta = new LinkedHashMap<>();
    if (!labels.isEmpty()) {
      meta.put("labels", labels);
    }
    if (!annotations.isEmpty()) {
      meta.put("annotations", annotations);
    }
    return Map.of("metadata", meta);
  }
}
