package io.gleaner.meta.coord;

import java.util.Objects;

/**
 * A value read from the state store with the version to pass to the next compare-and-set.
 *
 * @param data the value
 * @param version the node's data version: 0 after creation, +1 per write
 */
public record Versioned<T>(T data, int version) {
  public Versioned {
    Objects.requireNonNull(data, "data");
    if (version < 0) {
      throw new IllegalArgumentException("version must be >= 0, got " + version);
    }
  }
}
