package io.gleaner.meta.coord;

/** Receives changes under a watched path; see {@link StateStore#watch}. Must not block. */
@FunctionalInterface
public interface StateListener {

  /** What happened to one node. */
  enum Type {
    CREATED,
    UPDATED,
    DELETED
  }

  /**
   * One change.
   *
   * @param data the new value; for DELETED the last known value
   * @param version the new version; for DELETED the last known version
   */
  record Change(Type type, String path, byte[] data, int version) {}

  void changed(Change change);
}
