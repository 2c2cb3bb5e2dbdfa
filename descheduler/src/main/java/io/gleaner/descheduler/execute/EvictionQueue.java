package io.gleaner.descheduler.execute;

import io.gleaner.descheduler.plan.Victim;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evictions of one member cluster waiting for its {@link EvictionLimiter}, in the order they
 * were issued. Whoever issues an eviction only queues it; one worker of the cluster at a time (on
 * {@code worker}, started while evictions wait) waits for the permits and sends them. So an
 * eviction waiting for a permit holds back no decision of the cluster, and the limits still bound
 * what is sent.
 *
 * <p>An eviction waits at most the limiter's timeout from when it was queued, then counts as {@link
 * EvictionResult#RATE_LIMITED}; so does one issued while {@code capacity} already wait, and every
 * one still waiting when the queue is closed. A victim (by pod uid) already queued or sent and not
 * yet answered is not sent again: the second caller gets the first one's answer.
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
  private final Executor worker;
  private final ArrayDeque<Waiting> queue = new ArrayDeque<>();

  /** Answers of the evictions queued or sent and not yet answered, by pod uid. */
  private final Map<String, CompletableFuture<EvictionResult>> unanswered = new HashMap<>();

  private boolean draining;
  private boolean closed;
  private Thread drainer;

  EvictionQueue(String cluster, EvictionLimiter limiter, int capacity, Executor worker) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.limiter = Objects.requireNonNull(limiter, "limiter");
    this.capacity = capacity;
    this.worker = Objects.requireNonNull(worker, "worker");
  }

  /**
   * Queues the eviction of {@code victim}; {@code send} issues it once a permit is taken (the
   * permit is returned when its answer comes). Never waits.
   */
  CompletableFuture<EvictionResult> submit(
      Victim victim, Supplier<CompletableFuture<EvictionResult>> send) {
    String uid = victim.pod().uid();
    CompletableFuture<EvictionResult> answer = new CompletableFuture<>();
    boolean start;
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
      start = !draining;
      draining = true;
    }
    if (!uid.isEmpty()) {
      answer.whenComplete((r, e) -> forget(uid, answer));
    }
    if (start) {
      try {
        worker.execute(this::drain);
      } catch (RejectedExecutionException e) {
        // stopping: nothing is sent any more
        synchronized (this) {
          draining = false;
        }
        close();
      }
    }
    return answer;
  }

  /** Evictions queued and not yet taken up by the worker. */
  synchronized int waiting() {
    return queue.size();
  }

  /** Sends nothing more: every eviction still waiting counts as rate-limited. */
  @Override
  public void close() {
    java.util.List<Waiting> dropped;
    synchronized (this) {
      closed = true;
      dropped = java.util.List.copyOf(queue);
      queue.clear();
      if (drainer != null) {
        drainer.interrupt();
      }
    }
    dropped.forEach(w -> w.answer().complete(EvictionResult.RATE_LIMITED));
  }

  private synchronized void forget(String uid, CompletableFuture<EvictionResult> answer) {
    unanswered.remove(uid, answer);
  }

  private void drain() {
    synchronized (this) {
      drainer = Thread.currentThread();
    }
    try {
      while (true) {
        Waiting next;
        synchronized (this) {
          next = closed ? null : queue.poll();
          if (next == null) {
            draining = false;
            return;
          }
        }
        if (!limiter.acquireUntil(next.deadline())) {
          next.answer().complete(EvictionResult.RATE_LIMITED);
          continue;
        }
        boolean stopped;
        synchronized (this) {
          stopped = closed;
        }
        if (stopped) {
          limiter.release();
          next.answer().complete(EvictionResult.RATE_LIMITED);
          continue;
        }
        send(next);
      }
    } finally {
      synchronized (this) {
        drainer = null;
      }
      // an interrupt from close() meant for this queue only: the thread goes back to its pool
      Thread.interrupted();
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
