package io.gleaner.descheduler.execute;

import io.gleaner.descheduler.plan.Victim;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evictions of one member cluster waiting for its {@link EvictionLimiter}, in the order they
 * were issued. Whoever issues an eviction only queues it; the queue's worker sends them as permits
 * come, one run at a time on {@code timer}. Waiting holds no thread: when the limiter admits none,
 * the worker runs again when the rate admits the next ({@link EvictionLimiter#tryAcquire}), when a
 * permit comes back or the limits change ({@link EvictionLimiter#onChange}), or at the first
 * waiting eviction's deadline. So an eviction waiting for a permit holds back no decision of the
 * cluster, any number of clusters wait on a small fixed {@code timer}, and the limits still bound
 * what is sent.
 *
 * <p>An eviction waits at most the limiter's timeout from when it was queued, then counts as {@link
 * EvictionResult#RATE_LIMITED}; so does one issued while {@code capacity} already wait, and every
 * one still waiting when the queue is closed. A victim (by pod uid) already queued or sent and not
 * yet answered is not sent again: the second caller gets the first one's answer.
 *
 * <p>Fencing: right before each eviction is sent, the worker checks that this replica may still act
 * ({@code mayAct}: it leads and its lease has not run out). If it may not, that eviction and every
 * one waiting behind it are dropped, not sent, and count as {@link EvictionResult#NOT_LEADER}.
 */
final class EvictionQueue implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EvictionQueue.class);

  /** Evictions of one cluster that may wait for a permit at once. */
  static final int CAPACITY = 1_000;

  private record Waiting(
      Victim victim,
      Supplier<CompletableFuture<EvictionResult>> send,
      long deadline,
      CompletableFuture<EvictionResult> answer) {}

  private final String cluster;
  private final EvictionLimiter limiter;
  private final int capacity;
  private final ScheduledExecutorService timer;
  private final BooleanSupplier mayAct;
  private final ArrayDeque<Waiting> queue = new ArrayDeque<>();

  /** Answers of the evictions queued or sent and not yet answered, by pod uid. */
  private final Map<String, CompletableFuture<EvictionResult>> unanswered = new HashMap<>();

  // guarded by this
  private boolean closed;

  /** A run of the worker is queued on the timer and has not started. */
  private boolean pending;

  /** The worker runs now. */
  private boolean running;

  /** Something changed while the worker ran: it looks again before it stops. */
  private boolean again;

  /** The worker's next run while the first waiting eviction waits for the rate or its deadline. */
  private ScheduledFuture<?> retry;

  /**
   * @param timer runs the worker (briefly, never waiting); shared by every cluster's queue
   * @param mayAct whether this replica may act now ({@code election::isLeader}); cheap
   */
  EvictionQueue(
      String cluster,
      EvictionLimiter limiter,
      int capacity,
      ScheduledExecutorService timer,
      BooleanSupplier mayAct) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.limiter = Objects.requireNonNull(limiter, "limiter");
    this.capacity = capacity;
    this.timer = Objects.requireNonNull(timer, "timer");
    this.mayAct = Objects.requireNonNull(mayAct, "mayAct");
    limiter.onChange(this::wake);
  }

  /**
   * Queues the eviction of {@code victim}; {@code send} issues it once a permit is taken (the
   * permit is returned when its answer comes). Never waits.
   */
  CompletableFuture<EvictionResult> submit(
      Victim victim, Supplier<CompletableFuture<EvictionResult>> send) {
    String uid = victim.pod().uid();
    CompletableFuture<EvictionResult> answer = new CompletableFuture<>();
    synchronized (this) {
      if (closed) {
        return CompletableFuture.completedFuture(EvictionResult.RATE_LIMITED);
      }
      CompletableFuture<EvictionResult> same = uid.isEmpty() ? null : unanswered.get(uid);
      if (same != null) {
        return same;
      }
      if (queue.size() >= capacity) {
        log.warn(
            "eviction of {} in cluster {} refused: {} evictions wait for the eviction limits",
            victim.pod().key(),
            cluster,
            queue.size());
        return CompletableFuture.completedFuture(EvictionResult.RATE_LIMITED);
      }
      queue.add(new Waiting(victim, send, limiter.deadline(), answer));
      if (!uid.isEmpty()) {
        unanswered.put(uid, answer);
      }
    }
    if (!uid.isEmpty()) {
      answer.whenComplete((r, e) -> forget(uid, answer));
    }
    wake();
    return answer;
  }

  /** Evictions queued and not yet taken up by the worker. */
  synchronized int waiting() {
    return queue.size();
  }

  /** Sends nothing more: every eviction still waiting counts as rate-limited. */
  @Override
  public void close() {
    List<Waiting> dropped;
    synchronized (this) {
      closed = true;
      cancelRetry();
      dropped = List.copyOf(queue);
      queue.clear();
    }
    dropped.forEach(w -> w.answer().complete(EvictionResult.RATE_LIMITED));
  }

  private synchronized void forget(String uid, CompletableFuture<EvictionResult> answer) {
    unanswered.remove(uid, answer);
  }

  /** Has the worker look at the queue soon: at once, or after its current run. */
  private void wake() {
    synchronized (this) {
      if (closed) {
        return;
      }
      if (running) {
        again = true;
        return;
      }
      if (pending) {
        return;
      }
      pending = true;
    }
    try {
      timer.execute(this::work);
    } catch (RejectedExecutionException e) {
      // stopping: nothing is sent any more
      close();
    }
  }

  /** One run of the worker: sends what the limits admit now, then leaves. */
  private void work() {
    synchronized (this) {
      pending = false;
      if (running) {
        again = true;
        return;
      }
      running = true;
    }
    boolean stopped = false;
    try {
      while (true) {
        if (step()) {
          continue;
        }
        synchronized (this) {
          if (!again) {
            running = false;
            stopped = true;
            return;
          }
          again = false;
        }
      }
    } finally {
      if (!stopped) {
        synchronized (this) {
          running = false;
        }
      }
    }
  }

  /**
   * Takes up the first waiting eviction if it can: sends it, or answers it rate-limited (deadline
   * passed) or not_leader.
   *
   * @return whether it did (look again at once); false when the queue is empty or waits, the next
   *     run scheduled
   */
  private boolean step() {
    Waiting head;
    boolean permit;
    boolean stop = false;
    synchronized (this) {
      head = closed ? null : queue.peek();
      if (head == null) {
        cancelRetry();
        return false;
      }
      long wait = limiter.tryAcquire();
      permit = wait == 0;
      long left = head.deadline() - limiter.now();
      if (!permit && left > 0) {
        // waits for the rate, an answer or new limits (which wake the worker), or its deadline
        cancelRetry();
        try {
          retry = timer.schedule(this::wake, Math.min(wait, left), TimeUnit.NANOSECONDS);
          return false;
        } catch (RejectedExecutionException e) {
          stop = true;
        }
      } else {
        queue.poll();
      }
    }
    if (stop) {
      // the timer stops: nothing more is sent
      close();
      return false;
    }
    if (!permit) {
      head.answer().complete(EvictionResult.RATE_LIMITED);
      return true;
    }
    if (!mayAct.getAsBoolean()) {
      limiter.release();
      dropAll(head);
      return true;
    }
    send(head);
    return true;
  }

  /** This replica may no longer act: {@code head} and everything waiting behind it go unsent. */
  private void dropAll(Waiting head) {
    List<Waiting> dropped = new ArrayList<>();
    dropped.add(head);
    synchronized (this) {
      dropped.addAll(queue);
      queue.clear();
      cancelRetry();
    }
    log.info(
        "cluster {}: {} eviction(s) dropped, none sent: this replica may no longer act (it does"
            + " not lead, or its lease ran out)",
        cluster,
        dropped.size());
    dropped.forEach(w -> w.answer().complete(EvictionResult.NOT_LEADER));
  }

  private void cancelRetry() {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
  }

  private void send(Waiting w) {
    CompletableFuture<EvictionResult> sent;
    try {
      sent = w.send().get();
    } catch (RuntimeException e) {
      limiter.release();
      failed(w, e);
      return;
    }
    sent.whenComplete(
        (result, err) -> {
          limiter.release();
          if (err != null) {
            failed(w, err);
          } else {
            w.answer().complete(result);
          }
        });
  }

  private void failed(Waiting w, Throwable e) {
    log.warn(
        "eviction of {} in cluster {} failed: {}", w.victim().pod().key(), cluster, e.toString());
    w.answer().complete(EvictionResult.FAILED);
  }
}
