package io.gleaner.descheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.v1.WithdrawRequest;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.meta.registry.MemberRegistryConfig;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.SimulatedFederation;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Membership at runtime: the descheduler follows the member registry, so a MemberCluster created
 * after the start is reclaimed in, a deleted one stops being watched, and an unreachable one delays
 * nothing else.
 */
class DynamicMembersIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final DeschedulerIT.FakeBroker broker = new DeschedulerIT.FakeBroker();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private SimulatedFederation federation;
  private MemberRegistry registry;
  private Server brokerServer;
  private ManagedChannel brokerChannel;
  private DeschedulerService service;

  @BeforeEach
  void setUp() throws IOException {
    brokerServer =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(broker)
            .build()
            .start();
    brokerChannel =
        NettyChannelBuilder.forAddress("127.0.0.1", brokerServer.getPort()).usePlaintext().build();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (service != null) {
      service.stop();
    }
    if (registry != null) {
      registry.stop();
    }
    if (federation != null) {
      federation.close();
    }
    brokerChannel.shutdownNow();
    brokerServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static MemberSpec lent(String name) {
    return MemberSpec.of(
            name,
            MemberRole.ONLINE,
            NodeShape.of(2, "8", "32Gi").withLabel(GleanerKeys.POOL, "idle"))
        .withPreemption(false);
  }

  private void startFederation(String... members) {
    SimulatedFederation.Builder b = SimulatedFederation.builder().zookeeper(false);
    for (String m : members) {
      b.member(lent(m));
    }
    federation = b.build();
    registry =
        new MemberRegistry(
            federation.meta().client(),
            MemberRegistryConfig.defaults(federation.namespace())
                .withProbe(Duration.ofMillis(200), Duration.ofSeconds(10))
                .withResync(Duration.ofMillis(500)),
            Clock.systemUTC(),
            meters);
    registry.start();
  }

  private void startService() {
    service =
        new DeschedulerService(
            Clock.systemUTC(),
            meters,
            MemberSource.of(registry),
            brokerChannel,
            new AlwaysLeader("it"),
            DeschedulerSettings.DEFAULTS,
            io.gleaner.meta.policy.PolicySource.defaults(),
            null);
    service.start();
  }

  /** Fills both lent nodes of {@code member} with one 8-CPU Gleaner pod each. */
  private void fill(SimulatedCluster member) {
    List<String> nodes = member.nodeNames().stream().sorted().toList();
    for (int i = 0; i < nodes.size(); i++) {
      create(member.client(), gleanerPod("g" + i, nodes.get(i)));
    }
    await()
        .atMost(WAIT)
        .until(() -> running(member.client(), "g0") && running(member.client(), "g1"));
  }

  private void reclaimIn(SimulatedCluster member) {
    create(member.client(), onlinePod("web"));
    await().atMost(WAIT).until(() -> running(member.client(), "web"));
    // the broker hears of the reclaim after the eviction, asynchronously
    await().atMost(WAIT).until(() -> withdrawalsFrom(member.name()) > 0);
    assertThat(present(member.client(), "g0") && present(member.client(), "g1"))
        .as("one of the two Gleaner pods was evicted for web")
        .isFalse();
  }

  private long withdrawalsFrom(String cluster) {
    return broker.withdrawals.stream()
        .filter(WithdrawRequest::hasEvent)
        .filter(w -> w.getNode().getCluster().equals(cluster))
        .count();
  }

  @Test
  void aMemberCreatedAfterTheStartIsReclaimedIn() {
    startFederation("m1");
    await().atMost(WAIT).until(() -> registry.member("m1").isPresent());
    startService();

    SimulatedCluster m2 = federation.addMember(lent("m2"));
    fill(m2);

    reclaimIn(m2);
  }

  @Test
  void aDeletedMemberIsNoLongerWatchedAndTheOthersCarryOn() {
    startFederation("m1", "m2");
    SimulatedCluster m1 = federation.member("m1");
    SimulatedCluster m2 = federation.member("m2");
    await().atMost(WAIT).until(() -> registry.members().size() == 2);
    int ownWatches = m1.store().watchCount(); // the simulated scheduler's and kubelet's
    startService();
    await().atMost(WAIT).until(() -> service.watchedMembers().equals(java.util.Set.of("m1", "m2")));
    await().atMost(WAIT).until(() -> m1.store().watchCount() > ownWatches);

    federation.meta().client().resources(MemberCluster.class).withName("m1").delete();

    await().atMost(WAIT).until(() -> m1.store().watchCount() == ownWatches);
    assertThat(service.watchedMembers()).containsExactly("m2");
    fill(m2);
    reclaimIn(m2);
  }

  @Test
  void aMemberUnreachableAtTheStartDelaysNothingElseAndIsUsedOnceItAnswers() {
    startFederation("m1", "m2");
    SimulatedCluster m1 = federation.member("m1");
    SimulatedCluster m2 = federation.member("m2");
    m1.setReachable(false);
    await().atMost(WAIT).until(() -> registry.members().size() == 2);
    startService();
    assertThat(service.state()).isEqualTo(io.gleaner.meta.service.Lifecycle.State.RUNNING);

    fill(m2);
    reclaimIn(m2);
    assertThat(withdrawalsFrom("m1")).isZero();

    m1.setReachable(true);
    fill(m1);
    reclaimIn(m1);
  }

  private static void create(KubernetesClient client, Pod pod) {
    client.pods().inNamespace("default").resource(pod).create();
  }

  private static Pod gleanerPod(String name, String node) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(GleanerKeys.MANAGED, "true")
        .addToLabels(GleanerKeys.CLASS, "offline")
        .addToLabels(GleanerKeys.SOURCE, "idle")
        .addToLabels(GleanerKeys.META_UID, "meta-" + name)
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .withPriority(-10)
        .withPreemptionPolicy("Never")
        .withTerminationGracePeriodSeconds(1L)
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .withNewResources()
        .addToRequests("cpu", new Quantity("8"))
        .addToRequests("memory", new Quantity("1Gi"))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  private static Pod onlinePod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("app", "web")
        .endMetadata()
        .withNewSpec()
        .withPriority(1000)
        .addNewContainer()
        .withName("main")
        .withImage("nginx")
        .withNewResources()
        .addToRequests("cpu", new Quantity("4"))
        .addToRequests("memory", new Quantity("1Gi"))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  private static boolean running(KubernetesClient client, String name) {
    Pod p = client.pods().inNamespace("default").withName(name).get();
    return p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
  }

  private static boolean present(KubernetesClient client, String name) {
    Pod p = client.pods().inNamespace("default").withName(name).get();
    return p != null && p.getMetadata().getDeletionTimestamp() == null;
  }
}
