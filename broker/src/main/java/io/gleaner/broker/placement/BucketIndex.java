package io.gleaner.broker.placement;

import java.util.Arrays;

/**
 * Node slots bucketed by one free amount on a log scale with 16 sub-buckets per power of two (about
 * 6% wide), so a search for "the smallest node with at least X free" starts at X's bucket and walks
 * up. Values in a lower bucket are always smaller than values in a higher one. A bitmap of
 * non-empty buckets makes skipping empty ones cheap.
 *
 * <p>Where each slot sits is kept by the caller in {@code bucketOf}/{@code posOf} (shared by the
 * indexes of one key dimension, since a slot belongs to exactly one group). Not thread-safe.
 */
final class BucketIndex {
  static final int SUB_BITS = 4;
  static final int SUB = 1 << SUB_BITS;
  static final int BUCKETS = 2 + SUB + (63 - SUB_BITS) * SUB;

  /**
   * Dimensions whose per-bucket maximum free is kept for pruning: cpu, memory, pods, GPU (milli).
   */
  static final int PRUNE_DIMS = 4;

  final int[][] members = new int[BUCKETS][];

  /**
   * Per bucket and prune dimension, an upper bound of the members' free amount: raised on add,
   * never lowered on remove, made exact again whenever a search scans the whole bucket. A bucket
   * whose bound is below a demand cannot hold the pod and is skipped.
   */
  final long[][] maxFree = new long[BUCKETS][];

  final int[] sizes = new int[BUCKETS];
  private final long[] nonEmpty = new long[(BUCKETS + 63) / 64];
  int count;

  /** The bucket of a value: 0 for values at or below zero, monotonic in the value. */
  static int bucket(long v) {
    if (v <= 0) {
      return 0;
    }
    if (v < SUB) {
      return (int) v;
    }
    int e = 63 - Long.numberOfLeadingZeros(v);
    int mantissa = (int) ((v >>> (e - SUB_BITS)) & (SUB - 1));
    return SUB + (e - SUB_BITS) * SUB + mantissa;
  }

  void add(int slot, long value, int[] bucketOf, int[] posOf, long[] free) {
    int b = bucket(value);
    long[] mx = maxFree[b];
    if (mx == null) {
      mx = maxFree[b] = new long[PRUNE_DIMS];
    }
    if (sizes[b] == 0) {
      System.arraycopy(free, 0, mx, 0, PRUNE_DIMS);
    } else {
      for (int d = 0; d < PRUNE_DIMS; d++) {
        if (free[d] > mx[d]) {
          mx[d] = free[d];
        }
      }
    }
    int[] m = members[b];
    if (m == null) {
      m = members[b] = new int[8];
    } else if (sizes[b] == m.length) {
      m = members[b] = Arrays.copyOf(m, m.length * 2);
    }
    m[sizes[b]] = slot;
    posOf[slot] = sizes[b];
    bucketOf[slot] = b;
    if (sizes[b]++ == 0) {
      nonEmpty[b >>> 6] |= 1L << (b & 63);
    }
    count++;
  }

  void remove(int slot, int[] bucketOf, int[] posOf) {
    int b = bucketOf[slot];
    int p = posOf[slot];
    int last = --sizes[b];
    int moved = members[b][last];
    members[b][p] = moved;
    posOf[moved] = p;
    bucketOf[slot] = -1;
    posOf[slot] = -1;
    if (last == 0) {
      nonEmpty[b >>> 6] &= ~(1L << (b & 63));
    }
    count--;
  }

  /** The first non-empty bucket at or above {@code from}, or -1. */
  int nextNonEmpty(int from) {
    if (from >= BUCKETS) {
      return -1;
    }
    int w = from >>> 6;
    long word = nonEmpty[w] & (-1L << (from & 63));
    while (true) {
      if (word != 0) {
        return (w << 6) + Long.numberOfTrailingZeros(word);
      }
      if (++w == nonEmpty.length) {
        return -1;
      }
      word = nonEmpty[w];
    }
  }

  /** The last non-empty bucket at or below {@code from}, or -1. */
  int previousNonEmpty(int from) {
    if (from < 0) {
      return -1;
    }
    int w = from >>> 6;
    int shift = 63 - (from & 63);
    long word = nonEmpty[w] & (-1L >>> shift);
    while (true) {
      if (word != 0) {
        return (w << 6) + 63 - Long.numberOfLeadingZeros(word);
      }
      if (--w < 0) {
        return -1;
      }
      word = nonEmpty[w];
    }
  }
}
