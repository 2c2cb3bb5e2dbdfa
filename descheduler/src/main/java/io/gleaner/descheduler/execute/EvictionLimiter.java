package io.gleaner.descheduler.execute;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * The eviction limits of one member cluster, changeable while evictions run: a token bucket of
 * {@code perSecond} evictions per second (holding at most one second's worth, and at least one) and
 * at most {@code maxConcurrent} eviction requests outstanding at once. An eviction may wait up to
 * {@code timeout} for both ({@link #deadline()}); then it counts as refused.
 *
 * <p>Nothing here blocks: {@link #tryAcquire} takes a permit or says how long until the rate admits
 * the next, and {@link #onChange} listeners hear when a permit may have come free (a {@link
 * #release}, new limits), so an eviction waits for its permit without holding a thread ({@link
 * EvictionQueue}).
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
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

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
  public void limits(double perSecond, int maxConcurrent) {
    check(perSecond, maxConcurrent);
    synchronized (this) {
      refill();
      this.perSecond = perSecond;
      this.maxConcurrent = maxConcurrent;
      tokens = Math.min(tokens, burst(perSecond));
    }
    changed();
  }

  /**
   * Calls {@code listener} whenever a permit may have come free: a {@link #release} or new {@link
   * #limits}. It runs on the caller's thread, outside this limiter's lock, so it must be quick.
   */
  public void onChange(Runnable listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  private void changed() {
    listeners.forEach(Runnable::run);
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

  /** The time now on this limiter's clock (nanoseconds; only differences mean anything). */
  public long now() {
    return nanoTime.getAsLong();
  }

  /**
   * The deadline, on this limiter's clock, of an eviction that starts waiting now: now plus the
   * timeout. An eviction queued behind others ({@link EvictionQueue}) keeps this one.
   */
  public long deadline() {
    return now() + timeout.toNanos();
  }

  /**
   * Takes a permit for one eviction if the limits admit one now; the caller {@link #release}s it
   * when the eviction is answered. Never waits.
   *
   * @return 0 when the permit was taken; otherwise how long (nanoseconds on this limiter's clock)
   *     until the rate admits the next eviction, or {@link Long#MAX_VALUE} when only an answer can
   *     free one (the rate admits one, too many are in flight): {@link #onChange} tells of both
   */
  public synchronized long tryAcquire() {
    refill();
    if (tokens >= 1 && inFlight < maxConcurrent) {
      tokens -= 1;
      inFlight++;
      return 0;
    }
    if (tokens >= 1) {
      return Long.MAX_VALUE;
    }
    return Math.max(1, (long) Math.ceil((1 - tokens) / perSecond * 1e9));
  }

  /** Returns the permit of an eviction that was answered. */
  public void release() {
    synchronized (this) {
      if (inFlight == 0) {
        return;
      }
      inFlight--;
    }
    changed();
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
