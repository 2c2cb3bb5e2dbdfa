package io.gleaner.vk.pod;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A work queue in the client-go sense: a key is queued at most once, is never handled by two
 * workers at the same time, and a key added while it is being handled is handled again afterwards.
 * Failed keys come back after a per-key exponential backoff that grows to {@code maxDelay} and
 * never gives up.
 *
 * <p>Thread-safe. {@link #add} never blocks. The handler runs on the queue's worker threads.
 */
public final class WorkQueue<K> implements AutoCloseable {
  /** What a handler asks the queue to do with its key. */
  public sealed interface Result {
    /** Done; forget the key's failure history. */
    record Done() implements Result {}

    /** A transient failure: retry after the key's backoff. */
    record Retry(String why) implements Result {}

    /** Look again after this delay (polling, no failure). */
    record After(Duration delay) implements Result {}

    Result DONE = new Done();

    static Result retry(String why) {
      return new Retry(why);
    }

    static Result after(Duration d) {
      return new After(d);
    }
  }

  private static final Logger log = LoggerFactory.getLogger(WorkQueue.class);

  private final String name;
  private final Duration baseDelay;
  private final Duration maxDelay;
  private final LinkedBlockingQueue<K> queue = new LinkedBlockingQueue<>();
  private final Set<K> dirty = new HashSet<>();
  private final Set<K> processing = new HashSet<>();
  private final Map<K, Integer> failures = new ConcurrentHashMap<>();
  private final ScheduledExecutorService delays;
  private final ExecutorService workers;
  private final int workerCount;
  private volatile boolean closed;
  private volatile BooleanSupplier mayWork = () -> true;

  /** How soon a key taken while work is paused is looked at again. */
  static final Duration PAUSED_RECHECK = Duration.ofMillis(500);

  public WorkQueue(String name, int workers, Duration baseDelay, Duration maxDelay) {
    if (workers < 1) {
      throw new IllegalArgumentException(
          "work queue " + name + ": workers must be >= 1, got " + workers);
    }
    this.name = name;
    this.baseDelay = baseDelay;
    this.maxDelay = maxDelay;
    this.workerCount = workers;
    this.delays = Executors.newSingleThreadScheduledExecutor(threads(name + "-delay"));
    this.workers = Executors.newFixedThreadPool(workers, threads(name));
  }

  /**
   * Keys are handled only while {@code mayWork} holds; while it does not, a key taken is put back
   * for {@link #PAUSED_RECHECK} without running the handler and without counting as a failure (a
   * leader whose lease has run out pauses; ZooKeeper SUSPENDED).
   */
  public void pauseUnless(BooleanSupplier mayWork) {
    this.mayWork = Objects.requireNonNull(mayWork, "mayWork");
  }

  /** Starts the workers; each takes keys and runs {@code handler}. */
  public void start(Function<K, Result> handler) {
    for (int i = 0; i < workerCount; i++) {
      workers.execute(() -> loop(handler));
    }
  }

  public void add(K key) {
    if (closed) {
      return;
    }
    synchronized (this) {
      if (!dirty.add(key)) {
        return;
      }
      if (processing.contains(key)) {
        return; // done() puts it back
      }
    }
    queue.add(key);
  }

  public void addAfter(K key, Duration delay) {
    if (closed) {
      return;
    }
    if (delay.isZero() || delay.isNegative()) {
      add(key);
      return;
    }
    delays.schedule(() -> add(key), delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Re-adds after the key's exponential backoff: base × 2^failures, capped at maxDelay. */
  public void addRateLimited(K key) {
    int n = failures.merge(key, 1, Integer::sum);
    long nanos = baseDelay.toNanos() << Math.min(n - 1, 30);
    if (nanos <= 0 || nanos > maxDelay.toNanos()) {
      nanos = maxDelay.toNanos();
    }
    addAfter(key, Duration.ofNanos(nanos));
  }

  public void forget(K key) {
    failures.remove(key);
  }

  public int failures(K key) {
    return failures.getOrDefault(key, 0);
  }

  public int length() {
    return queue.size();
  }

  private void loop(Function<K, Result> handler) {
    while (!closed) {
      K key;
      try {
        key = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (key == null) {
        continue;
      }
      if (!mayWork.getAsBoolean()) {
        synchronized (this) {
          dirty.remove(key);
        }
        addAfter(key, PAUSED_RECHECK);
        continue;
      }
      synchronized (this) {
        processing.add(key);
        dirty.remove(key);
      }
      Result r;
      try {
        r = handler.apply(key);
      } catch (RuntimeException e) {
        if (closed) {
          return; // interrupted by close(): the next owner of the queue's work starts from the
          // informers
        }
        log.warn("{}: handling {} failed, will retry: {}", name, key, e.toString());
        log.debug("{}: handling {} failed", name, key, e);
        r = Result.retry(e.toString());
      }
      done(key);
      if (r instanceof Result.Done) {
        forget(key);
      } else if (r instanceof Result.Retry retry) {
        if (failures(key) % 10 == 0) {
          log.info(
              "{}: {} will be retried (attempt {}): {}", name, key, failures(key) + 1, retry.why());
        }
        addRateLimited(key);
      } else if (r instanceof Result.After after) {
        forget(key);
        addAfter(key, after.delay());
      }
    }
  }

  private void done(K key) {
    boolean again;
    synchronized (this) {
      processing.remove(key);
      again = dirty.contains(key);
    }
    if (again) {
      queue.add(key);
    }
  }

  @Override
  public void close() {
    closed = true;
    delays.shutdownNow();
    workers.shutdownNow();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
