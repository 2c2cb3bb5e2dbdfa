package io.gleaner.meta.fair;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;

/**
 * A pod waiting for harvested room.
 *
 * @param id identifies the pod (its metadata UID)
 * @param namespace its metadata namespace, which decides its team
 * @param request what it asks for (effective pod requests)
 * @param nearLine true for the near-line class, false for offline
 * @param since when it started waiting (its creation), for oldest-first order within a team
 */
public record Candidate(
    String id, String namespace, Resources request, boolean nearLine, Instant since) {

  /** Within a team: near-line before offline, then the oldest first, then by id. */
  public static final Comparator<Candidate> TEAM_ORDER =
      (a, b) -> {
        if (a.nearLine != b.nearLine) {
          return a.nearLine ? -1 : 1;
        }
        int c = a.since.compareTo(b.since);
        return c != 0 ? c : a.id.compareTo(b.id);
      };

  public Candidate {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(since, "since");
  }
}
