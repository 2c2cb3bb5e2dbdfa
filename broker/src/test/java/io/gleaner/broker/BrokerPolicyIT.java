package io.gleaner.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.OfferReport;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.PodShape;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.config.BrokerConfig;
import io.gleaner.meta.crd.Conditions;
import io.gleaner.meta.crd.GleanerPolicy;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.ReserveMargins;
import io.gleaner.meta.policy.PolicyWatcher;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.SimulatedCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The broker follows the GleanerPolicy in a simulated metadata cluster: the policy present at start
 * is in force before the first offer, and a change of the margins reaches the advertised capacity
 * and placement without a restart.
 */
class BrokerPolicyIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private SimulatedCluster metaCluster;
  private KubernetesClient meta;
  private PolicyWatcher policy;
  private BrokerService broker;
  private BrokerApiClient client;

  @BeforeEach
  void setUp() {
    metaCluster = SimulatedCluster.builder("meta").gleanerCrds(true).build();
    meta = metaCluster.client();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close();
    }
    if (broker != null) {
      broker.stop();
    }
    if (policy != null) {
      policy.stop();
    }
    metaCluster.close();
  }

  private static GleanerPolicySpec margins(double idle, double nearLine) {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setReserveMargins(new ReserveMargins(idle, null, null, null));
    spec.setNearLineReserve(nearLine);
    return spec;
  }

  private String advertisedNearLineCpu() {
    return client.capacity().getAdvertisedNearLineMap().get("cpu");
  }

  private boolean fits(String uid, String cpu) {
    return client
        .place(
            PlaceRequest.newBuilder()
                .setPodUid(uid)
                .setNamespace("team")
                .setName(uid)
                .setWorkloadClass(WorkloadClass.NEAR_LINE)
                .setShape(PodShape.newBuilder().putRequests("cpu", cpu))
                .build())
        .hasPlacement();
  }

  @Test
  void thePolicyAtStartIsInForceBeforeTheFirstOfferAndChangesApplyLive() throws Exception {
    meta.resources(GleanerPolicy.class)
        .resource(GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, margins(0.3, 0.0)))
        .create();
    policy =
        new PolicyWatcher(
            meta, GleanerPolicy.DEFAULT_NAME, Clock.systemUTC(), PolicyWatcher.Role.STATUS_WRITER);
    policy.start();
    assertThat(policy.awaitFirstVerdict(WAIT)).isTrue();
    broker =
        new BrokerService(
            new BrokerConfig(
                new BrokerConfig.Grpc("127.0.0.1", 0, io.gleaner.meta.config.ServerTls.NONE),
                Duration.ofMinutes(1),
                new BrokerConfig.Dashboard(false)),
            policy,
            new FakeClock(),
            new SimpleMeterRegistry(),
            null,
            null);
    broker.start();
    client =
        BrokerApiClient.open(
            ChannelSettings.plaintext(broker.target(), "it"), new SimpleMeterRegistry());
    BrokerApiClient.OfferStream offers = client.offers();
    offers.send(
        OfferReport.newBuilder()
            .setSourceId("idle-1")
            .addOffers(
                NodeOffer.newBuilder()
                    .setCluster("a")
                    .setNode("n1")
                    .setSource(SourceKind.IDLE)
                    .putAllUsable(Map.of("cpu", "10", "memory", "32Gi", "pods", "110")))
            .build());
    assertThat(offers.complete().get(10, TimeUnit.SECONDS).getAccepted()).isEqualTo(1);

    // the first offer already met the 30 % idle margin of the policy, not the built-in 10 %
    assertThat(advertisedNearLineCpu()).isEqualTo("7");
    assertThat(fits("u1", "7")).isTrue();
    client.release("u1", "test");
    await().atMost(WAIT).until(() -> condition(Conditions.APPLIED).equals("True/InForce"));

    meta.resources(GleanerPolicy.class)
        .withName(GleanerPolicy.DEFAULT_NAME)
        .edit(
            p -> {
              p.getSpec().setReserveMargins(new ReserveMargins(0.5, null, null, null));
              return p;
            });

    await().atMost(WAIT).until(() -> "5".equals(advertisedNearLineCpu()));
    assertThat(broker.policy().margin(io.gleaner.meta.crd.CapacitySource.IDLE)).isEqualTo(50);
    assertThat(fits("u2", "7")).as("7 CPU no longer fits under a 50 % margin").isFalse();
    assertThat(fits("u3", "5")).isTrue();
    await()
        .atMost(WAIT)
        .until(
            () ->
                meta.resources(GleanerPolicy.class)
                        .withName(GleanerPolicy.DEFAULT_NAME)
                        .get()
                        .getStatus()
                        .getObservedGeneration()
                    == 2L);
  }

  private String condition(String type) {
    GleanerPolicy p =
        meta.resources(GleanerPolicy.class).withName(GleanerPolicy.DEFAULT_NAME).get();
    if (p == null || p.getStatus() == null) {
      return "";
    }
    return Conditions.find(p.getStatus().getConditions(), type)
        .map(c -> c.getStatus() + "/" + c.getReason())
        .orElse("");
  }
}
