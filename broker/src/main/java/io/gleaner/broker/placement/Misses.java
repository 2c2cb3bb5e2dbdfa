package io.gleaner.broker.placement;

import java.util.Arrays;

/**
 * Why the nodes one decision visited did not take the pod: a count per reason, and per dimension
 * the smallest shortfall seen, which the {@link NoFitExplainer} turns into a message. The hot path
 * writes it; it is reset at the start of every decision. Not thread-safe.
 */
final class Misses {
  static final int UNHEALTHY = 0;
  static final int EXCLUDED = 1;
  static final int TAINT = 2;
  static final int SELECTOR = 3;
  static final int DEVICE = 4;

  /** The node's member has no room for the pod in its ResourceQuota. */
  static final int QUOTA = 5;

  /**
   * The node is draining and the pod does not declare a run time that ends before its room runs
   * out.
   */
  static final int DRAINING = 6;

  /** The reason "too little of dimension d" is {@code DIM + d}. */
  static final int DIM = 7;

  private int[] counts = new int[DIM + Dimensions.FIXED];
  private long[] shortOf = new long[Dimensions.FIXED];

  /** Forgets the last decision; {@code dims} is the current number of dimensions. */
  void reset(int dims) {
    if (shortOf.length != dims) {
      counts = new int[DIM + dims];
      shortOf = new long[dims];
    } else {
      Arrays.fill(counts, 0);
      Arrays.fill(shortOf, 0);
    }
  }

  void add(int reason, int nodes) {
    counts[reason] += nodes;
  }

  /** Records a node lacking {@code by} of dimension {@code d}; returns the reason. */
  int lacks(int d, long by) {
    if (shortOf[d] == 0 || by < shortOf[d]) {
      shortOf[d] = by;
    }
    return DIM + d;
  }

  /** Nodes refused for a reason. */
  int count(int reason) {
    return counts[reason];
  }

  /** Nodes refused for lack of dimension {@code d}. */
  int lacking(int d) {
    return counts[DIM + d];
  }

  /** The smallest shortfall of dimension {@code d} over the nodes that lacked it (0: none did). */
  long closest(int d) {
    return shortOf[d];
  }
}
