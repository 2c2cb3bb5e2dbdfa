package io.gleaner.broker.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What one server stream sends. While the client reads, a message goes to gRPC at once; once the
 * stream has been ready and is not any more (the client stopped reading), at most {@code limit}
 * messages wait here, the oldest dropped first, and go out when the stream is ready again. gRPC
 * itself buffers every message handed to it without bound, so a stalled subscriber must never be
 * handed more.
 */
final class StreamOutbox<T> {
  private final ServerCallStreamObserver<T> call;
  private final int limit;
  private final Deque<T> waiting = new ArrayDeque<>();
  private boolean wasReady;
  private long dropped;

  /** Takes over the stream's on-ready handler. */
  StreamOutbox(ServerCallStreamObserver<T> call, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    this.call = call;
    this.limit = limit;
    call.setOnReadyHandler(this::drain);
  }

  /**
   * Sends {@code message}, or keeps it until the client reads again.
   *
   * @return false when the stream is cancelled (nothing sent)
   */
  synchronized boolean send(T message) {
    if (call.isCancelled()) {
      return false;
    }
    if (call.isReady()) {
      wasReady = true;
    }
    if (wasReady && (!call.isReady() || !waiting.isEmpty())) {
      waiting.addLast(message);
      while (waiting.size() > limit) {
        waiting.removeFirst();
        dropped++;
      }
      drainReady();
      return true;
    }
    call.onNext(message);
    return true;
  }

  /** Messages dropped because the client did not read them in time. */
  synchronized long dropped() {
    return dropped;
  }

  private synchronized void drain() {
    wasReady = true;
    if (!call.isCancelled()) {
      drainReady();
    }
  }

  private void drainReady() {
    while (!waiting.isEmpty() && call.isReady()) {
      call.onNext(waiting.removeFirst());
    }
  }
}
