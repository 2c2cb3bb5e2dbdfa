package io.gleaner.meta.config;

/**
 * A config section that checks its own values. {@link ConfigLoader} calls {@link #validate} on
 * every section (every record in the config tree that implements this) with {@link Problems} scoped
 * to the section's key path, so a problem recorded as {@code "port"} in section {@code broker.grpc}
 * reads {@code broker.grpc.port: ...}.
 */
public interface Validatable {

  /** Records every problem found; must not throw for bad values. */
  void validate(Problems problems);
}
