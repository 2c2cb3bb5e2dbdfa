package io.gleaner.idle.source;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A change to a member node's labels and annotations, applied as a JSON merge patch: a {@code null}
 * value removes the key.
 *
 * <p>A patch with a {@code resourceVersion} is conditional on it: it carries {@code
 * metadata.resourceVersion}, and the API server applies it only to the node at that version and
 * otherwise refuses it with 409 Conflict (the Kubernetes API concepts, "Updates to existing
 * resources": a PATCH may be made conditional on the existing {@code resourceVersion}).
 *
 * @param resourceVersion the version the patch is conditional on; empty for an unconditional patch
 */
public record NodePatch(
    Map<String, String> labels, Map<String, String> annotations, String resourceVersion) {
  public NodePatch {
    labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    annotations = Collections.unmodifiableMap(new LinkedHashMap<>(annotations));
    resourceVersion = resourceVersion == null ? "" : resourceVersion;
  }

  /** An unconditional patch. */
  public NodePatch(Map<String, String> labels, Map<String, String> annotations) {
    this(labels, annotations, "");
  }

  /**
   * This patch, applied only to the node at {@code version} (unconditional when it is empty: a node
   * not read from an API server).
   */
  public NodePatch ifAt(String version) {
    return new NodePatch(labels, annotations, version);
  }

  public boolean conditional() {
    return !resourceVersion.isEmpty();
  }

  /** The merge-patch body. */
  public Map<String, Object> body() {
    Map<String, Object> meta = new LinkedHashMap<>();
    if (conditional()) {
      meta.put("resourceVersion", resourceVersion);
    }
    if (!labels.isEmpty()) {
      meta.put("labels", labels);
    }
    if (!annotations.isEmpty()) {
      meta.put("annotations", annotations);
    }
    return Map.of("metadata", meta);
  }
}
