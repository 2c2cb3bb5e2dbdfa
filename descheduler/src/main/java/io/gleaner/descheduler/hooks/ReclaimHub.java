package io.gleaner.descheduler.hooks;

import io.gleaner.api.auth.CallerAuthorizer;
import io.gleaner.api.auth.WatchLimit;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimFilter;
import io.gleaner.api.v1.ReclaimHooksGrpc;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes every ReclaimEvent to the gRPC {@code ReclaimHooks.Watch} streams (each with its
 * filter) and to the configured webhooks. {@link #accept} never blocks: stream fan-out runs on the
 * hub's own thread behind a bounded queue, each webhook on its own ({@link WebhookSender}); a slow
 * or dead consumer loses events, never delays a reclaim: a stream whose transport buffer is full
 * ({@code isReady} false, gRPC flow control) is skipped for that event, counted as DROPPED. Each
 * identity ({@link CallerAuthorizer#IDENTITY}; all unauthenticated subscribers count as one) may
 * hold a bounded number of streams; one more is refused with RESOURCE_EXHAUSTED.
 */
public final class ReclaimHub extends ReclaimHooksGrpc.ReclaimHooksImplBase
    implements Consumer<ReclaimEvent>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReclaimHub.class);

  /**
   * One Watch stream. {@code wasReady}: the transport has said it is ready at least once; before
   * that (the first microseconds of a stream) {@code isReady} is false without meaning a slow
   * reader.
   */
  private record Watcher(
      String identity,
      ReclaimFilter filter,
      ServerCallStreamObserver<ReclaimEvent> stream,
      AtomicBoolean wasReady) {}

  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
  private final List<Consumer<ReclaimEvent>> listeners = new CopyOnWriteArrayList<>();
  private final List<WebhookSender> webhooks;
  private final ThreadPoolExecutor fanOut;
  private final Consumer<HookOutcome> streamOutcomes;
  private final WatchLimit limit;

  /**
   * @param maxWatchersPerIdentity open Watch streams one identity may hold
   * @param streamOutcomes told the outcome of each event for the gRPC streams (DELIVERED or
   *     DROPPED); must not block
   */
  public ReclaimHub(
      List<WebhookSender> webhooks,
      int queueCapacity,
      int maxWatchersPerIdentity,
      Consumer<HookOutcome> streamOutcomes) {
    this.limit =
        new WatchLimit(
            "ReclaimHooks.Watch streams",
            "descheduler.hooks.server.maxWatchersPerIdentity",
            maxWatchersPerIdentity);
    this.webhooks = List.copyOf(webhooks);
    this.streamOutcomes = streamOutcomes;
    this.fanOut =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(queueCapacity),
            r -> {
              Thread t = new Thread(r, "reclaim-hub");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public void watch(ReclaimFilter request, StreamObserver<ReclaimEvent> responseObserver) {
    ServerCallStreamObserver<ReclaimEvent> stream =
        (ServerCallStreamObserver<ReclaimEvent>) responseObserver;
    Watcher w = new Watcher(WatchLimit.caller(), request, stream, new AtomicBoolean());
    stream.setOnReadyHandler(() -> w.wasReady().set(true));
    synchronized (watchers) {
      if (!limit.tryOpen(w.identity())) {
        stream.onError(limit.refusal(w.identity()));
        return;
      }
      watchers.add(w);
    }
    stream.setOnCancelHandler(() -> drop(w));
  }

  private void drop(Watcher w) {
    if (watchers.remove(w)) {
      limit.close(w.identity());
    }
  }

  /** How many gRPC watchers {@code identity} holds. */
  public long watchers(String identity) {
    return watchers.stream().filter(w -> w.identity().equals(identity)).count();
  }

  /** How many gRPC watchers are connected. */
  public int watchers() {
    return watchers.size();
  }

  /**
   * Adds an in-process listener (dashboards, benches); it is called on the reclaim's I/O thread and
   * must not block.
   */
  public void addListener(Consumer<ReclaimEvent> listener) {
    listeners.add(listener);
  }

  @Override
  public void accept(ReclaimEvent event) {
    for (Consumer<ReclaimEvent> l : listeners) {
      try {
        l.accept(event);
      } catch (RuntimeException e) {
        log.warn("reclaim listener failed: {}", e.toString());
      }
    }
    for (WebhookSender s : webhooks) {
      s.offer(event);
    }
    if (watchers.isEmpty()) {
      return;
    }
    try {
      fanOut.execute(
          () -> {
            for (Watcher w : watchers) {
              if (!Filters.matches(w.filter(), event)) {
                continue;
              }
              try {
                if (w.stream().isCancelled()) {
                  drop(w);
                } else if (w.wasReady().get() && !w.stream().isReady()) {
                  // the subscriber does not read: skip it rather than buffer without bound
                  streamOutcomes.accept(HookOutcome.DROPPED);
                } else {
                  w.stream().onNext(event);
                  streamOutcomes.accept(HookOutcome.DELIVERED);
                }
              } catch (RuntimeException e) {
                log.debug("dropping reclaim watcher: {}", e.toString());
                drop(w);
              }
            }
          });
    } catch (RejectedExecutionException e) {
      streamOutcomes.accept(HookOutcome.DROPPED);
    }
  }

  @Override
  public void close() {
    fanOut.shutdown();
    for (Watcher w : watchers) {
      try {
        w.stream().onCompleted();
      } catch (RuntimeException e) {
        log.debug("closing reclaim watcher: {}", e.toString());
      }
    }
    watchers.clear();
    webhooks.forEach(WebhookSender::close);
  }
}
