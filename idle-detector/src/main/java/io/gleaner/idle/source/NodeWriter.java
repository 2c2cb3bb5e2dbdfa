package io.gleaner.idle.source;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/** Applies {@link NodePatch}es to member nodes. Implementations must not block the caller. */
public interface NodeWriter {
  /**
   * Patches the node; the future completes with the member's answer (the patch applied, or refused
   * as a conflict), or fails when the member did not take it (unreachable, any other refusal).
   */
  CompletableFuture<Written> patch(String cluster, String node, NodePatch patch);

  /** What became of a patch the member answered. */
  enum Outcome {
    /** Applied. */
    APPLIED,
    /**
     * Refused with 409 Conflict: the patch was conditional on a {@code resourceVersion} the node is
     * no longer at; nothing changed.
     */
    CONFLICT
  }

  /**
   * @param resourceVersion the node's version after an applied patch (the same as before when it
   *     changed nothing); empty after a conflict or when the member did not say
   */
  record Written(Outcome outcome, String resourceVersion) {
    public Written {
      Objects.requireNonNull(outcome, "outcome");
      resourceVersion = resourceVersion == null ? "" : resourceVersion;
    }

    public static Written applied(String resourceVersion) {
      return new Written(Outcome.APPLIED, resourceVersion);
    }

    public static Written conflict() {
      return new Written(Outcome.CONFLICT, "");
    }
  }
}
