package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.crd.PodSecurityLevel;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.NamespaceMapping;
import io.gleaner.vk.translate.PodSecurityStandard;
import io.gleaner.vk.translate.TranslationConfig;
import io.gleaner.vk.translate.VirtualNode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The policy's Pod Security Standard level against simulated API servers (metadata + one member): a
 * metadata pod that breaks it fails at once with the rule, an ordinary pod is placed, and the
 * member namespace Gleaner creates carries the matching Pod Security Admission labels.
 */
class PodSecurityIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private KubernetesClient meta;
  private KubernetesClient m1;
  private FakeBroker broker;
  private ManagedChannel channel;
  private PodController controller;
  private final AtomicReference<PodSecurityLevel> level = new AtomicReference<>();

  @BeforeEach
  void setUp() throws Exception {
    runtime = SimRuntime.create();
    Clock clock = Clock.systemUTC();
    metaServer = new SimulatedApiServer("meta", runtime, clock, ServerExtensions.NONE);
    m1Server = new SimulatedApiServer("m1", runtime, clock, ServerExtensions.NONE);
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    meta.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("team-a").endMetadata().build())
        .create();
    broker = new FakeBroker(List.of(new FakeBroker.FakeNode("m1", "n1", SourceKind.IDLE, 8000)));
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(
                new TranslationConfig(
                    "it",
                    VirtualNode.named("gleaner"),
                    NamespaceMapping.prefixed("gleaner-"),
                    TranslationConfig.defaultPoolTolerations())),
            clock,
            UnaryOperator.identity(),
            new VkMetrics(new SimpleMeterRegistry()),
            PodControllerConfig.defaults());
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
    runtime.close();
  }

  @Test
  void byDefaultPrivilegedAndHostNetworkPodsFailWithTheBaselineRuleAndOthersRun() {
    controller.start();
    Pod privileged =
        new PodBuilder(pod("privileged"))
            .editSpec()
            .editFirstContainer()
            .withNewSecurityContext()
            .withPrivileged(true)
            .endSecurityContext()
            .endContainer()
            .endSpec()
            .build();
    Pod hostNetwork =
        new PodBuilder(pod("host-network")).editSpec().withHostNetwork(true).endSpec().build();
    meta.pods().inNamespace("team-a").resource(privileged).create();
    meta.pods().inNamespace("team-a").resource(hostNetwork).create();
    meta.pods().inNamespace("team-a").resource(pod("ordinary")).create();

    assertThat(awaitFailed("privileged").getStatus().getMessage())
        .isEqualTo(
            "violates PodSecurity \"baseline:latest\": privileged (container \"main\" must not"
                + " set securityContext.privileged=true)");
    assertThat(awaitFailed("host-network").getStatus().getMessage())
        .isEqualTo("violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)");
    await().atMost(WAIT).until(() -> memberPod("ordinary") != null);
    // the refusals are terminal: neither pod ever reached the broker or the member
    assertThat(memberPod("privileged")).isNull();
    assertThat(memberPod("host-network")).isNull();
    assertThat(broker.placements())
        .containsKey(uid("ordinary"))
        .doesNotContainKeys(uid("privileged"), uid("host-network"));
    assertThat(m1.namespaces().withName("gleaner-team-a").get().getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "baseline")
        .containsEntry("pod-security.kubernetes.io/enforce-version", "latest");
  }

  @Test
  void theLevelIsReadLiveRestrictedRefusesARootPodAndTheNamespaceFollowsTheLevel() {
    level.set(PodSecurityLevel.RESTRICTED);
    controller.podSecurity(level::get);
    controller.start();
    meta.pods().inNamespace("team-a").resource(pod("root")).create();
    assertThat(awaitFailed("root").getStatus().getMessage())
        .startsWith("violates PodSecurity \"restricted:latest\": ")
        .contains(
            "allowPrivilegeEscalation != false (container \"main\" must set"
                + " securityContext.allowPrivilegeEscalation=false)",
            "runAsNonRoot != true",
            "seccompProfile",
            "unrestricted capabilities");

    level.set(PodSecurityLevel.PRIVILEGED);
    Pod privileged =
        new PodBuilder(pod("privileged"))
            .editSpec()
            .withHostPID(true)
            .editFirstContainer()
            .withNewSecurityContext()
            .withPrivileged(true)
            .endSecurityContext()
            .endContainer()
            .endSpec()
            .build();
    meta.pods().inNamespace("team-a").resource(privileged).create();
    await().atMost(WAIT).until(() -> memberPod("privileged") != null);
    assertThat(m1.namespaces().withName("gleaner-team-a").get().getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "privileged")
        .containsEntry("pod-security.kubernetes.io/enforce-version", "latest");

    // the namespace Gleaner created follows a policy change at its next pod
    level.set(PodSecurityLevel.BASELINE);
    meta.pods().inNamespace("team-a").resource(pod("ordinary")).create();
    await().atMost(WAIT).until(() -> memberPod("ordinary") != null);
    assertThat(m1.namespaces().withName("gleaner-team-a").get().getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "baseline");
  }

  private Pod awaitFailed(String name) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              Pod m = meta.pods().inNamespace("team-a").withName(name).get();
              return m.getStatus() != null && "Failed".equals(m.getStatus().getPhase());
            });
    Pod failed = meta.pods().inNamespace("team-a").withName(name).get();
    assertThat(failed.getStatus().getReason()).isEqualTo(PodSecurityStandard.REASON);
    return failed;
  }

  private String uid(String name) {
    return meta.pods().inNamespace("team-a").withName(name).get().getMetadata().getUid();
  }

  private Pod memberPod(String metaName) {
    return m1.pods().inAnyNamespace().list().getItems().stream()
        .filter(
            p ->
                p.getMetadata().getAnnotations() != null
                    && metaName.equals(p.getMetadata().getAnnotations().get(GleanerKeys.META_NAME)))
        .findFirst()
        .orElse(null);
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
