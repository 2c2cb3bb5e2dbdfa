package io.gleaner.meta.coord;

/**
 * Told when this replica starts and stops acting as leader. Calls come on one election thread, in
 * order, alternating started/stopped; they should return quickly (hand long work to another thread)
 * because the next transition waits for them.
 */
public interface LeadershipListener {

  /**
   * This replica now leads. {@code epoch} is higher than every earlier leader's epoch of the same
   * election; stamp it on writes that must be fenced.
   */
  void onStartedLeading(long epoch);

  /**
   * This replica no longer leads (session lost, latch node gone, or stopped). Stop acting at once;
   * writes from now on are refused anyway. A suspended connection does not end a leadership: it
   * only makes {@link LeaderElection#isLeader()} false until the connection is back.
   */
  void onStoppedLeading();
}
