package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.TranslationConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A member whose ResourceQuota has no room refuses the member pod with 403 "exceeded quota": the
 * pod gives its reservation back and is placed in another member; where no other member has room it
 * waits, Pending, and its status says which quota refused it.
 */
class MemberQuotaIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private SimulatedApiServer m2Server;
  private KubernetesClient meta;
  private KubernetesClient m1;
  private KubernetesClient m2;
  private FakeBroker broker;
  private ManagedChannel channel;
  private PodController controller;

  @BeforeAll
  static void runtime() {
    runtime = SimRuntime.create();
  }

  @AfterAll
  static void closeRuntime() {
    runtime.close();
  }

  private void start(List<FakeBroker.FakeNode> nodes) throws Exception {
    Clock clock = Clock.systemUTC();
    metaServer = new SimulatedApiServer("meta", runtime, clock, ServerExtensions.NONE);
    m1Server = new SimulatedApiServer("m1", runtime, clock, ServerExtensions.NONE);
    m2Server = new SimulatedApiServer("m2", runtime, clock, ServerExtensions.NONE);
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    m2 = m2Server.newClient();
    meta.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("ml").endMetadata().build())
        .create();
    // m1's operator caps Gleaner's pods in gleaner-ml at 1 CPU
    m1.namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName("gleaner-ml").endMetadata().build())
        .create();
    m1.resourceQuotas()
        .inNamespace("gleaner-ml")
        .resource(
            new ResourceQuotaBuilder()
                .withNewMetadata()
                .withName("gleaner-cap")
                .endMetadata()
                .withNewSpec()
                .addToHard("requests.cpu", new Quantity("1"))
                .withNewScopeSelector()
                .addNewMatchExpression()
                .withScopeName("PriorityClass")
                .withOperator("In")
                .withValues(GleanerKeys.PRIORITY_OFFLINE, GleanerKeys.PRIORITY_NEAR_LINE)
                .endMatchExpression()
                .endScopeSelector()
                .endSpec()
                .build())
        .create();
    broker = new FakeBroker(nodes);
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1, "m2", m2)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            clock,
            UnaryOperator.identity(),
            new VkMetrics(new SimpleMeterRegistry()),
            PodControllerConfig.defaults().withGc(Duration.ofHours(1), Duration.ZERO));
    controller.start();
  }

  @AfterEach
  void tearDown() {
    controller.close();
    channel.shutdownNow();
    broker.close();
    metaServer.close();
    m1Server.close();
    m2Server.close();
  }

  private Pod pod(String name, String cpu) {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("ml")
            .addToLabels(GleanerKeys.CLASS, "offline")
            .endMetadata()
            .withNewSpec()
            .withNodeName("gleaner")
            .addNewContainer()
            .withName("main")
            .withImage("worker")
            .withNewResources()
            .addToRequests("cpu", new Quantity(cpu))
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

  private List<Pod> memberPods(KubernetesClient c) {
    return c.pods().inAnyNamespace().withLabel(GleanerKeys.MANAGED, "true").list().getItems();
  }

  private PodCondition scheduled(String name) {
    Pod now = meta.pods().inNamespace("ml").withName(name).get();
    if (now.getStatus() == null || now.getStatus().getConditions() == null) {
      return null;
    }
    return now.getStatus().getConditions().stream()
        .filter(c -> "PodScheduled".equals(c.getType()))
        .findFirst()
        .orElse(null);
  }

  @Test
  void aQuotaRefusalReleasesTheReservationAndPlacesThePodInAnotherMember() throws Exception {
    // the broker tries m1 first (both of its nodes), then m2
    start(
        List.of(
            new FakeBroker.FakeNode("m1", "n1a", SourceKind.IDLE, 8000),
            new FakeBroker.FakeNode("m1", "n1b", SourceKind.IDLE, 8000),
            new FakeBroker.FakeNode("m2", "n2", SourceKind.IDLE, 8000)));
    Pod p = pod("trainer", "2");
    String uid = p.getMetadata().getUid();

    await().atMost(WAIT).until(() -> memberPods(m2).size() == 1);
    assertThat(memberPods(m1)).isEmpty();
    assertThat(broker.placements().get(uid).getNode().getCluster()).isEqualTo("m2");
    // one refusal, one release: m1 is not tried node by node
    assertThat(broker.releaseReasons)
        .singleElement()
        .asString()
        .contains("exceeded quota: gleaner-cap");
    assertThat(broker.used()).containsEntry("m1/n1a", 0L).doesNotContainKey("m1/n1b");
  }

  @Test
  void withNoOtherMemberThePodWaitsAndSaysWhichQuotaRefusedIt() throws Exception {
    start(List.of(new FakeBroker.FakeNode("m1", "n1a", SourceKind.IDLE, 8000)));
    Pod p = pod("trainer", "2");
    String uid = p.getMetadata().getUid();

    await()
        .atMost(WAIT)
        .until(
            () -> {
              PodCondition c = scheduled("trainer");
              return c != null
                  && "False".equals(c.getStatus())
                  && c.getMessage() != null
                  && c.getMessage().contains("exceeded quota: gleaner-cap");
            });
    assertThat(broker.placements()).doesNotContainKey(uid);
    assertThat(broker.used()).containsEntry("m1/n1a", 0L);
    assertThat(memberPods(m1)).isEmpty();
    assertThat(meta.pods().inNamespace("ml").withName("trainer").get().getStatus().getPhase())
        .isEqualTo("Pending");
  }
}
