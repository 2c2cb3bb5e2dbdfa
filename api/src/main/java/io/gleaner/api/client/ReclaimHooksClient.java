package io.gleaner.api.client;

import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimFilter;
import io.gleaner.api.v1.ReclaimHooksGrpc;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The typed client of service {@code gleaner.v1.ReclaimHooks}, served by the descheduler: a stream
 * of reclaim events (the retained ones first, then live ones) with the stream deadline of its
 * {@link ChannelSettings}.
 */
public final class ReclaimHooksClient implements AutoCloseable {
  private final Channel channel;
  private final ManagedChannel owned;
  private final ChannelSettings settings;

  private ReclaimHooksClient(Channel channel, ManagedChannel owned, ChannelSettings settings) {
    this.channel = channel;
    this.owned = owned;
    this.settings = settings;
  }

  /** A client on its own channel (see {@link ApiChannels}), closed with this client. */
  public static ReclaimHooksClient open(ChannelSettings settings, MeterRegistry registry) {
    ManagedChannel ch = ApiChannels.open(settings, registry);
    return new ReclaimHooksClient(ch, ch, settings);
  }

  /** A client on a channel the caller owns. */
  public static ReclaimHooksClient on(Channel channel, ChannelSettings settings) {
    return new ReclaimHooksClient(channel, null, settings);
  }

  /** A running stream; {@link #close()} cancels it. */
  public interface Watch extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Streams reclaim events matching {@code filter} until closed; {@code onEnd} gets the error, or
   * {@code null} when the server ended the stream.
   */
  public Watch watch(
      ReclaimFilter filter, Consumer<ReclaimEvent> onEvent, Consumer<Throwable> onEnd) {
    CompletableFuture<ClientCallStreamObserver<?>> call = new CompletableFuture<>();
    ReclaimHooksGrpc.newStub(channel)
        .withDeadlineAfter(settings.streamDeadline().toMillis(), TimeUnit.MILLISECONDS)
        .watch(
            filter,
            new ClientResponseObserver<ReclaimFilter, ReclaimEvent>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<ReclaimFilter> requestStream) {
                call.complete(requestStream);
              }

              @Override
              public void onNext(ReclaimEvent value) {
                onEvent.accept(value);
              }

              @Override
              public void onError(Throwable t) {
                onEnd.accept(t);
              }

              @Override
              public void onCompleted() {
                onEnd.accept(null);
              }
            });
    return () -> call.thenAccept(c -> c.cancel("closed by the client", null));
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.shutdownNow();
    }
  }
}
