package io.gleaner.broker.grpc;

import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.CapacityRequest;
import io.gleaner.api.v1.ConfirmRequest;
import io.gleaner.api.v1.ConfirmResponse;
import io.gleaner.api.v1.EstimateRequest;
import io.gleaner.api.v1.EstimateResponse;
import io.gleaner.api.v1.ListPlacementsRequest;
import io.gleaner.api.v1.ListPlacementsResponse;
import io.gleaner.api.v1.MemberHealth;
import io.gleaner.api.v1.OfferAck;
import io.gleaner.api.v1.OfferReport;
import io.gleaner.api.v1.OfferWithdrawal;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.PlaceResponse;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimFilter;
import io.gleaner.api.v1.ReleaseRequest;
import io.gleaner.api.v1.ReleaseResponse;
import io.gleaner.api.v1.WithdrawRequest;
import io.gleaner.api.v1.WithdrawResponse;
import io.gleaner.broker.ledger.Ledger;
import io.gleaner.broker.model.BrokerException;
import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.PlaceOutcome;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.ProtoCodec;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Timer;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Service {@code gleaner.v1.Broker} on the {@link Ledger}. Bad input answers INVALID_ARGUMENT
 * naming the field, an unknown pod NOT_FOUND, lost races ABORTED; "no room" is not an error but a
 * {@code NoFit}.
 */
public final class BrokerGrpcService extends BrokerGrpc.BrokerImplBase {
  private volatile java.util.function.Supplier<java.util.List<io.gleaner.api.v1.TeamShare>> teams =
      java.util.List::of;

  /** Where GetCapacity takes each team's share of the pool from. */
  public void teams(
      java.util.function.Supplier<java.util.List<io.gleaner.api.v1.TeamShare>> source) {
    this.teams = java.util.Objects.requireNonNull(source, "source");
  }

  private volatile java.util.function.Supplier<java.util.List<io.gleaner.meta.resources.Resources>>
      nearLineWaiting = java.util.List::of;

  /** Where GetCapacity takes the requests of the near-line pods waiting for room from. */
  public void nearLineWaiting(
      java.util.function.Supplier<java.util.List<io.gleaner.meta.resources.Resources>> source) {
    this.nearLineWaiting = java.util.Objects.requireNonNull(source, "source");
  }

  private static final Logger log = LoggerFactory.getLogger(BrokerGrpcService.class);

  /**
   * Reclaim events a subscriber that stopped reading may have waiting; older ones are dropped (it
   * can read them again from the retained log when it resubscribes).
   */
  static final int WATCH_BUFFER = 1_000;

  /** Open WatchCapacity plus WatchReclaims streams one caller identity may hold. */
  static final int MAX_WATCHES_PER_IDENTITY = 16;

  private final io.gleaner.api.auth.WatchLimit watches =
      new io.gleaner.api.auth.WatchLimit(
          "Broker watch streams (WatchCapacity and WatchReclaims)",
          "a fixed limit of the broker",
          MAX_WATCHES_PER_IDENTITY);

  private final Ledger ledger;
  private final CapacityPublisher capacity;
  private final ReclaimLog reclaims;
  private final BrokerMetrics metrics;

  public BrokerGrpcService(
      Ledger ledger, CapacityPublisher capacity, ReclaimLog reclaims, BrokerMetrics metrics) {
    this.ledger = ledger;
    this.capacity = capacity;
    this.reclaims = reclaims;
    this.metrics = metrics;
  }

  @Override
  public StreamObserver<OfferReport> reportOffers(StreamObserver<OfferAck> response) {
    return new StreamObserver<>() {
      private long accepted;
      private final Rejections rejected = new Rejections();

      @Override
      public void onNext(OfferReport report) {
        try {
          apply(report);
        } catch (RuntimeException e) {
          log.warn("offer report from source {} failed: {}", report.getSourceId(), e.toString());
          rejected.add(e.getMessage());
        }
      }

      private void apply(OfferReport report) {
        String source = report.getSourceId();
        for (MemberHealth h : report.getMembersList()) {
          if (!h.getCluster().isEmpty()) {
            ledger.memberHealth(h.getCluster(), h.getReachable());
          }
        }
        Set<NodeKey> offered = new HashSet<>();
        for (io.gleaner.api.v1.NodeOffer o : report.getOffersList()) {
          String rejection;
          try {
            NodeOffer offer = ProtoCodec.offer(o);
            offered.add(offer.key());
            Ledger.OfferResult r = ledger.offer(offer, source);
            if (r instanceof Ledger.OfferResult.Ignored i) {
              rejection = i.reason();
            } else if (r instanceof Ledger.OfferResult.Rejected j) {
              rejection = j.message();
            } else {
              rejection = null;
            }
            metrics.offer(r.getClass().getSimpleName().toLowerCase());
          } catch (BrokerException e) {
            rejection = e.getMessage();
            metrics.offer("rejected");
          }
          if (rejection == null) {
            accepted++;
          } else {
            rejected.add(rejection);
          }
        }
        for (OfferWithdrawal w : report.getWithdrawalsList()) {
          if (w.getCluster().isEmpty() || w.getNode().isEmpty()) {
            rejected.add(
                "withdrawal needs cluster and node, got \""
                    + w.getCluster()
                    + "/"
                    + w.getNode()
                    + "\"");
            continue;
          }
          ledger.withdraw(new NodeKey(w.getCluster(), w.getNode()), w.getReason(), 0);
        }
        if (report.getFullResync()) {
          ledger.resync(source, offered);
        }
      }

      @Override
      public void onError(Throwable t) {
        log.debug("offer stream ended by the client: {}", t.toString());
      }

      @Override
      public void onCompleted() {
        response.onNext(
            OfferAck.newBuilder()
                .setAccepted(accepted)
                .addAllRejected(rejected.listed())
                .setRejectedTotal(rejected.total())
                .build());
        response.onCompleted();
      }
    };
  }

