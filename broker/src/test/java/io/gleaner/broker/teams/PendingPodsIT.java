package io.gleaner.broker.teams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.client.ChannelSettings;
import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.OfferReport;
import io.gleaner.api.v1.PlaceRequest;
import io.gleaner.api.v1.PodShape;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.api.v1.TeamShare;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.broker.BrokerService;
import io.gleaner.broker.dashboard.DashboardModel;
import io.gleaner.meta.config.BrokerConfig;
import io.gleaner.meta.crd.GleanerPolicy;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.TeamSpec;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.policy.PolicyWatcher;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.SimulatedCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-team pending pods figure, from the metadata cluster to the broker's metrics, GetCapacity
 * and dashboard: {@link PendingPods} watches the pods bound to the virtual node, the broker leaves
 * out those its ledger holds, and each team counts its own. The same informer counts the virtual
 * node's pods by class and phase for the dashboard.
 */
class PendingPodsIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private SimulatedCluster metaCluster;
  private KubernetesClient meta;
  private PolicyWatcher policy;
  private BrokerService broker;
  private BrokerApiClient client;
  private PendingPods pending;
  private SimpleMeterRegistry metrics;
  private int seq;

  @BeforeEach
  void setUp() {
    metaCluster = SimulatedCluster.builder("meta").gleanerCrds(true).build();
    meta = metaCluster.client();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (pending != null) {
      pending.close();
    }
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

  private Pod pod(String namespace, String node, String cls, String phase) {
    return pod(namespace, node, cls, phase, false);
  }

  private Pod pod(String namespace, String node, String cls, String phase, boolean gated) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(namespace + "-" + (++seq))
            .withNamespace(namespace)
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .addNewContainer()
            .withName("main")
            .withImage("busybox")
            .withNewResources()
            .addToRequests("cpu", new Quantity("1"))
            .endResources()
            .endContainer()
            .endSpec();
    if (cls != null) {
      b.editMetadata().addToLabels(GleanerKeys.CLASS, cls).endMetadata();
    }
    if (gated) {
      b.editSpec().addNewSchedulingGate(GleanerKeys.FAIR_SHARE_GATE).endSpec();
    }
    Pod created = meta.pods().inNamespace(namespace).resource(b.build()).create();
    if (phase != null) {
      created.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
      created.getStatus().setPhase(phase);
      created = meta.pods().inNamespace(namespace).resource(created).updateStatus();
    }
    return created;
  }

  @Test
  void eachTeamsPendingPodsReachTheMetricsGetCapacityAndTheDashboard() throws Exception {
    for (String ns : List.of("ml", "ads", "misc")) {
      meta.namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .create();
    }
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setTeams(
        List.of(
            new TeamSpec("ml-batch", List.of("ml"), 1.0),
            new TeamSpec("ads-nearline", List.of("ads"), 2.0)));
    meta.resources(GleanerPolicy.class)
        .resource(GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, spec))
        .create();
    policy =
        new PolicyWatcher(
            meta, GleanerPolicy.DEFAULT_NAME, Clock.systemUTC(), PolicyWatcher.Role.STATUS_WRITER);
    policy.start();
    assertThat(policy.awaitFirstVerdict(WAIT)).isTrue();
    metrics = new SimpleMeterRegistry();
    broker =
        new BrokerService(
            new BrokerConfig(
                new BrokerConfig.Grpc("127.0.0.1", 0, io.gleaner.meta.config.ServerTls.NONE),
                Duration.ofMinutes(1),
                new BrokerConfig.Dashboard(false)),
            policy,
            new FakeClock(),
            metrics,
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

    // ml: three bound and Pending, one of them placed in the ledger (not waiting), one Running,
    // one Pending on another node; ads: one with no status yet, one Failed; misc (team default):
    // one Pending near-line
    Pod mlPlaced = pod("ml", "gleaner", "offline", "Pending");
    pod("ml", "gleaner", "offline", "Pending");
    pod("ml", "gleaner", null, "Pending");
    pod("ml", "gleaner", "offline", "Running");
    pod("ml", "elsewhere", "offline", "Pending");
    pod("ads", "gleaner", "near-line", null);
    pod("ads", "gleaner", "near-line", "Failed");
    pod("misc", "gleaner", "near-line", "Pending");
    // with fair admission, a team's backlog waits unbound behind the gate gleaner.io/fair-share:
    // ads has one such pod (pending too); an unbound pod without the gate is not the node's, nor
    // a gated one that finished
    pod("ads", null, "near-line", null, true);
    pod("ads", null, "near-line", "Failed", true);
    pod("ml", null, "offline", null);
    assertThat(
            client
                .place(
                    PlaceRequest.newBuilder()
                        .setPodUid(mlPlaced.getMetadata().getUid())
                        .setNamespace("ml")
                        .setName(mlPlaced.getMetadata().getName())
                        .setWorkloadClass(WorkloadClass.OFFLINE)
                        .setShape(PodShape.newBuilder().putRequests("cpu", "1"))
                        .build())
                .hasPlacement())
        .isTrue();

    pending = new PendingPods(meta, "gleaner");
    broker.pendingPods(pending::waiting);
    broker.nearLineWaiting(pending::nearLineWaiting);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              broker.updateTeamShares();
              assertThat(gauge("ml-batch")).isEqualTo(2.0);
              assertThat(gauge("ads-nearline")).isEqualTo(2.0);
              assertThat(gauge("default")).isEqualTo(1.0);
            });

    Map<String, Long> viaGrpc =
        client.capacity().getTeamsList().stream()
            .collect(Collectors.toMap(TeamShare::getTeam, TeamShare::getPendingPods));
    assertThat(viaGrpc).containsEntry("ml-batch", 2L).containsEntry("ads-nearline", 2L);
    assertThat(
            client.capacity().getTeamsList().stream()
                .filter(t -> t.getTeam().equals("ml-batch"))
                .findFirst()
                .orElseThrow()
                .getWaitingMap())
        .as("what the team's pending pods ask for, for guarantee reclaim")
        .containsEntry("cpu", "2");
    // the near-line ones bound and waiting for room (ads with no status, misc Pending; not the
    // Failed one, nor the gated one, which may be waiting for its turn only), for elastic scale-up
    assertThat(client.capacity().getNearLineWaitingList())
        .extracting(shape -> shape.getRequestsMap().get("cpu"))
        .containsExactly("1", "1");

    JsonObject summary =
        new DashboardModel(broker::capacitySnapshot, pending::podCounts, Clock.systemUTC())
            .withTeams(broker::teamShares)
            .summary();
    assertThat(
            summary.getJsonArray("teams").stream()
                .map(JsonObject.class::cast)
                .collect(Collectors.toMap(t -> t.getString("team"), t -> t.getLong("pendingPods"))))
        .containsEntry("ml-batch", 2L)
        .containsEntry("ads-nearline", 2L)
        .containsEntry("default", 1L);
    // the virtual node's pods by class (no class label: offline): those waiting by the teams' rule
    // (the gated one too), the others by phase (the placed one still Pending: starting)
    JsonObject pods = summary.getJsonObject("pods");
    assertThat(pods.getJsonObject("offline").getMap())
        .isEqualTo(Map.of(PendingPods.WAITING, 2L, "Pending", 1L, "Running", 1L));
    assertThat(pods.getJsonObject("near-line").getMap())
        .isEqualTo(Map.of(PendingPods.WAITING, 3L, "Failed", 1L));
    // one rule: the pods waiting by class are the teams' pending pods
    assertThat(
            pods.getJsonObject("offline").getLong(PendingPods.WAITING)
                + pods.getJsonObject("near-line").getLong(PendingPods.WAITING))
        .isEqualTo(viaGrpc.values().stream().mapToLong(Long::longValue).sum());
  }

  private double gauge(String team) {
    return metrics.get("gleaner.team.pending.pods").tag("team", team).gauge().value();
  }
}
