package io.gleaner.api.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.ConfirmRequest;
import io.gleaner.api.v1.ConfirmResponse;
import io.gleaner.api.v1.NoFit;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.PlaceResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The typed client over a real loopback channel opened by {@link ApiChannels}. */
class BrokerApiClientIT {
  private final AtomicInteger confirms = new AtomicInteger();
  private final AtomicInteger places = new AtomicInteger();
  private Server server;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private BrokerApiClient client;

  @BeforeEach
  void start() throws Exception {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new BrokerGrpc.BrokerImplBase() {
                  @Override
                  public void confirm(ConfirmRequest r, StreamObserver<ConfirmResponse> o) {
                    if (confirms.incrementAndGet() == 1) {
                      o.onError(Status.UNAVAILABLE.withDescription("not the leader").asException());
                      return;
                    }
                    o.onNext(ConfirmResponse.getDefaultInstance());
                    o.onCompleted();
                  }

                  @Override
                  public void place(PlaceRequest r, StreamObserver<PlaceResponse> o) {
                    if (places.incrementAndGet() == 1) {
                      o.onError(Status.UNAVAILABLE.withDescription("not the leader").asException());
                      return;
                    }
                    o.onNext(
                        PlaceResponse.newBuilder()
                            .setNoFit(NoFit.newBuilder().setMessage("no room"))
                            .build());
                    o.onCompleted();
                  }
                })
            .build()
            .start();
    client =
        BrokerApiClient.open(
            ChannelSettings.plaintext("127.0.0.1:" + server.getPort(), "test-client"), registry);
  }

  @AfterEach
  void stop() {
    client.close();
    server.shutdownNow();
  }

  @Test
  void safeCallsAreRetriedOnUnavailable() {
    assertThat(client.confirmOutcome("uid-1")).isEqualTo(BrokerApiClient.CallOutcome.OK);
    assertThat(confirms).hasValue(2);
  }

  @Test
  void placeIsNotRetriedTheCallerSeesTheFailure() {
    assertThat(client.placeOutcome(PlaceRequest.getDefaultInstance()))
        .isInstanceOf(BrokerApiClient.PlaceOutcome.Unavailable.class);
    assertThat(places).hasValue(1);
    assertThat(client.placeOutcome(PlaceRequest.getDefaultInstance()))
        .isEqualTo(
            new BrokerApiClient.PlaceOutcome.NoRoom(
                NoFit.newBuilder().setMessage("no room").build()));
  }

  @Test
  void everyCallIsTimedWithItsClientMethodAndCode() {
    client.placeOutcome(PlaceRequest.getDefaultInstance());
    client.placeOutcome(PlaceRequest.getDefaultInstance());
    assertThat(
            registry
                .get(ClientMetrics.CALLS)
                .tags(
                    "client",
                    "test-client",
                    "method",
                    "gleaner.v1.Broker/Place",
                    "code",
                    "UNAVAILABLE")
                .timer()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get(ClientMetrics.CALLS)
                .tags("client", "test-client", "method", "gleaner.v1.Broker/Place", "code", "OK")
                .timer()
                .count())
        .isEqualTo(1);
  }
}
