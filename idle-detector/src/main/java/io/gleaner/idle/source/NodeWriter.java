package io.gleaner.idle.source;

import java.util.concurrent.CompletableFuture;

/** Applies {@link NodePatch}es to member nodes. Implementations must not block the caller. */
public interface NodeWriter {
  /** Patches the node; the future completes when the member accepted it, or fails. */
  CompletableFuture<Void> patch(String cluster, String node, NodePatch patch);
}
