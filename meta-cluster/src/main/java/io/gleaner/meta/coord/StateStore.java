package io.gleaner.meta.coord;

import java.util.List;
import java.util.Optional;

/**
 * A small durable, versioned key-value tree (ZooKeeper semantics): paths like {@code
 * /ledger/nodes/cluster-a/node-1}, opaque byte values up to a few hundred KB, optimistic
 * concurrency through versions, atomic multi-node writes and change watches. The broker ledger and
 * the idle timers build on it; {@link JsonStateStore} adds typed values.
 *
 * <p>Versions: a node has version 0 after creation and +1 per write; {@link #ABSENT} (-1) means "no
 * node", so {@code compareAndSet(path, ABSENT, data)} creates and {@code compareAndSet(path, v,
 * data)} updates only if the node is still at {@code v}.
 *
 * <p>Implementations are thread-safe. Expected races come back as typed outcomes; a failure to
 * reach the store throws {@link CoordinationException}.
 */
public interface StateStore {
  /** The version that stands for "no node". */
  int ABSENT = -1;

  /** The node's value and version, or empty if there is no node. */
  Optional<Versioned<byte[]>> get(String path);

  /**
   * Writes {@code data} if the node is at {@code expectedVersion}; {@link #ABSENT} means it must
   * not exist yet (missing parents are created).
   */
  CasResult compareAndSet(String path, int expectedVersion, byte[] data);

  /** Deletes the node if it is at {@code expectedVersion} (≥ 0); fails with NotFound if absent. */
  CasResult delete(String path, int expectedVersion);

  /** Deletes the node and everything under it, whatever the versions; a missing node is fine. */
  void deleteRecursively(String path);

  /** Names (not paths) of the node's children, sorted; empty if the node does not exist. */
  List<String> children(String path);

  /**
   * Applies {@code ops} atomically: all or none. Parents of created nodes are created beforehand.
   */
  TxResult transaction(List<Op> ops);

  /**
   * Watches {@code path} and every node under it. The listener first receives a CREATED event for
   * every node that exists (the initial snapshot), then every change. Returns after the initial
   * snapshot was delivered. Events arrive on one thread, in order; the listener must not block.
   * Close the handle to stop.
   */
  StateWatch watch(String path, StateListener listener);

  /** Validates a store path: absolute, no trailing or double slash. */
  static String checkPath(String path) {
    if (path == null
        || !path.startsWith("/")
        || (path.length() > 1 && path.endsWith("/"))
        || path.contains("//")) {
      throw new IllegalArgumentException(
          "invalid state path \""
              + path
              + "\": must start with '/', without trailing or double '/'");
    }
    return path;
  }

  /** Validates an expected version of an existing node. */
  static int checkVersion(int version) {
    if (version < 0) {
      throw new IllegalArgumentException(
          "expected version must be >= 0 for an existing node, got " + version);
    }
    return version;
  }
}
