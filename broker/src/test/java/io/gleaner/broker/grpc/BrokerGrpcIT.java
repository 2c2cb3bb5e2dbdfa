package io.gleaner.broker.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.EstimateRequest;
import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.NodeRef;
import io.gleaner.api.v1.OfferAck;
import io.gleaner.api.v1.OfferReport;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.PlaceResponse;
import io.gleaner.api.v1.PodShape;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.api.v1.ReclaimFilter;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.api.v1.WithdrawRequest;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.broker.BrokerService;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.config.BrokerConfig;
import io.gleaner.meta.time.FakeClock;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

class BrokerGrpcIT {
  private static NodeOffer offer(String cluster, String node, String cpu) {
    return NodeOffer.newBuilder()
        .setCluster(cluster)
        .setNode(node)
        .setSource(SourceKind.IDLE)
        .putAllUsable(Map.of("cpu", cpu, "memory", "32Gi", "pods", "110"))
        .build();
  }

  private static PlaceRequest place(String uid, String cpu) {
    return PlaceRequest.newBuilder()
        .setPodUid(uid)
        .setNamespace("team")
        .setName(uid)
        .setWorkloadClass(WorkloadClass.OFFLINE)
        .setShape(PodShape.newBuilder().putRequests("cpu", cpu).putRequests("memory", "1Gi"))
        .build();
  }

  @Test
  void offerStreamCapacityWatchPlaceConfirmReleaseOverRealGrpc() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    BrokerConfig config =
        new BrokerConfig(
            new BrokerConfig.Grpc("127.0.0.1", 0, io.gleaner.meta.config.ServerTls.NONE),
            Duration.ofMinutes(1),
            new BrokerConfig.Dashboard(false));
    try (TestingServer zk = new TestingServer(true);
        CuratorFramework curator =
            CuratorFrameworkFactory.newClient(
                zk.getConnectString(), new ExponentialBackoffRetry(100, 3))) {
      curator.start();
      BrokerService broker =
          new BrokerService(
              config,
              PlacementPolicy.defaults(),
              new FakeClock(),
              registry,
              curator,
              () -> Set.of("a", "b"));
      broker.start();
      try (BrokerApiClient client =
          BrokerApiClient.open(
              ChannelSettings.plaintext(broker.target(), "test"), new SimpleMeterRegistry())) {
        assertThat(broker.readiness().check().isUp()).isTrue();
        List<Capacity> seen = new CopyOnWriteArrayList<>();
        BrokerApiClient.Watch watch = client.watchCapacity(seen::add, t -> {});
        List<ReclaimEvent> reclaims = new CopyOnWriteArrayList<>();
        BrokerApiClient.Watch reclaimWatch =
            client.watchReclaims(ReclaimFilter.getDefaultInstance(), reclaims::add, t -> {});

        BrokerApiClient.OfferStream offers = client.offers();
        offers.send(
            OfferReport.newBuilder()
                .setSourceId("idle-1")
                .addOffers(offer("a", "n1", "10"))
                .addOffers(offer("b", "n2", "4"))
                .addOffers(offer("z", "n3", "64"))
                .addOffers(offer("a", "bad", "lots"))
                .build());
        OfferAck ack = offers.complete().get(10, TimeUnit.SECONDS);
        assertThat(ack.getAccepted()).isEqualTo(2);
        assertThat(ack.getRejectedList())
            .containsExactly(
                "offer for node z/n3: cluster \"z\" is not a known member cluster (known: a, b)",
                "offer a/bad: usable: invalid quantity for cpu: \"lots\" is not a valid Kubernetes quantity"
                    + " (expected e.g. 500m, 2, 1.5Gi, 4k, 1e3)");

        // idle margin 10%: 9 + 3.6 CPU advertised to near-line; offline keeps the 20% near-line
        // reserve free
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    !seen.isEmpty()
                        && "12600m"
                            .equals(
                                seen.get(seen.size() - 1).getAdvertisedNearLineMap().get("cpu")));
        assertThat(seen.get(seen.size() - 1).getAdvertisedOfflineMap())
            .containsEntry("cpu", "10080m");

        PlaceResponse p = client.place(place("u1", "8"));
        assertThat(p.hasPlacement()).isTrue();
        assertThat(p.getPlacement().getNode())
            .isEqualTo(NodeRef.newBuilder().setCluster("a").setNode("n1").build());
        assertThat(client.place(place("u1", "8")).getPlacement()).isEqualTo(p.getPlacement());
        PlaceResponse noFit = client.place(place("u2", "16"));
        assertThat(noFit.getNoFit().getMessage())
            .isEqualTo("largest free node offers 3600m CPU, pod requests 16 CPU");
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> "8".equals(seen.get(seen.size() - 1).getReservedMap().get("cpu")));

        assertThat(client.confirm("u1").getPlacement().getConfirmed()).isTrue();
        assertThat(client.capacity().getPlacedMap()).containsEntry("cpu", "8");
        assertThat(client.placements("a")).hasSize(1);
        assertThat(
                client
                    .estimate(
                        EstimateRequest.newBuilder()
                            .setWorkloadClass(WorkloadClass.NEAR_LINE)
                            .setShape(PodShape.newBuilder().putRequests("cpu", "1"))
                            .build())
                    .getCount())
            .isEqualTo(1 + 3);

        assertThat(client.release("u1", "pod deleted").getReleased().getPodUid()).isEqualTo("u1");
        assertThatThrownBy(() -> client.release("u1", "again"))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> {
                  assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                  assertThat(e.getStatus().getDescription())
                      .isEqualTo("no placement for pod u1: it was never placed or is released");
                });
        assertThatThrownBy(() -> client.place(place("u3", "-1")))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> {
                  assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                  assertThat(e.getStatus().getDescription())
                      .startsWith("shape.requests: invalid quantity for cpu");
                });
        assertThat(client.placements("")).isEmpty();

        ReclaimEvent event =
            ReclaimEvent.newBuilder()
                .setId("r1")
                .setCluster("a")
                .setNode("n1")
                .setReason("Unschedulable")
                .build();
        assertThat(
                client
                    .withdraw(
                        WithdrawRequest.newBuilder()
                            .setNode(NodeRef.newBuilder().setCluster("a").setNode("n1"))
                            .setReason("reclaimed")
                            .setCooldownUntilMs(Long.MAX_VALUE)
                            .setEvent(event)
                            .build())
                    .getWithdrawn())
            .isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> reclaims.contains(event));
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> seen.get(seen.size() - 1).getNodes() == 1);
        assertThat(
                registry.get(BrokerMetrics.PLACEMENTS).tag("outcome", "placed").counter().count())
            .isEqualTo(1);
        assertThat(
                registry.get(BrokerMetrics.PLACEMENTS).tag("outcome", "no_fit").counter().count())
            .isEqualTo(1);
        watch.close();
        reclaimWatch.close();
      } finally {
        broker.stop();
      }
    }
  }
}
