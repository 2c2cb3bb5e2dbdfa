package io.gleaner.idle.source;

import io.gleaner.meta.resources.Resources;
import java.util.concurrent.CompletableFuture;

/**
 * Creates and deletes the scale-up placeholders of elastic members ({@code
 * io.gleaner.idle.elastic.Placeholders}). Implementations must not block the caller.
 */
public interface PlaceholderWriter {
  /** Creates placeholder {@code name} asking for {@code requests}. */
  CompletableFuture<Void> create(String cluster, String name, Resources requests);

  /** Deletes placeholder {@code name}; a placeholder already gone counts as deleted. */
  CompletableFuture<Void> delete(String cluster, String name);

  /** Writes nothing (no elastic member, or a test that does not look). */
  PlaceholderWriter NONE =
      new PlaceholderWriter() {
        @Override
        public CompletableFuture<Void> create(String cluster, String name, Resources requests) {
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> delete(String cluster, String name) {
          return CompletableFuture.completedFuture(null);
        }
      };
}
