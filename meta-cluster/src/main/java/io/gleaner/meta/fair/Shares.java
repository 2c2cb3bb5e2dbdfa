package io.gleaner.meta.fair;

import io.gleaner.meta.resources.Resources;

/** Dominant shares of the harvested pool. */
public final class Shares {
  private static final String[] RESOURCES = Team.RESOURCES.toArray(new String[0]);

  private Shares() {}

  /**
   * The largest fraction of the pool that {@code usage} takes of any of {@link Team#RESOURCES}
   * (cpu, memory, GPUs): the Dominant Resource Fairness share. A resource the pool has none of
   * counts for nothing (the pool shrinks and grows as members lend and reclaim; a team still
   * running on a resource the pool no longer offers is not ranked infinitely rich). Can exceed 1
   * when the pool has shrunk below what runs.
   */
  public static double dominant(Resources usage, Resources pool) {
    double share = 0;
    for (String r : RESOURCES) {
      long total = pool.get(r);
      long used = usage.get(r);
      if (total > 0 && used > 0) {
        share = Math.max(share, (double) used / (double) total);
      }
    }
    return share;
  }
}
