package io.gleaner.descheduler.trigger;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Gathers the signals of one cluster for a short decision window and hands them over as one burst: the first signal
 * opens the window, later ones join it, and when it closes {@code flush} runs once with every key gathered. A signal
 * that arrives while a flush runs opens the next window. Thread-safe; {@code flush} runs on {@code scheduler}.
 */
public final class BurstWindow {
    private final Duration window;
    private final ScheduledExecutorService scheduler;
    private final Consumer<Set<String>> flush;
    private final Object lock = new Object();
    private Set<String> gathered = new LinkedHashSet<>();
    private boolean open;

    /** @param window the real time a burst is gathered (already converted from any accelerated clock) */
    public BurstWindow(Duration window, ScheduledExecutorService scheduler, Consumer<Set<String>> flush) {
        this.window = Objects.requireNonNull(window, "window");
        if (window.isNegative()) {
            throw new IllegalArgumentException("decision window must be >= 0, got " + window);
        }
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.flush = Objects.requireNonNull(flush, "flush");
    }

    /** Adds {@code key} to the current burst, opening a window if none is open. */
    public void signal(String key) {
        synchronized (lock) {
            gathered.add(key);
            if (open) {
                return;
            }
            open = true;
        }
        scheduler.schedule(this::close, window.toNanos(), TimeUnit.NANOSECONDS);
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
