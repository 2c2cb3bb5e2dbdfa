package io.gleaner.broker.placement;

import io.gleaner.broker.model.NoFit;
import io.gleaner.broker.model.WorkloadClass;
import java.util.Arrays;

/**
 * Demand vectors of plain pods (no selector, affinity, tolerations or exclusions) refused since
 * capacity last grew, per class, with the answer each got. Capacity only shrinks in between, so a
 * pod whose demand dominates one of them cannot fit either; this keeps a storm of large pods from
 * rescanning the federation. Holds at most {@link #CAPACITY} shapes per class, then replaces them
 * in turn. Not thread-safe.
 */
final class RefusedShapes {
  static final int CAPACITY = 128;

  private static final int CLASSES = WorkloadClass.values().length;

  private final long[][][] shapes = new long[CLASSES][CAPACITY][];
  private final NoFit[][] why = new NoFit[CLASSES][CAPACITY];
  private final int[] count = new int[CLASSES];
  private final int[] next = new int[CLASSES];

  /** The answer a refused shape of this class got that {@code demand} dominates, or null. */
  NoFit find(WorkloadClass cls, long[] demand) {
    int c = cls.ordinal();
    long[][] r = shapes[c];
    for (int i = 0; i < count[c]; i++) {
      if (dominates(demand, r[i])) {
        return why[c][i];
      }
    }
    return null;
  }

  /**
   * Adds a refused demand (its first {@code dims} entries), dropping the shapes it makes redundant
   * (those that dominate it).
   */
  void remember(WorkloadClass cls, long[] demand, int dims, NoFit answer) {
    int c = cls.ordinal();
    long[][] r = shapes[c];
    NoFit[] w = why[c];
    int n = count[c];
    int kept = 0;
    for (int i = 0; i < n; i++) {
      if (!dominates(r[i], demand)) {
        r[kept] = r[i];
        w[kept] = w[i];
        kept++;
      }
    }
    if (kept == CAPACITY) {
      kept = next[c];
      next[c] = (kept + 1) % CAPACITY;
    } else {
      count[c] = kept + 1;
    }
    r[kept] = Arrays.copyOf(demand, dims);
    w[kept] = answer;
  }

  /** Forgets every shape: capacity grew, so they may fit now. */
  void clear() {
    Arrays.fill(count, 0);
    Arrays.fill(next, 0);
  }

  /** Shapes held for a class. */
  int size(WorkloadClass cls) {
    return count[cls.ordinal()];
  }

  /** Whether {@code d >= r} in every dimension (a missing entry is zero). */
  static boolean dominates(long[] d, long[] r) {
    int n = Math.max(d.length, r.length);
    for (int i = 0; i < n; i++) {
      long a = i < d.length ? d[i] : 0;
      long b = i < r.length ? r[i] : 0;
      if (a < b) {
        return false;
      }
    }
    return true;
  }
}
