package io.gleaner.sim;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Threads shared by every simulated cluster of a process: one Vert.x instance (all API servers, and
 * the fabric8 clients handed out by {@link SimulatedCluster#client()}), one small scheduled
 * executor for the simulated controllers, and a ticker that fires timers due on simulated clocks. A
 * hundred clusters cost no more threads than one.
 *
 * <p>Create one per test class or sandbox, pass it to every cluster builder, close it last.
 */
public final class SimRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SimRuntime.class);
  private static final long TICK_MILLIS = 10;

  private final Vertx vertx;
  private final ScheduledExecutorService executor;
  private final List<Timeline> timelines = new CopyOnWriteArrayList<>();
  private final ScheduledFuture<?> ticker;
  private volatile boolean closed;

  private SimRuntime(int eventLoops, int workers) {
    this.vertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(eventLoops)
                .setWorkerPoolSize(2)
                .setInternalBlockingPoolSize(2)
                .setBlockedThreadCheckInterval(10)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS));
    AtomicInteger n = new AtomicInteger();
    ThreadFactory tf =
        r -> {
          Thread t = new Thread(r, "gleaner-sim-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    this.executor = Executors.newScheduledThreadPool(workers, tf);
    this.ticker =
        executor.scheduleWithFixedDelay(
            this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Two event loops and two controller threads: enough for 100 clusters on a 2-core machine. */
  public static SimRuntime create() {
    return new SimRuntime(2, 2);
  }

  public static SimRuntime create(int eventLoops, int controllerThreads) {
    if (eventLoops < 1 || controllerThreads < 1) {
      throw new IllegalArgumentException(
          "eventLoops and controllerThreads must be >= 1, got "
              + eventLoops
              + ", "
              + controllerThreads);
    }
    return new SimRuntime(eventLoops, controllerThreads);
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The shared executor for simulated controllers; tasks must be short and must not block. */
  public ScheduledExecutorService executor() {
    return executor;
  }

  /**
   * A queue of tasks due at instants of {@code clock}; fired by the runtime's ticker on the
   * executor.
   */
  public Timeline timeline(Clock clock) {
    Timeline t = new Timeline(clock);
    timelines.add(t);
    return t;
  }

  private void tick() {
    for (Timeline t : timelines) {
      try {
        t.fireDue();
      } catch (RuntimeException e) {
        LOG.warn("simulated timer failed", e);
      }
    }
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ticker.cancel(false);
    executor.shutdownNow();
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("vert.x close", e);
    }
  }

  /**
   * Timers on a (possibly simulated) clock. A task scheduled for instant {@code t} runs on the
   * runtime's executor within one tick after the clock shows {@code t}; with a {@code FakeClock}
   * that is after the test advances it.
   */
  public final class Timeline implements AutoCloseable {
    private final Clock clock;
    private final PriorityQueue<Entry> queue = new PriorityQueue<>();
    private final AtomicLong seq = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger running =
        new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean open = true;

    private record Entry(Instant due, long seq, Runnable task) implements Comparable<Entry> {
      @Override
      public int compareTo(Entry o) {
        int c = due.compareTo(o.due);
        return c != 0 ? c : Long.compare(seq, o.seq);
      }
    }

    private Timeline(Clock clock) {
      this.clock = clock;
    }

    public Clock clock() {
      return clock;
    }

    /** Runs {@code task} once the clock reaches {@code due}. */
    public void at(Instant due, Runnable task) {
      synchronized (queue) {
        queue.add(new Entry(due, seq.incrementAndGet(), task));
      }
    }

    /** Runs {@code task} after {@code delay} of clock time. */
    public void after(java.time.Duration delay, Runnable task) {
      at(clock.instant().plus(delay), task);
    }

    /**
     * Runs {@code task} every {@code period} of clock time, first after one period. With a fake
     * clock a big jump fires it once, not once per missed period.
     */
    public void every(java.time.Duration period, Runnable task) {
      if (period.isZero() || period.isNegative()) {
        throw new IllegalArgumentException("period must be positive, got " + period);
      }
      after(
          period,
          () -> {
            try {
              task.run();
            } finally {
              if (open) {
                every(period, task);
              }
            }
          });
    }

    void fireDue() {
      if (!open) {
        return;
      }
      Instant now = clock.instant();
      while (true) {
        Entry e;
        synchronized (queue) {
          e = queue.peek();
          if (e == null || e.due().isAfter(now)) {
            return;
          }
          queue.poll();
          running.incrementAndGet(); // under the lock: awaitDueTasks sees it queued or running
        }
        Runnable task = e.task();
        try {
          executor.execute(
              () -> {
                try {
                  if (open) {
                    task.run();
                  }
                } catch (RuntimeException ex) {
                  LOG.warn("simulated timer task failed", ex);
                } finally {
                  running.decrementAndGet();
                }
              });
        } catch (java.util.concurrent.RejectedExecutionException ex) {
          running.decrementAndGet(); // the runtime is closing
        }
      }
    }

    /**
     * Blocks until every task due at the clock's current instant has run, tasks that those schedule
     * for that instant included: after a test advances a fake clock, what the simulated components
     * do at that instant is done, so the test can assert what has <em>not</em> happened yet without
     * waiting for an arbitrary time.
     *
     * @throws IllegalStateException when due tasks are still pending after {@code timeout}
     */
    public void awaitDueTasks(java.time.Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        Instant now = clock.instant();
        boolean pending;
        synchronized (queue) {
          Entry head = queue.peek();
          pending = head != null && !head.due().isAfter(now);
        }
        if (!pending && running.get() == 0) {
          return;
        }
        if (!open) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "simulated tasks due at " + now + " still pending after " + timeout);
        }
        try {
          Thread.sleep(2);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while awaiting due tasks", ex);
        }
      }
    }

    @Override
    public void close() {
      open = false;
      timelines.remove(this);
      synchronized (queue) {
        queue.clear();
      }
    }
  }
}
