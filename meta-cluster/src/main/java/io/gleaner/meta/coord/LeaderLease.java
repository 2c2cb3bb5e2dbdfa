package io.gleaner.meta.coord;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Until when a leader may act: the monotonic time leadership was last confirmed plus a bound
 * shorter than the ZooKeeper session timeout.
 *
 * <p>A confirmation is a ZooKeeper round trip that succeeded; it was sent at {@code sentAt}, so the
 * server heard from this session no earlier than that, and cannot expire the session (and let
 * another replica lead) before {@code sentAt} + the session timeout. Acting stops at {@code sentAt}
 * + the bound, before that. A process that was paused (SIGSTOP, a long GC) finds, once continued,
 * that its monotonic clock has moved past the deadline, and acts on nothing before it has confirmed
 * again, even if its ZooKeeper client has not yet noticed that the session is gone.
 *
 * <p>{@link #valid()} is the hot path: one volatile read and one {@code nanoTime} compare. {@link
 * #revoke()} closes the lease at once (suspended, lost, stopping) and makes any confirmation that
 * started before it count for nothing.
 */
public final class LeaderLease {
  private final LongSupplier nanoTime;
  private volatile long deadline;
  private long generation; // guarded by this

  /**
   * @param nanoTime the monotonic clock ({@code System::nanoTime}; tests advance their own)
   */
  public LeaderLease(LongSupplier nanoTime) {
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.deadline = nanoTime.getAsLong();
  }

  /** Whether the holder may act now. */
  public boolean valid() {
    return nanoTime.getAsLong() - deadline < 0;
  }

  /** Time left before the lease runs out; zero or negative once it has. */
  public Duration remaining() {
    return Duration.ofNanos(deadline - nanoTime.getAsLong());
  }

  /** The monotonic time now, on this lease's clock: take it before a confirming round trip. */
  public long now() {
    return nanoTime.getAsLong();
  }

  /**
   * A token for a confirmation about to start; {@link #confirm} applies only if no {@link
   * #revoke()} came in between.
   */
  public synchronized long token() {
    return generation;
  }

  /**
   * Leadership was confirmed by a round trip sent at {@code sentAt} (from {@link #now()}): the
   * lease runs until {@code sentAt + bound}, unless it was revoked since {@code token} was taken.
   * Never moves the deadline back.
   *
   * @return whether the lease was extended
   */
  public synchronized boolean confirm(long token, long sentAt, Duration bound) {
    if (token != generation) {
      return false;
    }
    long next = sentAt + bound.toNanos();
    if (next - deadline > 0) {
      deadline = next;
    }
    return valid();
  }

  /** Closes the lease now; confirmations already under way are ignored. */
  public synchronized void revoke() {
    generation++;
    deadline = nanoTime.getAsLong();
  }
}