  @Override
  public void withdraw(WithdrawRequest req, StreamObserver<WithdrawResponse> response) {
    unary(
        response,
        () -> {
          NodeKey key = ProtoCodec.nodeKey(req.getNode(), "node");
          boolean withdrawn =
              ledger.withdraw(
                  key,
                  req.getReason().isEmpty() ? "withdrawn" : req.getReason(),
                  req.getCooldownUntilMs());
          metrics.withdrawal(withdrawn ? "withdrawn" : "noop");
          if (req.hasEvent()) {
            reclaims.publish(req.getEvent());
          }
          return WithdrawResponse.newBuilder().setWithdrawn(withdrawn).build();
        });
  }

  @Override
  public void place(PlaceRequest req, StreamObserver<PlaceResponse> response) {
    unary(
        response,
        () -> {
          PodRequest pod = ProtoCodec.podRequest(req);
          MDC.put("pod", pod.namespace() + "/" + pod.name());
          try {
            Timer.Sample sample = Timer.start();
            PlaceOutcome outcome;
            try {
              outcome = ledger.place(pod);
            } catch (RuntimeException e) {
              metrics.placement("error", pod.workloadClass().label(), "none");
              throw e;
            } finally {
              sample.stop(metrics.decision());
            }
            if (outcome instanceof PlaceOutcome.Placed p) {
              metrics.placement(
                  p.existing() ? "existing" : "placed",
                  pod.workloadClass().label(),
                  p.placement().source().name().toLowerCase());
              return PlaceResponse.newBuilder()
                  .setPlacement(ProtoCodec.placement(p.placement()))
                  .build();
            }
            PlaceOutcome.Unplaceable u = (PlaceOutcome.Unplaceable) outcome;
            metrics.placement("no_fit", pod.workloadClass().label(), "none");
            return PlaceResponse.newBuilder().setNoFit(ProtoCodec.noFit(u.noFit())).build();
          } finally {
            MDC.remove("pod");
          }
        });
  }

  private volatile java.time.Duration gangTtl =
      io.gleaner.meta.config.BrokerConfig.DEFAULT_GANG_TTL;

