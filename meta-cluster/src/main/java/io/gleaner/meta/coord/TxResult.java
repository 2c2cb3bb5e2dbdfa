package io.gleaner.meta.coord;

import java.util.List;

/** Outcome of {@link StateStore#transaction}: all ops applied, or none. */
public sealed interface TxResult {

  /**
   * Every op applied. {@code versions.get(i)} is op i's node version afterwards: 0 for a create,
   * the new version for a set, -1 for a delete, the checked version for a check.
   */
  record Committed(List<Integer> versions) implements TxResult {
    public Committed {
      versions = List.copyOf(versions);
    }
  }

  /** Nothing applied because op {@code index} failed for {@code reason}. */
  record Aborted(int index, Op op, Reason reason) implements TxResult {}

  /** Why a transaction aborted. */
  enum Reason {
    /** A create found the node already there. */
    EXISTS,
    /** A set, delete or check found another version. */
    VERSION_MISMATCH,
    /** A set, delete or check found no node (or a create found no parent). */
    NOT_FOUND,
    /** A delete found children under the node. */
    NOT_EMPTY
  }

  /** Lower-case outcome for metric tags: committed, or the abort reason. */
  default String outcome() {
    return this instanceof Aborted a
        ? a.reason().name().toLowerCase(java.util.Locale.ROOT)
        : "committed";
  }

  default boolean isCommitted() {
    return this instanceof Committed;
  }
}
