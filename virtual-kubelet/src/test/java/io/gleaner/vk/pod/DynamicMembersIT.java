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
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.meta.registry.MemberRegistryConfig;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.SimulatedFederation;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.TranslationConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Membership at runtime: the pod controller follows the member registry. A MemberCluster created
 * after the start gets pods and its pods' status is mirrored; a deleted one has its informer
 * stopped; one that does not answer at the start delays nothing.
 */
class DynamicMembersIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private SimulatedFederation federation;
  private MemberRegistry registry;
  private FakeBroker broker;
  private ManagedChannel channel;
  private PodController controller;

  private void start(List<FakeBroker.FakeNode> nodes, String... members) throws Exception {
    SimulatedFederation.Builder b = SimulatedFederation.builder().zookeeper(false);
    for (String m : members) {
      b.member(member(m));
    }
    federation = b.build();
    federation
        .meta()
        .client()
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("team-a").endMetadata().build())
        .create();
    registry =
        new MemberRegistry(
            federation.meta().client(),
            MemberRegistryConfig.defaults(federation.namespace())
                .withProbe(Duration.ofMillis(200), Duration.ofSeconds(10))
                .withStatusWrites(false),
            Clock.systemUTC(),
            new SimpleMeterRegistry());
    registry.start();
    broker = new FakeBroker(nodes);
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
  }

  private static MemberSpec member(String name) {
    return MemberSpec.of(name, MemberRole.ONLINE, NodeShape.of(1, "8", "32Gi"));
  }

  private void startController() {
    controller =
        new PodController(
            federation.meta().client(),
            MemberClusters.of(registry),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            Clock.systemUTC(),
            d -> d.dividedBy(20),
            new VkMetrics(new SimpleMeterRegistry()),
            PodControllerConfig.defaults());
    controller.start();
  }

  @AfterEach
  void tearDown() {
    if (controller != null) {
      controller.close();
    }
    if (channel != null) {
      channel.shutdownNow();
    }
    if (broker != null) {
      broker.close();
    }
    if (registry != null) {
      registry.stop();
    }
    if (federation != null) {
      federation.close();
    }
  }

  @Test
  void aMemberCreatedAfterTheStartRunsPodsAndTheirStatusIsMirrored() throws Exception {
    start(List.of(new FakeBroker.FakeNode("m2", "m2-node-0", SourceKind.IDLE, 4000)), "m1");
    await().atMost(WAIT).until(() -> registry.member("m1").isPresent());
    startController();

    SimulatedCluster m2 = federation.addMember(member("m2"));
    // as in a deployment, where the broker hears of m2's capacity only after the idle-detector
    // connected to it: the pod is placed on a member that has answered
    await()
        .atMost(WAIT)
        .until(() -> registry.member("m2").filter(MemberHandle::isHealthy).isPresent());
    metaPod("train-0");

    await().atMost(WAIT).until(() -> !memberPods(m2.client()).isEmpty());
    // the simulated kubelet runs it; only an informer on m2 brings that back
    await().atMost(WAIT).until(() -> "Running".equals(phase("train-0")));
  }

  @Test
  void aDeletedMemberHasItsInformerStopped() throws Exception {
    start(List.of(new FakeBroker.FakeNode("m1", "m1-node-0", SourceKind.IDLE, 4000)), "m1", "m2");
    SimulatedCluster m2 = federation.member("m2");
    await().atMost(WAIT).until(() -> registry.members().size() == 2);
    int ownWatches = m2.store().watchCount(); // the simulated scheduler's and kubelet's
    startController();
    await().atMost(WAIT).until(() -> m2.store().watchCount() > ownWatches);

    federation.meta().client().resources(MemberCluster.class).withName("m2").delete();

    await().atMost(WAIT).until(() -> m2.store().watchCount() == ownWatches);
    metaPod("train-0");
    await().atMost(WAIT).until(() -> "Running".equals(phase("train-0")));
  }

  @Test
  void aDeletedMemberIsDrainedBeforeItGoes() throws Exception {
    start(List.of(new FakeBroker.FakeNode("m2", "m2-node-0", SourceKind.IDLE, 4000)), "m1", "m2");
    SimulatedCluster m2 = federation.member("m2");
    await().atMost(WAIT).until(() -> registry.members().size() == 2);
    startController();
    await().atMost(WAIT).until(() -> finalizers("m2").contains(GleanerKeys.MEMBER_PODS_FINALIZER));
    metaPod("train-0");
    await().atMost(WAIT).until(() -> "Running".equals(phase("train-0")));

    federation.meta().client().resources(MemberCluster.class).withName("m2").delete();

    // the MemberCluster waits, marked for deletion, until Gleaner's pod there is gone
    await()
        .atMost(WAIT)
        .until(
            () ->
                federation.meta().client().resources(MemberCluster.class).withName("m2").get()
                    == null);
    assertThat(memberPods(m2.client())).as("Gleaner's pods left in m2").isEmpty();
    Pod failed = federation.meta().client().pods().inNamespace("team-a").withName("train-0").get();
    assertThat(failed.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(failed.getStatus().getReason()).isEqualTo("MemberRemoved");
    assertThat(failed.getStatus().getConditions())
        .anyMatch(c -> c.getType().equals("DisruptionTarget") && c.getStatus().equals("True"));
    assertThat(broker.releaseReasons).contains("member m2 left the federation");
  }

  @Test
  void aDeletedMemberThatCannotBeReachedGoesAfterTheUnreachableTimeout() throws Exception {
    start(List.of(new FakeBroker.FakeNode("m2", "m2-node-0", SourceKind.IDLE, 4000)), "m1", "m2");
    await().atMost(WAIT).until(() -> registry.members().size() == 2);
    startController();
    controller.unreachableTimeout(() -> Duration.ofSeconds(2)); // the controller's clock is real
    await().atMost(WAIT).until(() -> finalizers("m2").contains(GleanerKeys.MEMBER_PODS_FINALIZER));
    metaPod("train-0");
    await().atMost(WAIT).until(() -> "Running".equals(phase("train-0")));
    federation.member("m2").setReachable(false);

    // as `kubectl delete -f member.yaml` with the Secret in the same file: no credentials left
    federation.meta().client().resources(MemberCluster.class).withName("m2").delete();
    federation
        .meta()
        .client()
        .secrets()
        .inNamespace(federation.namespace())
        .withName("m2-kubeconfig")
        .delete();

    await()
        .atMost(WAIT)
        .until(
            () ->
                federation.meta().client().resources(MemberCluster.class).withName("m2").get()
                    == null);
    Pod failed = federation.meta().client().pods().inNamespace("team-a").withName("train-0").get();
    assertThat(failed.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(failed.getStatus().getReason()).isEqualTo("MemberUnreachable");
  }

  private List<String> finalizers(String member) {
    MemberCluster mc =
        federation.meta().client().resources(MemberCluster.class).withName(member).get();
    return mc == null || mc.getMetadata().getFinalizers() == null
        ? List.of()
        : mc.getMetadata().getFinalizers();
  }

  @Test
  void aMemberUnreachableAtTheStartDelaysNothing() throws Exception {
    start(List.of(new FakeBroker.FakeNode("m1", "m1-node-0", SourceKind.IDLE, 4000)), "m1", "m2");
    federation.member("m2").setReachable(false);
    await().atMost(WAIT).until(() -> registry.members().size() == 2);

    long startedAt = System.nanoTime();
    startController();
    assertThat(Duration.ofNanos(System.nanoTime() - startedAt))
        .as("the start does not wait for m2")
        .isLessThan(Duration.ofSeconds(5));

    metaPod("train-0");
    await().atMost(WAIT).until(() -> "Running".equals(phase("train-0")));
  }

  private void metaPod(String name) {
    federation
        .meta()
        .client()
        .pods()
        .inNamespace("team-a")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("team-a")
                .addToLabels(GleanerKeys.CLASS, "offline")
                .endMetadata()
                .withNewSpec()
                .withNodeName("gleaner")
                .withTerminationGracePeriodSeconds(1L) // a drain waits for the member pod's grace
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .withNewResources()
                .addToRequests("cpu", new Quantity("100m"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  private String phase(String name) {
    Pod p = federation.meta().client().pods().inNamespace("team-a").withName(name).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPhase();
  }

  private static List<Pod> memberPods(KubernetesClient member) {
    return member.pods().inAnyNamespace().withLabel(GleanerKeys.MANAGED, "true").list().getItems();
  }
}
