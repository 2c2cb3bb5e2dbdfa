package io.gleaner.descheduler.execute;

import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.NodeRef;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.WithdrawRequest;
import io.gleaner.api.v1.WithdrawResponse;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link BrokerNotifier} over the broker's gRPC {@code Withdraw}, each call with a deadline. */
public final class GrpcBrokerNotifier implements BrokerNotifier {
  private static final Logger log = LoggerFactory.getLogger(GrpcBrokerNotifier.class);

  private final BrokerApiClient broker;

  public GrpcBrokerNotifier(Channel channel, Duration deadline) {
    this.broker =
        BrokerApiClient.on(
            Objects.requireNonNull(channel, "channel"),
            Objects.requireNonNull(deadline, "deadline"),
            deadline);
  }

  @Override
  public WithdrawOutcome withdraw(
      String cluster, String node, String reason, Instant cooldownUntil, ReclaimEvent event) {
    WithdrawRequest.Builder req =
        WithdrawRequest.newBuilder()
            .setNode(NodeRef.newBuilder().setCluster(cluster).setNode(node))
            .setReason(reason)
            .setCooldownUntilMs(cooldownUntil.toEpochMilli());
    if (event != null) {
      req.setEvent(event);
    }
    try {
      WithdrawResponse r = broker.withdraw(req.build());
      return r.getWithdrawn() ? WithdrawOutcome.WITHDRAWN : WithdrawOutcome.NOT_OFFERED;
    } catch (StatusRuntimeException e) {
      log.warn("broker Withdraw of {}/{} failed: {}", cluster, node, e.getStatus());
      return WithdrawOutcome.FAILED;
    }
  }
}
