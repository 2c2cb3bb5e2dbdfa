package io.gleaner.meta.coord;

import java.util.Objects;

/**
 * One operation of an atomic multi-node write ({@link StateStore#transaction}). Either every op
 * applies or none does.
 */
public sealed interface Op {

  String path();

  /**
   * Creates {@code path}, which must not exist. Missing parents are created first (outside the
   * transaction).
   */
  static Op create(String path, byte[] data) {
    return new Create(path, data);
  }

  /** Writes {@code path} if it is at {@code expectedVersion}. */
  static Op set(String path, int expectedVersion, byte[] data) {
    return new Set(path, expectedVersion, data);
  }

  /** Deletes {@code path} if it is at {@code expectedVersion}. */
  static Op delete(String path, int expectedVersion) {
    return new Delete(path, expectedVersion);
  }

  /** Requires {@code path} to be at {@code expectedVersion}, writing nothing (fencing). */
  static Op check(String path, int expectedVersion) {
    return new Check(path, expectedVersion);
  }

  /** See {@link Op#create}. */
  record Create(String path, byte[] data) implements Op {
    public Create {
      StateStore.checkPath(path);
      Objects.requireNonNull(data, "data");
    }
  }

  /** See {@link Op#set}. */
  record Set(String path, int expectedVersion, byte[] data) implements Op {
    public Set {
      StateStore.checkPath(path);
      StateStore.checkVersion(expectedVersion);
      Objects.requireNonNull(data, "data");
    }
  }

  /** See {@link Op#delete}. */
  record Delete(String path, int expectedVersion) implements Op {
    public Delete {
      StateStore.checkPath(path);
      StateStore.checkVersion(expectedVersion);
    }
  }

  /** See {@link Op#check}. */
  record Check(String path, int expectedVersion) implements Op {
    public Check {
      StateStore.checkPath(path);
      StateStore.checkVersion(expectedVersion);
    }
  }
}
