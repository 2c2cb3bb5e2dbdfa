package io.gleaner.descheduler.trigger;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Gathers the signals of one cluster into bursts: the first signal opens a window, later ones join
 * it, and {@code flush} runs once with every key gathered when the window closes: {@code quiet}
 * after the last signal (the burst has stopped arriving) or {@code window} after the first (a burst
 * that keeps trickling in is still bounded), whichever comes first. A signal that arrives while a
 * flush runs opens the next window. Thread-safe; {@code flush} runs on {@code scheduler}.
 */
public final class BurstWindow {
  private final Duration window;
  private final Duration quiet;
  private final ScheduledExecutorService scheduler;
  private final Consumer<Set<String>> flush;
  private final Object lock = new Object();
  private Set<String> gathered = new LinkedHashSet<>();
  private boolean open;
  private long openedAt;
  private long lastSignal;
  private long generation;

  /** A window that closes only {@code window} after its first signal. */
  public BurstWindow(
      Duration window, ScheduledExecutorService scheduler, Consumer<Set<String>> flush) {
    this(window, window, scheduler, flush);
  }

  /**
   * @param window the longest real time a burst is gathered (already converted from any accelerated
   *     clock)
   * @param quiet the real time without new signals after which the burst is taken as complete
   */
  public BurstWindow(
      Duration window,
      Duration quiet,
      ScheduledExecutorService scheduler,
      Consumer<Set<String>> flush) {
    this.window = Objects.requireNonNull(window, "window");
    this.quiet = Objects.requireNonNull(quiet, "quiet");
    if (window.isNegative()) {
      throw new IllegalArgumentException("decision window must be >= 0, got " + window);
    }
    if (quiet.isNegative()) {
      throw new IllegalArgumentException("decision quiet gap must be >= 0, got " + quiet);
    }
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.flush = Objects.requireNonNull(flush, "flush");
  }

  /** Adds {@code key} to the current burst, opening a window if none is open. */
  public void signal(String key) {
    long now = System.nanoTime();
    long gen;
    synchronized (lock) {
      gathered.add(key);
      lastSignal = now;
      if (open) {
        return;
      }
      open = true;
      openedAt = now;
      gen = ++generation;
    }
    scheduler.schedule(
        () -> check(gen), Math.min(quiet.toNanos(), window.toNanos()), TimeUnit.NANOSECONDS);
  }

  /**
   * Closes the window if it has been quiet long enough or open too long; otherwise looks again
   * later.
   */
  private void check(long gen) {
    long now = System.nanoTime();
    long again;
    synchronized (lock) {
      if (!open || gen != generation) {
        return;
      }
      long quietEnds = lastSignal + quiet.toNanos();
      long windowEnds = openedAt + window.toNanos();
      long closeAt = Math.min(quietEnds, windowEnds);
      if (now < closeAt) {
        again = closeAt - now;
      } else {
        again = -1;
      }
    }
    if (again > 0) {
      scheduler.schedule(() -> check(gen), again, TimeUnit.NANOSECONDS);
    } else {
      close();
    }
  }

  /** Signals {@code key} after {@code delay} (e.g. when a deferral to native preemption ends). */
  public void signalAfter(String key, Duration delay) {
    scheduler.schedule(() -> signal(key), Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
  }

  private void close() {
    Set<String> burst;
    synchronized (lock) {
      burst = gathered;
      gathered = new LinkedHashSet<>();
      open = false;
    }
    flush.accept(burst);
  }
}
