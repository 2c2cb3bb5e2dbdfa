package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
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
import io.gleaner.sim.apiserver.ResourceTypes;
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
import java.util.ArrayList;
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
 * A Volcano training gang through the virtual node with the real broker over gRPC, on simulated
 * clusters: the virtual-kubelet waits for the gang's four pods, the broker reserves all four in one
 * member (m1, which serves Volcano's PodGroup) or none, and the gang is mirrored there. Pod by pod,
 * best fit would have put one worker on m2's node.
 *
 * <p>Offers: m1/n1a and m1/n1b lend 4 CPU each, m2/n2 lends 3.
 */
class GangPlacementIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
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
    metaServer.store().types().register(ResourceTypes.PODGROUPS);
    m1Server.store().types().register(ResourceTypes.PODGROUPS);
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    m2 = m2Server.newClient();
    meta.namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName("ml")
                .endMetadata()
                .build())
        .create();
    curator =
        CuratorFrameworkFactory.builder()
            .connectString(zk.getConnectString())
            .namespace("gang-" + System.nanoTime())
            .retryPolicy(new ExponentialBackoffRetry(100, 3))
            .build();
    curator.start();
    broker =
        new BrokerService(
            new BrokerConfig(
                new BrokerConfig.Grpc("127.0.0.1", 0, ServerTls.NONE),
                Duration.ofHours(1),
                new BrokerConfig.Dashboard(false)),
            PlacementPolicy.defaults().withoutMargins(),
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
              .addOffers(offer("m1", "n1a", "4"))
              .addOffers(offer("m1", "n1b", "4"))
              .addOffers(offer("m2", "n2", "3"))
              .build());
      assertThat(stream.complete().get(10, TimeUnit.SECONDS).getAccepted()).isEqualTo(3);
    }
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1, "m2", m2)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            Clock.systemUTC(),
            UnaryOperator.identity(),
            new VkMetrics(new SimpleMeterRegistry()),
            PodControllerConfig.defaults().withGc(Duration.ofHours(1), Duration.ZERO));
    controller.start();
  }

  private static NodeOffer offer(String cluster, String node, String cpu) {
    return NodeOffer.newBuilder()
        .setCluster(cluster)
        .setNode(node)
        .setSource(SourceKind.IDLE)
        .putAllUsable(Map.of("cpu", cpu, "memory", "16Gi", "pods", "110"))
        .putAllAllocatable(Map.of("cpu", "16", "memory", "64Gi", "pods", "110"))
        .build();
  }

  @AfterEach
  void tearDown() throws Exception {
    controller.close();
    channel.shutdownNow();
    broker.stop();
    curator.close();
    metaServer.close();
    m1Server.close();
    m2Server.close();
  }

  private Pod worker(int i) {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName("train-worker-" + i)
            .withNamespace("ml")
            .addToLabels(GleanerKeys.CLASS, "offline")
            .addToAnnotations("scheduling.k8s.io/group-name", "train")
            .endMetadata()
            .withNewSpec()
            .withNodeName("gleaner")
            .addNewContainer()
            .withName("main")
            .withImage("trainer")
            .withNewResources()
            .addToRequests("cpu", new Quantity("2"))
            .addToRequests("memory", new Quantity("1Gi"))
            .endResources()
            .endContainer()
            .addNewToleration()
            .withKey("virtual-kubelet.io/provider")
            .withOperator("Exists")
            .endToleration()
            .endSpec()
            .build();
    return meta.pods().inNamespace("ml").resource(p).create();
  }

  private List<Pod> memberPods() {
    List<Pod> out = new ArrayList<>();
    for (KubernetesClient c : List.of(m1, m2)) {
      out.addAll(
          c.pods().inAnyNamespace().withLabel(GleanerKeys.MANAGED, "true").list().getItems());
    }
    return out;
  }

  private String scheduledReason(Pod p) {
    Pod now = meta.pods().inNamespace("ml").withName(p.getMetadata().getName()).get();
    if (now.getStatus() == null || now.getStatus().getConditions() == null) {
      return null;
    }
    return now.getStatus().getConditions().stream()
        .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
        .map(PodCondition::getReason)
        .findFirst()
        .orElse(null);
  }

  @Test
  void aVolcanoTrainingGangOfFourRunsWholeInOneMember() {
    GenericKubernetesResource pg =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("scheduling.volcano.sh/v1beta1")
            .withKind("PodGroup")
            .withNewMetadata()
            .withNamespace("ml")
            .withName("train")
            .endMetadata()
            .build();
    pg.setAdditionalProperty("spec", Map.of("minMember", 4));
    meta.genericKubernetesResources("scheduling.volcano.sh/v1beta1", "PodGroup")
        .inNamespace("ml")
        .resource(pg)
        .create();
    List<Pod> workers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      workers.add(worker(i));
    }
    for (Pod w : workers) {
      await().atMost(WAIT).until(() -> "GangWaiting".equals(scheduledReason(w)));
    }
    try (BrokerApiClient c = BrokerApiClient.on(channel)) {
      assertThat(c.placements("")).isEmpty();
    }
    assertThat(memberPods()).isEmpty();

    workers.add(worker(3));

    await().atMost(WAIT).until(() -> memberPods().size() == 4);
    assertThat(memberPods())
        .extracting(m -> m.getMetadata().getAnnotations().get(GleanerKeys.CLUSTER))
        .containsOnly("m1");
    try (BrokerApiClient c = BrokerApiClient.on(channel)) {
      await()
          .atMost(WAIT)
          .until(
              () ->
                  c.placements("").stream()
                          .filter(p -> p.getConfirmed() && p.getGangId().equals("ml/train"))
                          .count()
                      == 4);
    }
    Pod member = memberPods().get(0);
    assertThat(
            m1.genericKubernetesResources("scheduling.volcano.sh/v1beta1", "PodGroup")
                .inNamespace(member.getMetadata().getNamespace())
                .withName(member.getMetadata().getAnnotations().get("scheduling.k8s.io/group-name"))
                .get())
        .isNotNull();
  }
}
