package io.gleaner.api.client;

import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.CapacityRequest;
import io.gleaner.api.v1.ConfirmRequest;
import io.gleaner.api.v1.ConfirmResponse;
import io.gleaner.api.v1.EstimateRequest;
import io.gleaner.api.v1.EstimateResponse;
import io.gleaner.api.v1.ListPlacementsRequest;
import io.gleaner.api.v1.NoFit;
import io.gleaner.api.v1.OfferAck;
import io.gleaner.api.v1.OfferReport;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.PlaceResponse;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimFilter;
import io.gleaner.api.v1.ReleaseRequest;
import io.gleaner.api.v1.ReleaseResponse;
import io.gleaner.api.v1.WithdrawRequest;
import io.gleaner.api.v1.WithdrawResponse;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The typed client of service {@code gleaner.v1.Broker}, the one every service uses: blocking and
 * asynchronous calls, each with the deadline of its {@link ChannelSettings} (unary calls) or the
 * stream deadline (streams). Channel, TLS, retries and call metrics come from {@link ApiChannels}.
 * Failures of the raw calls surface as {@link io.grpc.StatusRuntimeException} whose description is
 * the broker's human message; {@link #placeOutcome}, {@link #confirmOutcome} and {@link
 * #releaseOutcome} answer as typed outcomes instead.
 */
public final class BrokerApiClient implements AutoCloseable {
  private final Channel channel;
  private final ManagedChannel owned;
  private final Duration deadline;
  private final Duration streamDeadline;

  private BrokerApiClient(
      Channel channel, ManagedChannel owned, Duration deadline, Duration streamDeadline) {
    this.channel = channel;
    this.owned = owned;
    this.deadline = deadline;
    this.streamDeadline = streamDeadline;
  }

  /** A client on its own channel (see {@link ApiChannels}), closed with this client. */
  public static BrokerApiClient open(ChannelSettings settings, MeterRegistry registry) {
    ManagedChannel ch = ApiChannels.open(settings, registry);
    return new BrokerApiClient(ch, ch, settings.callDeadline(), settings.streamDeadline());
  }

  /** A client on a channel the caller owns and closes (in-process tests, a shared channel). */
  public static BrokerApiClient on(Channel channel, Duration deadline, Duration streamDeadline) {
    return new BrokerApiClient(channel, null, deadline, streamDeadline);
  }

  /** {@link #on(Channel, Duration, Duration)} with the default stream deadline. */
  public static BrokerApiClient on(Channel channel, Duration deadline) {
    return on(channel, deadline, ChannelSettings.DEFAULT_STREAM_DEADLINE);
  }

  /** {@link #on(Channel, Duration, Duration)} with the default deadlines. */
  public static BrokerApiClient on(Channel channel) {
    return on(
        channel, ChannelSettings.DEFAULT_CALL_DEADLINE, ChannelSettings.DEFAULT_STREAM_DEADLINE);
  }

  /** The answer to {@link #placeOutcome}. */
  public sealed interface PlaceOutcome {
    record Placed(Placement placement) implements PlaceOutcome {}

    /** No member node has room: the broker's message says why. */
    record NoRoom(NoFit noFit) implements PlaceOutcome {}

    /**
     * The broker refused the request itself (INVALID_ARGUMENT and the like): a bad pod, not a
     * transient error.
     */
    record Rejected(String message) implements PlaceOutcome {}

    /** Transient: broker down, not leader, deadline exceeded. Retry. */
    record Unavailable(String message) implements PlaceOutcome {}
  }

  /** Outcome of Confirm / Release. */
  public enum CallOutcome {
    OK,
    NOT_FOUND,
    UNAVAILABLE
  }

  /** {@link #place}, answered as a typed outcome. */
  public PlaceOutcome placeOutcome(PlaceRequest request) {
    try {
      PlaceResponse r = place(request);
      return switch (r.getOutcomeCase()) {
        case PLACEMENT -> new PlaceOutcome.Placed(r.getPlacement());
        case NO_FIT -> new PlaceOutcome.NoRoom(r.getNoFit());
        default -> new PlaceOutcome.Rejected("broker answered Place without placement or no_fit");
      };
    } catch (StatusRuntimeException e) {
      return switch (e.getStatus().getCode()) {
        case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE ->
            new PlaceOutcome.Rejected(describe(e.getStatus()));
        default -> new PlaceOutcome.Unavailable(describe(e.getStatus()));
      };
    }
  }

