package io.gleaner.vk.pod;

import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.ConfirmRequest;
import io.gleaner.api.v1.ListPlacementsRequest;
import io.gleaner.api.v1.NoFit;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.PlaceResponse;
import io.gleaner.api.v1.Placement;
import io.gleaner.api.v1.ReleaseRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** The broker calls the pod controller makes, each with a deadline, answered as typed outcomes. */
public final class BrokerClient {
  /** The answer to {@link #place}. */
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

  private final BrokerGrpc.BrokerBlockingStub stub;
  private final Duration deadline;

  public BrokerClient(Channel channel, Duration deadline) {
    this.stub = BrokerGrpc.newBlockingStub(channel);
    this.deadline = deadline;
  }

  public PlaceOutcome place(PlaceRequest request) {
    try {
      PlaceResponse r =
          stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).place(request);
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

  public CallOutcome confirm(String podUid) {
    return call(
        () ->
            stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .confirm(ConfirmRequest.newBuilder().setPodUid(podUid).build()));
  }

  /**
   * The broker's placements in one member cluster, by pod UID; empty when the broker cannot answer
   * (the caller then confirms pod by pod).
   */
  public Optional<Map<String, Placement>> placements(String cluster) {
    try {
      Map<String, Placement> out = new HashMap<>();
      stub.withDeadlineAfter(deadline.toMillis() * 4, TimeUnit.MILLISECONDS)
          .withMaxInboundMessageSize(256 << 20)
          .listPlacements(ListPlacementsRequest.newBuilder().setCluster(cluster).build())
          .getPlacementsList()
          .forEach(p -> out.put(p.getPodUid(), p));
      return Optional.of(out);
    } catch (StatusRuntimeException e) {
      return Optional.empty();
    }
  }

  public CallOutcome release(String podUid, String reason) {
    return call(
        () ->
            stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .release(ReleaseRequest.newBuilder().setPodUid(podUid).setReason(reason).build()));
  }

  private static CallOutcome call(Runnable r) {
    try {
      r.run();
      return CallOutcome.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() == Status.Code.NOT_FOUND
          ? CallOutcome.NOT_FOUND
          : CallOutcome.UNAVAILABLE;
    }
  }

  static String describe(Status s) {
    return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
  }
}
