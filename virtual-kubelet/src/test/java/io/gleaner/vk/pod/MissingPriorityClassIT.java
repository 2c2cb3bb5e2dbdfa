package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.NamespaceMapping;
import io.gleaner.vk.translate.TranslationConfig;
import io.gleaner.vk.translate.VirtualNode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A member whose Gleaner identity may read but not create PriorityClasses (the gleaner-member
 * chart's role: the chart installs the classes, unless {@code priorityClasses.create=false}) and
 * that lacks Gleaner's class: the pod is placed elsewhere and the reservation given back, instead
 * of being retried on that member for ever.
 */
class MissingPriorityClassIT {
  private SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private SimulatedApiServer m2Server;
  private FakeBroker broker;
  private ManagedChannel channel;
  private PodController controller;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void setUp() throws Exception {
    runtime = SimRuntime.create();
    Clock clock = Clock.systemUTC();
    metaServer = new SimulatedApiServer("meta", runtime, clock, ServerExtensions.NONE);
    m1Server = new SimulatedApiServer("m1", runtime, clock, ServerExtensions.NONE);
    m2Server = new SimulatedApiServer("m2", runtime, clock, ServerExtensions.NONE);
    KubernetesClient meta = metaServer.newClient();
    meta.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("team-a").endMetadata().build())
        .create();
    // m1: everything in the core group, PriorityClasses read-only, as the member chart grants
    KubernetesClient m1Admin = m1Server.newClient();
    m1Admin
        .rbac()
        .clusterRoles()
        .resource(
            new ClusterRoleBuilder()
                .withNewMetadata()
                .withName("gleaner-member")
                .endMetadata()
                .addNewRule()
                .withApiGroups("")
                .withResources("*")
                .withVerbs("*")
                .endRule()
                .addNewRule()
                .withApiGroups("scheduling.k8s.io")
                .withResources("priorityclasses")
                .withVerbs("get", "list", "watch")
                .endRule()
                .build())
        .create();
    m1Admin
        .rbac()
        .clusterRoleBindings()
        .resource(
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName("gleaner-member")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "gleaner-member")
                .addNewSubject()
                .withKind("User")
                .withApiGroup("rbac.authorization.k8s.io")
                .withName("gleaner")
                .endSubject()
                .build())
        .create();
    KubernetesClient m1 =
        m1Server.newClient(m1Server.kubeconfig(m1Server.issueClientCertificate("gleaner")));
    KubernetesClient m2 = m2Server.newClient();
    broker =
        new FakeBroker(
            List.of(
                new FakeBroker.FakeNode("m1", "n1", SourceKind.IDLE, 8000),
                new FakeBroker.FakeNode("m2", "n2", SourceKind.IDLE, 8000)));
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    registry = new SimpleMeterRegistry();
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1, "m2", m2)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(
                new TranslationConfig(
                    "it",
                    VirtualNode.named("gleaner"),
                    NamespaceMapping.prefixed("gleaner-"),
                    TranslationConfig.defaultPoolTolerations())),
            clock,
            UnaryOperator.identity(),
            new VkMetrics(registry),
            PodControllerConfig.defaults());
    controller.start();
  }

  @AfterEach
  void tearDown() {
    if (controller != null) {
      controller.close();
    }
    channel.shutdownNow();
    broker.close();
    metaServer.close();
    m1Server.close();
    m2Server.close();
    runtime.close();
  }

  @Test
  void aMemberThatLacksGleanersPriorityClassAndMayNotCreateItIsPassedOver() {
    KubernetesClient meta = metaServer.newClient();
    meta.pods().inNamespace("team-a").resource(pod("p1")).create();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> !m2Server.newClient().pods().inAnyNamespace().list().getItems().isEmpty());
    assertThat(m1Server.newClient().pods().inAnyNamespace().list().getItems()).isEmpty();
    assertThat(broker.releaseReasons)
        .anySatisfy(r -> assertThat(r).contains("PriorityClass gleaner-offline", "m1"));
    assertThat(
            registry
                .find("gleaner.vk.errors")
                .tag("cluster", "m1")
                .tag("operation", "priority_class")
                .counter())
        .isNotNull();
  }

  private static Pod pod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("team-a")
        .addToLabels(GleanerKeys.CLASS, "offline")
        .endMetadata()
        .withNewSpec()
        .withNodeName("gleaner")
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .withNewResources()
        .addToRequests("cpu", new Quantity("100m"))
        .endResources()
        .endContainer()
        .addNewToleration()
        .withKey("virtual-kubelet.io/provider")
        .withOperator("Exists")
        .endToleration()
        .endSpec()
        .build();
  }
}
