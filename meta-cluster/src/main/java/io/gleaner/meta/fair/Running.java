package io.gleaner.meta.fair;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;

/**
 * A Gleaner pod that holds harvested capacity, a possible victim of reclaim.
 *
 * @param id identifies the pod
 * @param namespace its metadata namespace, which decides its team
 * @param request what it holds (effective pod requests)
 * @param nearLine true for the near-line class, false for offline
 * @param started when it started running
 */
public record Running(
    String id, String namespace, Resources request, boolean nearLine, Instant started) {

  /** Class order of eviction: offline before near-line, then the youngest first, then by id. */
  public static final Comparator<Running> CLASS_ORDER =
      Comparator.comparing(Running::nearLine)
          .thenComparing(Running::started, Comparator.reverseOrder())
          .thenComparing(Running::id);

  public Running {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(started, "started");
  }
}
