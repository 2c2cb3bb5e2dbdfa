package io.gleaner.broker.grpc;

import io.gleaner.broker.v1.BrokerGrpc;
import io.gleaner.broker.v1.Capacity;
import io.gleaner.broker.v1.CapacityRequest;
import io.gleaner.broker.v1.ConfirmRequest;
import io.gleaner.broker.v1.ConfirmResponse;
import io.gleaner.broker.v1.EstimateRequest;
import io.gleaner.broker.v1.EstimateResponse;
import io.gleaner.broker.v1.ListPlacementsRequest;
import io.gleaner.broker.v1.OfferAck;
import io.gleaner.broker.v1.OfferReport;
import io.gleaner.broker.v1.PlaceRequest;
import io.gleaner.broker.v1.PlaceResponse;
import io.gleaner.broker.v1.Placement;
import io.gleaner.broker.v1.ReclaimEvent;
import io.gleaner.broker.v1.ReclaimFilter;
import io.gleaner.broker.v1.ReleaseRequest;
import io.gleaner.broker.v1.ReleaseResponse;
import io.gleaner.broker.v1.WithdrawRequest;
import io.gleaner.broker.v1.WithdrawResponse;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A small client of service {@code gleaner.v1.Broker} for the other services: blocking and
 * asynchronous calls, each with a deadline ({@link #DEFAULT_DEADLINE} for unary calls, {@link
 * #DEFAULT_STREAM_DEADLINE} for streams). Failures surface as {@link
 * io.grpc.StatusRuntimeException} whose description is the broker's human message.
 */
public final class BrokerClient implements AutoCloseable {
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);
  public static final Duration DEFAULT_STREAM_DEADLINE = Duration.ofHours(1);

  private final ManagedChannel channel;
  private final boolean ownsChannel;
  private final Duration deadline;
  private final Duration streamDeadline;

  /** A client on a channel the caller owns and closes. */
  public BrokerClient(ManagedChannel channel, Duration deadline, Duration streamDeadline) {
    this(channel, false, deadline, streamDeadline);
  }

  private BrokerClient(
      ManagedChannel channel, boolean owns, Duration deadline, Duration streamDeadline) {
    this.channel = channel;
    this.ownsChannel = owns;
    this.deadline = deadline;
    this.streamDeadline = streamDeadline;
  }

  /** A plaintext client for {@code host:port}, owning its channel. */
  public static BrokerClient connect(String target) {
    return connect(target, InsecureChannelCredentials.create());
  }

  /** A TLS client for {@code host:port} trusting the CA certificates in {@code caFile} (PEM). */
  public static BrokerClient connectTls(String target, String caFile) {
    try {
      return connect(
          target, TlsChannelCredentials.newBuilder().trustManager(new File(caFile)).build());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read broker CA file " + caFile + ": " + e.getMessage(), e);
    }
  }

  private static BrokerClient connect(String target, ChannelCredentials creds) {
    ManagedChannel ch = Grpc.newChannelBuilder(target, creds).build();
    return new BrokerClient(ch, true, DEFAULT_DEADLINE, DEFAULT_STREAM_DEADLINE);
  }

  private BrokerGrpc.BrokerBlockingStub blocking() {
    return BrokerGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  private BrokerGrpc.BrokerStub async(Duration d) {
    return BrokerGrpc.newStub(channel).withDeadlineAfter(d.toMillis(), TimeUnit.MILLISECONDS);
  }

  public PlaceResponse place(PlaceRequest req) {
    return blocking().place(req);
  }

  public CompletableFuture<PlaceResponse> placeAsync(PlaceRequest req) {
    CompletableFuture<PlaceResponse> f = new CompletableFuture<>();
    async(deadline).place(req, unaryObserver(f));
    return f;
  }

  public ConfirmResponse confirm(String podUid) {
    return blocking().confirm(ConfirmRequest.newBuilder().setPodUid(podUid).build());
  }

  public CompletableFuture<ConfirmResponse> confirmAsync(String podUid) {
    CompletableFuture<ConfirmResponse> f = new CompletableFuture<>();
    async(deadline)
        .confirm(ConfirmRequest.newBuilder().setPodUid(podUid).build(), unaryObserver(f));
    return f;
  }

  public ReleaseResponse release(String podUid, String reason) {
    return blocking()
        .release(ReleaseRequest.newBuilder().setPodUid(podUid).setReason(reason).build());
  }

  public CompletableFuture<ReleaseResponse> releaseAsync(String podUid, String reason) {
    CompletableFuture<ReleaseResponse> f = new CompletableFuture<>();
    async(deadline)
        .release(
            ReleaseRequest.newBuilder().setPodUid(podUid).setReason(reason).build(),
            unaryObserver(f));
    return f;
  }

  /** Placements of one cluster, or all when {@code cluster} is empty. */
  public List<Placement> placements(String cluster) {
    return blocking()
        .listPlacements(ListPlacementsRequest.newBuilder().setCluster(cluster).build())
        .getPlacementsList();
  }

  public Capacity capacity() {
    return blocking().getCapacity(CapacityRequest.getDefaultInstance());
  }

  public EstimateResponse estimate(EstimateRequest req) {
    return blocking().estimate(req);
  }

  public WithdrawResponse withdraw(WithdrawRequest req) {
    return blocking().withdraw(req);
  }

  public CompletableFuture<WithdrawResponse> withdrawAsync(WithdrawRequest req) {
    CompletableFuture<WithdrawResponse> f = new CompletableFuture<>();
    async(deadline).withdraw(req, unaryObserver(f));
    return f;
  }

  /**
   * An open offer stream: send reports, then {@link #complete()} to get the broker's
   * acknowledgement.
   */
  public interface OfferStream {
    void send(OfferReport report);

    CompletableFuture<OfferAck> complete();

    void cancel(String why);
  }

  public OfferStream offers() {
    CompletableFuture<OfferAck> ack = new CompletableFuture<>();
    StreamObserver<OfferReport> out = async(streamDeadline).reportOffers(unaryObserver(ack));
    return new OfferStream() {
      @Override
      public synchronized void send(OfferReport report) {
        out.onNext(report);
      }

      @Override
      public synchronized CompletableFuture<OfferAck> complete() {
        out.onCompleted();
        return ack;
      }

      @Override
      public synchronized void cancel(String why) {
        out.onError(io.grpc.Status.CANCELLED.withDescription(why).asRuntimeException());
      }
    };
  }

  /** A running server stream; {@link #close()} cancels it. */
  public interface Watch extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Streams capacity (the current one first, then each change) until closed; {@code onEnd} gets the
   * error.
   */
  public Watch watchCapacity(Consumer<Capacity> onCapacity, Consumer<Throwable> onEnd) {
    return stream(
        o -> async(streamDeadline).watchCapacity(CapacityRequest.getDefaultInstance(), o),
        onCapacity,
        onEnd);
  }

  /** Streams reclaim events (the retained ones first, newest first, then live) until closed. */
  public Watch watchReclaims(
      ReclaimFilter filter, Consumer<ReclaimEvent> onEvent, Consumer<Throwable> onEnd) {
    return stream(o -> async(streamDeadline).watchReclaims(filter, o), onEvent, onEnd);
  }

  private static <T> Watch stream(
      Consumer<StreamObserver<T>> start, Consumer<T> onNext, Consumer<Throwable> onEnd) {
    CompletableFuture<ClientCallStreamObserver<?>> call = new CompletableFuture<>();
    start.accept(
        new ClientResponseObserver<Object, T>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<Object> requestStream) {
            call.complete(requestStream);
          }

          @Override
          public void onNext(T value) {
            onNext.accept(value);
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

  private static <T> StreamObserver<T> unaryObserver(CompletableFuture<T> f) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        f.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        f.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        if (!f.isDone()) {
          f.completeExceptionally(new IllegalStateException("broker answered nothing"));
        }
      }
    };
  }

  @Override
  public void close() {
    if (ownsChannel) {
      channel.shutdown();
      try {
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        channel.shutdownNow();
      }
    }
  }
}
