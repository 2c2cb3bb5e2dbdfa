package io.gleaner.broker.placement;

import java.util.Arrays;

/**
 * How much less a recently reclaimed node is worth to placement (issue 17, "cool down a hot node").
 * Online work that took a node back once is likely to take it back again soon, so once its
 * cool-down is over and it is offered again, the node counts as riskier for as long again as the
 * cool-down lasted: a penalty of 1 when the cool-down ends that falls linearly to 0 one cool-down
 * later. During the cool-down itself the ledger ignores the node's offers (it is hidden).
 *
 * <p>The cool-down is the GleanerPolicy's {@code reclaimCooldown}, as the descheduler applied it
 * when it withdrew the node: {@code cooldownUntil - reclaimedAt}. A node never reclaimed, or
 * withdrawn without a cool-down, has no penalty.
 *
 * <p>Keeps the reclaim and cool-down end of each node slot of the {@link NodeTable}; {@link
 * #at(long, long, long)} is the pure rule.
 */
final class ReclaimPenalty {
  private long[] reclaimedAt = new long[0];
  private long[] cooldownUntil = new long[0];

  /**
   * The penalty at {@code nowMs}, from 0 (none) to 1 (the cool-down has just ended, or has not).
   *
   * @param reclaimedAtMs when the node was reclaimed (epoch ms; 0: never)
   * @param cooldownUntilMs until when its offers were ignored (epoch ms)
   * @param nowMs the decision's time (epoch ms; 0 or less: unknown, no penalty)
   */
  static double at(long reclaimedAtMs, long cooldownUntilMs, long nowMs) {
    long window = cooldownUntilMs - reclaimedAtMs;
    if (reclaimedAtMs <= 0 || nowMs <= 0 || window <= 0) {
      return 0;
    }
    if (nowMs <= cooldownUntilMs) {
      return 1;
    }
    long since = nowMs - cooldownUntilMs;
    return since >= window ? 0 : 1 - (double) since / window;
  }

  /** Records the last reclaim of slot {@code s} (a node's ledger record, as stored). */
  void set(int s, long reclaimedAtMs, long cooldownUntilMs) {
    if (s >= reclaimedAt.length) {
      int n = Math.max(s + 1, reclaimedAt.length * 2);
      reclaimedAt = Arrays.copyOf(reclaimedAt, n);
      cooldownUntil = Arrays.copyOf(cooldownUntil, n);
    }
    reclaimedAt[s] = reclaimedAtMs;
    cooldownUntil[s] = cooldownUntilMs;
  }

  /** The penalty of slot {@code s} at {@code nowMs}. */
  float of(int s, long nowMs) {
    return s < reclaimedAt.length ? (float) at(reclaimedAt[s], cooldownUntil[s], nowMs) : 0f;
  }
}
