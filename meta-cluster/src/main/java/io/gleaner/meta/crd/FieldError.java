package io.gleaner.meta.crd;

import java.util.Objects;

/**
 * One validation failure of a custom resource or config value, naming the field by its path from
 * the object root, e.g. {@code spec.reserveMargins.IDLE: must be between 0 and 1, got 1.5}.
 */
public record FieldError(String path, String message) {
  public FieldError {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return path + ": " + message;
  }
}
