package io.gleaner.api.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The broker calls of a leader-elected service pass one check: the {@code Broker} methods that
 * change the ledger or the offers ({@code Place}, {@code PlaceGang}, {@code Confirm}, {@code
 * Release}, {@code Withdraw}, and each message of {@code ReportOffers}) fail with {@code
 * UNAVAILABLE} and are not sent unless the replica may act now (its leader election says it leads
 * and its lease has not run out). Reads ({@code GetCapacity}, {@code WatchCapacity}, {@code
 * ListPlacements}, {@code Estimate}) pass, so a standby keeps its view.
 *
 * <p>Refusals count in {@code gleaner.leader.fenced.calls{method}}.
 */
public final class LeaderFencedCalls implements ClientInterceptor {
  /** Counter: broker calls refused because this replica might not act, by method. */
  public static final String REFUSED_METER = "gleaner.leader.fenced.calls";

  private static final String SERVICE = "gleaner.v1.Broker";
  private static final Set<String> WRITES =
      Set.of("Place", "PlaceGang", "Confirm", "Release", "Withdraw", "ReportOffers");

  private final BooleanSupplier mayAct;
  private final MeterRegistry meters;

  private LeaderFencedCalls(BooleanSupplier mayAct, MeterRegistry meters) {
    this.mayAct = Objects.requireNonNull(mayAct, "mayAct");
    this.meters = Objects.requireNonNull(meters, "meters");
  }

  /**
   * {@code channel} with the broker's writes fenced.
   *
   * @param mayAct whether this replica may act now; called on every write, so it must be cheap
   *     ({@code election::isLeader})
   */
  public static Channel fence(Channel channel, BooleanSupplier mayAct, MeterRegistry meters) {
    return ClientInterceptors.intercept(channel, new LeaderFencedCalls(mayAct, meters));
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    if (!SERVICE.equals(method.getServiceName()) || !WRITES.contains(method.getBareMethodName())) {
      return next.newCall(method, options);
    }
    if (!mayAct.getAsBoolean()) {
      return refused(method);
    }
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void sendMessage(Q message) {
        if (!mayAct.getAsBoolean()) {
          count(method);
          cancel(
              "not the leader (lease run out): " + method.getBareMethodName() + " refused", null);
          return;
        }
        super.sendMessage(message);
      }
    };
  }

  private <Q, R> ClientCall<Q, R> refused(MethodDescriptor<Q, R> method) {
    count(method);
    return new ClientCall<>() {
      @Override
      public void start(Listener<R> responseListener, Metadata headers) {
        responseListener.onClose(
            Status.UNAVAILABLE.withDescription(
                method.getBareMethodName()
                    + " refused: this replica does not lead or its lease has run out"),
            new Metadata());
      }

      @Override
      public void request(int numMessages) {}

      @Override
      public void cancel(String message, Throwable cause) {}

      @Override
      public void halfClose() {}

      @Override
      public void sendMessage(Q message) {}
    };
  }

  private void count(MethodDescriptor<?, ?> method) {
    Counter.builder(REFUSED_METER)
        .tag("method", method.getBareMethodName())
        .register(meters)
        .increment();
  }
}