  /** The answer to {@link #placeGangOutcome}. */
  public sealed interface GangOutcome {
    /** Every pod reserved, all in one member, in the order of the request. */
    record Placed(java.util.List<Placement> placements) implements GangOutcome {}

    /** No member holds the whole gang; nothing is reserved. */
    record NoRoom(NoFit noFit) implements GangOutcome {}

    /** The broker refused the request itself (INVALID_ARGUMENT and the like). */
    record Rejected(String message) implements GangOutcome {}

    /** Transient: broker down, not leader, deadline exceeded. Retry. */
    record Unavailable(String message) implements GangOutcome {}
  }

  /** PlaceGang: every pod in one member, or none. */
  public io.gleaner.api.v1.PlaceGangResponse placeGang(io.gleaner.api.v1.PlaceGangRequest req) {
    return blocking().placeGang(req);
  }

  /** {@link #placeGang}, answered as a typed outcome. */
  public GangOutcome placeGangOutcome(io.gleaner.api.v1.PlaceGangRequest request) {
    try {
      io.gleaner.api.v1.PlaceGangResponse r = placeGang(request);
      if (r.hasNoFit()) {
        return new GangOutcome.NoRoom(r.getNoFit());
      }
      if (r.getPlacementsCount() != request.getPodsCount()) {
        return new GangOutcome.Rejected(
            "broker answered PlaceGang with "
                + r.getPlacementsCount()
                + " placements for "
                + request.getPodsCount()
                + " pods");
      }
      return new GangOutcome.Placed(r.getPlacementsList());
    } catch (StatusRuntimeException e) {
      return switch (e.getStatus().getCode()) {
        case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE ->
            new GangOutcome.Rejected(describe(e.getStatus()));
        default -> new GangOutcome.Unavailable(describe(e.getStatus()));
      };
    }
  }

  /** {@link #confirm}, answered as a typed outcome. */
  public CallOutcome confirmOutcome(String podUid) {
    return outcome(() -> confirm(podUid));
  }

  /** {@link #release}, answered as a typed outcome. */
  public CallOutcome releaseOutcome(String podUid, String reason) {
    return outcome(() -> release(podUid, reason));
  }

  /**
   * The broker's placements in one member cluster (all when {@code cluster} is empty), by pod UID;
   * empty when the broker cannot answer. Large: the deadline is four unary deadlines.
   */
  public Optional<Map<String, Placement>> placementsByUid(String cluster) {
    try {
      Map<String, Placement> out = new HashMap<>();
      BrokerGrpc.newBlockingStub(channel)
          .withDeadlineAfter(deadline.toMillis() * 4, TimeUnit.MILLISECONDS)
          .withMaxInboundMessageSize(256 << 20)
          .listPlacements(ListPlacementsRequest.newBuilder().setCluster(cluster).build())
          .getPlacementsList()
          .forEach(p -> out.put(p.getPodUid(), p));
      return Optional.of(out);
    } catch (StatusRuntimeException e) {
      return Optional.empty();
    }
  }

  private static CallOutcome outcome(Runnable r) {
    try {
      r.run();
      return CallOutcome.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() == Status.Code.NOT_FOUND
          ? CallOutcome.NOT_FOUND
          : CallOutcome.UNAVAILABLE;
    }
  }

  /** A status as one line: code and the server's description. */
  public static String describe(Status s) {
    return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
  }

  /**
   * Opens the raw offer stream with the stream deadline; the caller drives it (resync, flow,
   * reconnect).
   */
  public StreamObserver<OfferReport> reportOffers(StreamObserver<OfferAck> answers) {
    return async(streamDeadline).reportOffers(answers);
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
    if (owned != null) {
      owned.shutdown();
      try {
        if (!owned.awaitTermination(5, TimeUnit.SECONDS)) {
          owned.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        owned.shutdownNow();
      }
    }
  }
}