  /**
   * How long a gang's reservations wait for confirmation when the request names no TTL ({@code
   * broker.gangTtl}).
   */
  public void gangTtl(java.time.Duration ttl) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("gangTtl must be positive, got " + ttl);
    }
    this.gangTtl = ttl;
  }

  @Override
  public void placeGang(
      io.gleaner.api.v1.PlaceGangRequest req,
      StreamObserver<io.gleaner.api.v1.PlaceGangResponse> response) {
    unary(
        response,
        () -> {
          if (req.getTtlMs() < 0) {
            throw io.gleaner.broker.model.BrokerException.invalid(
                "ttl_ms must not be negative, got " + req.getTtlMs());
          }
          java.util.List<PodRequest> pods = new java.util.ArrayList<>();
          for (PlaceRequest p : req.getPodsList()) {
            pods.add(ProtoCodec.podRequest(p));
          }
          java.time.Duration ttl =
              req.getTtlMs() == 0 ? gangTtl : java.time.Duration.ofMillis(req.getTtlMs());
          MDC.put("pod", req.getGangId());
          try {
            Timer.Sample sample = Timer.start();
            io.gleaner.broker.model.GangOutcome outcome;
            try {
              outcome = ledger.placeGang(req.getGangId(), pods, ttl);
            } finally {
              sample.stop(metrics.decision());
            }
            io.gleaner.api.v1.PlaceGangResponse.Builder b =
                io.gleaner.api.v1.PlaceGangResponse.newBuilder();
            if (outcome instanceof io.gleaner.broker.model.GangOutcome.Placed p) {
              for (io.gleaner.broker.model.Placement pl : p.placements()) {
                metrics.placement(
                    p.existing() ? "existing" : "placed",
                    pl.workloadClass().label(),
                    pl.source().name().toLowerCase());
                b.addPlacements(ProtoCodec.placement(pl));
              }
              return b.build();
            }
            io.gleaner.broker.model.GangOutcome.Unplaceable u =
                (io.gleaner.broker.model.GangOutcome.Unplaceable) outcome;
            metrics.placement("no_fit", pods.get(0).workloadClass().label(), "none");
            return b.setNoFit(ProtoCodec.noFit(u.noFit())).build();
          } finally {
            MDC.remove("pod");
          }
        });
  }

  @Override
  public void confirm(ConfirmRequest req, StreamObserver<ConfirmResponse> response) {
    unary(
        response,
        () ->
            ConfirmResponse.newBuilder()
                .setPlacement(ProtoCodec.placement(ledger.confirm(req.getPodUid())))
                .build());
  }

  @Override
  public void release(ReleaseRequest req, StreamObserver<ReleaseResponse> response) {
    unary(
        response,
        () ->
            ReleaseResponse.newBuilder()
                .setReleased(ProtoCodec.placement(ledger.release(req.getPodUid())))
                .build());
  }

  @Override
  public void listPlacements(
      ListPlacementsRequest req, StreamObserver<ListPlacementsResponse> response) {
    unary(
        response,
        () -> {
          ListPlacementsResponse.Builder b = ListPlacementsResponse.newBuilder();
          ledger
              .placements(req.getCluster())
              .forEach(p -> b.addPlacements(ProtoCodec.placement(p)));
          return b.build();
        });
  }

  @Override
  public void getCapacity(CapacityRequest req, StreamObserver<Capacity> response) {
    unary(
        response,
        () ->
            CapacityProtos.capacity(ledger.capacity()).toBuilder()
                .addAllTeams(teams.get())
                .addAllNearLineWaiting(
                    nearLineWaiting.get().stream()
                        .map(
                            r ->
                                io.gleaner.api.v1.PodShape.newBuilder()
                                    .putAllRequests(r.toStrings())
                                    .build())
                        .toList())
                .build());
  }

  @Override
  public void watchCapacity(CapacityRequest req, StreamObserver<Capacity> response) {
    ServerCallStreamObserver<Capacity> call = (ServerCallStreamObserver<Capacity>) response;
    String identity = io.gleaner.api.auth.WatchLimit.caller();
    if (!watches.tryOpen(identity)) {
      call.onError(watches.refusal(identity));
      return;
    }
    // each snapshot is whole: a subscriber that does not read needs only the latest
    StreamOutbox<Capacity> outbox = new StreamOutbox<>(call, 1);
    Consumer<Capacity> watcher =
        c -> {
          if (!outbox.send(c)) {
            throw new IllegalStateException("watch cancelled");
          }
        };
    call.setOnCancelHandler(
        () -> {
          capacity.unwatch(watcher);
          watches.close(identity);
        });
    capacity.watch(watcher);
  }

  @Override
  public void estimate(EstimateRequest req, StreamObserver<EstimateResponse> response) {
    unary(
        response,
        () -> {
          PodRequest shape =
              ProtoCodec.shape(req.getShape(), req.getWorkloadClass(), req.getNamespace());
          Map<String, Long> byCluster = ledger.estimate(shape);
          return EstimateResponse.newBuilder()
              .setCount(byCluster.values().stream().mapToLong(Long::longValue).sum())
              .putAllCountByCluster(byCluster)
              .putAllLargestShape(ledger.largestShape(shape.workloadClass()).toStrings())
              .build();
        });
  }

  @Override
  public void watchReclaims(ReclaimFilter filter, StreamObserver<ReclaimEvent> response) {
    ServerCallStreamObserver<ReclaimEvent> call = (ServerCallStreamObserver<ReclaimEvent>) response;
    String identity = io.gleaner.api.auth.WatchLimit.caller();
    if (!watches.tryOpen(identity)) {
      call.onError(watches.refusal(identity));
      return;
    }
    StreamOutbox<ReclaimEvent> outbox = new StreamOutbox<>(call, WATCH_BUFFER);
    Consumer<ReclaimEvent> listener =
        e -> {
          if (ReclaimLog.matches(filter, e)) {
            outbox.send(e);
          }
        };
    call.setOnCancelHandler(
        () -> {
          reclaims.removeListener(listener);
          watches.close(identity);
        });
    synchronized (outbox) {
      reclaims.recent(filter).forEach(outbox::send);
      reclaims.addListener(listener);
    }
  }

  private static <T> void unary(StreamObserver<T> response, Supplier<T> call) {
    T result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }

  /** Maps a failure to a gRPC status with a human message. */
  static StatusRuntimeException toStatus(Throwable e) {
    if (e instanceof BrokerException b) {
      Status s =
          switch (b.code()) {
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.NOT_FOUND;
            case ABORTED -> Status.ABORTED;
            case UNAVAILABLE -> Status.UNAVAILABLE;
          };
      return s.withDescription(b.getMessage()).asRuntimeException();
    }
    if (e instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    log.error("broker call failed", e);
    return Status.INTERNAL.withDescription("broker error: " + e).withCause(e).asRuntimeException();
  }
}
