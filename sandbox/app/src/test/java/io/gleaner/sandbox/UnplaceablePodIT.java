package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.OfferReport;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.broker.BrokerService;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.config.BrokerConfig;
import io.gleaner.meta.config.ServerTls;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.pod.MemberClusters;
import io.gleaner.vk.pod.PodController;
import io.gleaner.vk.pod.PodControllerConfig;
import io.gleaner.vk.pod.VkMetrics;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.TranslationConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Admission of pods bound to the virtual node: the virtual-kubelet's pod controller and the real
 * broker over gRPC, on simulated clusters: a pod no member node could ever hold fails at once, the
 * way a kubelet rejects a pod with {@code OutOf<resource>}; one that could fit later waits for the
 * pending timeout, then fails; neither keeps later pods from running.
 *
 * <p>Members: m1/n1 with 16 CPU allocatable of which 4 are lent now, m2/n2 with 8 of which 2; the
 * idle source keeps a 10% margin, so the most one node could ever lend is 14400m CPU.
 */
class UnplaceablePodIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static SimRuntime runtime;
  private static TestingServer zk;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private SimulatedApiServer m2Server;
  private KubernetesClient meta;
  private KubernetesClient m1;
  private KubernetesClient m2;
  private CuratorFramework curator;
  private BrokerService broker;
  private ManagedChannel channel;
  private PodController controller;
  private int seq;

  @BeforeAll
  static void shared() throws Exception {
    runtime = SimRuntime.create();
    zk = new TestingServer(true);
  }

  @AfterAll
  static void closeShared() throws Exception {
    runtime.close();
    zk.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    Clock clock = Clock.systemUTC();
    metaServer = new SimulatedApiServer("meta", runtime, clock, ServerExtensions.NONE);
    m1Server = new SimulatedApiServer("m1", runtime, clock, ServerExtensions.NONE);
    m2Server = new SimulatedApiServer("m2", runtime, clock, ServerExtensions.NONE);
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    m2 = m2Server.newClient();
    meta.namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName("team-a")
                .endMetadata()
                .build())
        .create();
    curator =
        CuratorFrameworkFactory.builder()
            .connectString(zk.getConnectString())
            .namespace("admission-" + System.nanoTime())
            .retryPolicy(new ExponentialBackoffRetry(100, 3))
            .build();
    curator.start();
    broker =
        new BrokerService(
            new BrokerConfig(
                new BrokerConfig.Grpc("127.0.0.1", 0, ServerTls.NONE),
                Duration.ofHours(1),
                new BrokerConfig.Dashboard(false)),
            PlacementPolicy.defaults(),
            new FakeClock(),
            new SimpleMeterRegistry(),
            curator,
            () -> Set.of("m1", "m2"));
    broker.start();
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    try (BrokerApiClient offers = BrokerApiClient.on(channel)) {
      BrokerApiClient.OfferStream stream = offers.offers();
      stream.send(
          OfferReport.newBuilder()
              .setSourceId("it")
              .addOffers(offer("m1", "n1", "4", "16"))
              .addOffers(offer("m2", "n2", "2", "8"))
              .build());
      assertThat(stream.complete().get(10, TimeUnit.SECONDS).getAccepted()).isEqualTo(2);
    }
  }

  private static NodeOffer offer(String cluster, String node, String lentCpu, String allocCpu) {
    return NodeOffer.newBuilder()
        .setCluster(cluster)
        .setNode(node)
        .setSource(SourceKind.IDLE)
        .putAllUsable(Map.of("cpu", lentCpu, "memory", "16Gi", "pods", "110"))
        .putAllAllocatable(Map.of("cpu", allocCpu, "memory", "64Gi", "pods", "110"))
        .build();
  }

  private void startController(Duration pendingTimeout) {
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1, "m2", m2)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            Clock.systemUTC(),
            UnaryOperator.identity(),
            new VkMetrics(new SimpleMeterRegistry()),
            PodControllerConfig.defaults()
                .withGc(Duration.ofHours(1), Duration.ZERO)
                .withPendingTimeout(pendingTimeout));
    controller.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (controller != null) {
      controller.close();
    }
    channel.shutdownNow();
    broker.stop();
    curator.close();
    metaServer.close();
    m1Server.close();
    m2Server.close();
  }

  private Pod bound(Map<String, String> requests) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName("p" + (++seq))
            .withNamespace("team-a")
            .addToLabels(GleanerKeys.CLASS, "offline")
            .endMetadata()
            .withNewSpec()
            .withNodeName("gleaner")
            .addNewContainer()
            .withName("main")
            .withImage("busybox")
            .withNewResources()
            .addToRequests(quantities(requests))
            .addToLimits(quantities(requests))
            .endResources()
            .endContainer()
            .addNewToleration()
            .withKey("virtual-kubelet.io/provider")
            .withOperator("Exists")
            .endToleration()
            .endSpec();
    return meta.pods().inNamespace("team-a").resource(b.build()).create();
  }

  private static Map<String, Quantity> quantities(Map<String, String> requests) {
    Map<String, Quantity> q = new LinkedHashMap<>();
    requests.forEach((k, v) -> q.put(k, new Quantity(v)));
    return q;
  }

  private Pod metaPod(Pod p) {
    return meta.pods().inNamespace("team-a").withName(p.getMetadata().getName()).get();
  }

  private static String phase(Pod p) {
    return p == null || p.getStatus() == null ? null : p.getStatus().getPhase();
  }

  private boolean hasMemberPod(Pod metaPod) {
    for (KubernetesClient c : List.of(m1, m2)) {
      if (!c.pods()
          .inAnyNamespace()
          .withLabel(GleanerKeys.META_UID, metaPod.getMetadata().getUid())
          .list()
          .getItems()
          .isEmpty()) {
        return true;
      }
    }
    return false;
  }

  private Pod awaitFailed(Pod p, Duration within) {
    return await().atMost(within).until(() -> metaPod(p), m -> "Failed".equals(phase(m)));
  }

  @Test
  void podsNoMemberNodeCouldEverHoldFailAtOnceAndTheNextPodRuns() {
    startController(Duration.ofHours(1));
    Pod huge = bound(Map.of("cpu", "5000", "memory", "1Gi"));
    Pod fpga = bound(Map.of("cpu", "1", "example.com/fpga", "1"));
    Pod ordinary = bound(Map.of("cpu", "500m"));

    Pod hugeFailed = awaitFailed(huge, Duration.ofSeconds(10));
    assertThat(hugeFailed.getStatus().getReason()).isEqualTo("OutOfcpu");
    assertThat(hugeFailed.getStatus().getMessage())
        .isEqualTo(
            "no member node has enough resource: cpu, requested: 5000,"
                + " largest member node: 14400m (m1/n1)");
    Pod fpgaFailed = awaitFailed(fpga, Duration.ofSeconds(10));
    assertThat(fpgaFailed.getStatus().getReason()).isEqualTo("OutOfexample.com/fpga");
    assertThat(fpgaFailed.getStatus().getMessage())
        .isEqualTo(
            "no member node has resource example.com/fpga (requested: 1, known member nodes: 2)");

    await().atMost(WAIT).until(() -> hasMemberPod(metaPod(ordinary)));
    assertThat(hasMemberPod(hugeFailed)).isFalse();
    assertThat(hasMemberPod(fpgaFailed)).isFalse();
  }

  @Test
  void aPodThatCouldFitLaterWaitsForThePendingTimeoutThenFailsWithoutBlockingOthers() {
    Duration timeout = Duration.ofSeconds(3);
    startController(timeout);
    Instant created = Instant.now();
    Pod later = bound(Map.of("cpu", "10"));
    Pod waiting =
        await()
            .atMost(WAIT)
            .until(
                () -> metaPod(later),
                m ->
                    m.getStatus() != null
                        && m.getStatus().getConditions() != null
                        && m.getStatus().getConditions().stream()
                            .anyMatch(c -> "NoMemberFit".equals(c.getReason())));
    assertThat(phase(waiting)).isEqualTo("Pending");

    Pod ordinary = bound(Map.of("cpu", "1"));
    await().atMost(WAIT).until(() -> hasMemberPod(metaPod(ordinary)));
    assertThat(phase(metaPod(later))).isEqualTo("Pending");

    Pod failed = awaitFailed(later, WAIT);
    assertThat(Duration.between(created, Instant.now())).isGreaterThanOrEqualTo(timeout);
    assertThat(failed.getStatus().getReason()).isEqualTo("NoMemberFit");
    assertThat(failed.getStatus().getMessage())
        .isEqualTo(
            "no member node had room for the pod within the pending timeout (3s): largest free"
                + " node offers 3600m CPU, pod requests 10 CPU");
    PodCondition scheduled =
        failed.getStatus().getConditions().stream()
            .filter(c -> "PodScheduled".equals(c.getType()))
            .findFirst()
            .orElseThrow();
    assertThat(scheduled.getStatus()).isEqualTo("False");
    assertThat(hasMemberPod(failed)).isFalse();
  }
}
