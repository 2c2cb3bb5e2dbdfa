package io.gleaner.descheduler.execute;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The eviction limits of one member cluster, changeable while evictions run: a token bucket of
 * {@code perSecond} evictions per second (holding at most one second's worth, and at least one) and
 * at most {@code maxConcurrent} eviction requests outstanding at once. An eviction waits up to
 * {@code timeout} (real time) for both; then it counts as refused.
 *
 * <p>Thread-safe. Time comes from {@code nanoTime} so tests can drive it.
 */
public final class EvictionLimiter {
  private final LongSupplier nanoTime;
  private final Duration timeout;
  private double perSecond;
  private int maxConcurrent;
  private double tokens;
  private long refilledAt;
  private int inFlight;

  /** Real time. */
  public EvictionLimiter(double perSecond, int maxConcurrent, Duration timeout) {
    this(perSecond, maxConcurrent, timeout, System::nanoTime);
  }

  public EvictionLimiter(
      double perSecond, int maxConcurrent, Duration timeout, LongSupplier nanoTime) {
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    check(perSecond, maxConcurrent);
    this.perSecond = perSecond;
    this.maxConcurrent = maxConcurrent;
    this.tokens = burst(perSecond);
    this.refilledAt = nanoTime.getAsLong();
  }

  private static void check(double perSecond, int maxConcurrent) {
    if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
      throw new IllegalArgumentException("evictions per second must be > 0, got " + perSecond);
    }
    if (maxConcurrent < 1) {
      throw new IllegalArgumentException(
          "evictions in flight must be at least 1, got " + maxConcurrent);
    }
  }

  private static double burst(double perSecond) {
    return Math.max(1, perSecond);
  }

  /** Puts new limits in force; waiting evictions see them at once. Tokens saved stay, capped. */
  public synchronized void limits(double perSecond, int maxConcurrent) {
    check(perSecond, maxConcurrent);
    refill();
    this.perSecond = perSecond;
    this.maxConcurrent = maxConcurrent;
    tokens = Math.min(tokens, burst(perSecond));
    notifyAll();
  }

  public synchronized double perSecond() {
    return perSecond;
  }

  public synchronized int maxConcurrent() {
    return maxConcurrent;
  }

  /** Eviction requests outstanding now. */
  public synchronized int inFlight() {
    return inFlight;
  }

  /**
   * Takes a permit for one eviction, waiting up to the timeout; the caller {@link #release}s it
   * when the eviction is answered.
   *
   * @return false when no permit came in time (or the thread was interrupted)
   */
  public synchronized boolean acquire() {
    return acquireUntil(deadline());
  }

  /**
   * The deadline, on this limiter's clock, of an eviction that starts waiting now: now plus the
   * timeout. An eviction queued before its turn to wait ({@link EvictionQueue}) keeps this one.
   */
  public long deadline() {
    return nanoTime.getAsLong() + timeout.toNanos();
  }

  /**
   * As {@link #acquire}, waiting until {@code deadline} (from {@link #deadline()}) at the latest.
   *
   * @return false when no permit came before the deadline (or the thread was interrupted)
   */
  public synchronized boolean acquireUntil(long deadline) {
    while (true) {
      refill();
      if (tokens >= 1 && inFlight < maxConcurrent) {
        tokens -= 1;
        inFlight++;
        return true;
      }
      long now = nanoTime.getAsLong();
      long left = deadline - now;
      if (left <= 0) {
        return false;
      }
      long waitNanos = left;
      if (tokens < 1) {
        waitNanos = Math.min(waitNanos, (long) Math.ceil((1 - tokens) / perSecond * 1e9));
      }
      try {
        long ms = Math.max(1, waitNanos / 1_000_000);
        wait(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /** Returns the permit of an eviction that was answered. */
  public synchronized void release() {
    if (inFlight > 0) {
      inFlight--;
      notifyAll();
    }
  }

  private void refill() {
    long now = nanoTime.getAsLong();
    long elapsed = now - refilledAt;
    if (elapsed > 0) {
      tokens = Math.min(burst(perSecond), tokens + elapsed / 1e9 * perSecond);
      refilledAt = now;
    }
  }
}
