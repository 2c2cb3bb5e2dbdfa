package io.gleaner.meta.coord;

/**
 * Outcome of a compare-and-set or a versioned delete. Versions follow ZooKeeper: 0 after creation,
 * +1 per write; {@link StateStore#ABSENT} (-1) stands for "no node".
 */
public sealed interface CasResult {

  /** The write happened; {@code newVersion} is the node's version now (-1 after a delete). */
  record Ok(int newVersion) implements CasResult {}

  /**
   * Another writer got there first: the node exists with {@code currentVersion} (or, when the
   * caller expected no node, the node exists). Re-read and retry.
   */
  record Conflict(int currentVersion) implements CasResult {}

  /** The caller expected a node (version ≥ 0) but there is none. */
  record NotFound() implements CasResult {}

  /** Lower-case outcome for metric tags and logs: ok, conflict, not_found. */
  default String outcome() {
    if (this instanceof Ok) {
      return "ok";
    }
    return this instanceof Conflict ? "conflict" : "not_found";
  }

  default boolean isOk() {
    return this instanceof Ok;
  }
}
