package io.gleaner.descheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.v1.BrokerGrpc;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.CapacityRequest;
import io.gleaner.api.v1.WithdrawRequest;
import io.gleaner.api.v1.WithdrawResponse;
import io.gleaner.descheduler.plan.Outcome;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.Victim;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.TeamSpec;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.policy.PolicySource;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fair reclaim on two simulated members: what a team holds on one member decides whom reclaim takes
 * on the other (issue 19).
 */
class FairReclaimIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A broker that offers 16 cores and records Withdraw calls. */
  static final class FakeBroker extends BrokerGrpc.BrokerImplBase {
    final AtomicInteger capacityCalls = new AtomicInteger();

    @Override
    public void getCapacity(CapacityRequest request, StreamObserver<Capacity> response) {
      capacityCalls.incrementAndGet();
      response.onNext(
          Capacity.newBuilder().putOffered("cpu", "16").putOffered("memory", "64Gi").build());
      response.onCompleted();
    }

    @Override
    public void withdraw(WithdrawRequest request, StreamObserver<WithdrawResponse> response) {
      response.onNext(WithdrawResponse.newBuilder().setWithdrawn(true).build());
      response.onCompleted();
    }
  }

  private SimRuntime runtime;
  private SimulatedCluster m1;
  private SimulatedCluster m2;
  private final FakeBroker broker = new FakeBroker();
  private Server brokerServer;
  private ManagedChannel brokerChannel;
  private final List<Plan> plans = new CopyOnWriteArrayList<>();
  private DeschedulerService service;

  @BeforeEach
  void setUp() throws IOException {
    runtime = SimRuntime.create();
    m1 =
        SimulatedCluster.builder("m1")
            .runtime(runtime)
            .preemption(false)
            .nodes(NodeShape.of(1, "8", "32Gi").withLabel(GleanerKeys.POOL, "idle"))
            .build();
    m2 =
        SimulatedCluster.builder("m2")
            .runtime(runtime)
            .preemption(false)
            .nodes(NodeShape.of(1, "8", "32Gi").withLabel(GleanerKeys.POOL, "idle"))
            .build();
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
    brokerChannel.shutdownNow();
    brokerServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    m1.close();
    m2.close();
    runtime.close();
  }

  private void startService() {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setTeams(
        List.of(
            new TeamSpec("ml", List.of("ml-ns"), 1.0),
            new TeamSpec("search", List.of("search-ns"), 1.0)));
    service =
        new DeschedulerService(
            Clock.systemUTC(),
            new SimpleMeterRegistry(),
            Map.of("m1", m1.client(), "m2", m2.client()),
            brokerChannel,
            new AlwaysLeader("it"),
            DeschedulerSettings.DEFAULTS,
            PolicySource.fixed(spec.effective()),
            null);
    service.addPlanListener(plans::add);
    service.start();
    await().atMost(WAIT).until(() -> service.readyMembers().equals(java.util.Set.of("m1", "m2")));
  }

  /** A Gleaner member pod running for a metadata pod of {@code metaNamespace}. */
  private static void gleanerPod(
      SimulatedCluster c, String name, String metaNamespace, String cpu, String podClass) {
    KubernetesClient client = c.client();
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels(GleanerKeys.MANAGED, "true")
                .addToLabels(GleanerKeys.CLASS, podClass)
                .addToLabels(GleanerKeys.SOURCE, "idle")
                .addToLabels(GleanerKeys.META_UID, "meta-" + name)
                .addToAnnotations(GleanerKeys.META_NAMESPACE, metaNamespace)
                .endMetadata()
                .withNewSpec()
                .withNodeName(c.nodeNames().iterator().next())
                .withPriority(-10)
                .withPreemptionPolicy("Never")
                .withTerminationGracePeriodSeconds(1L)
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .withNewResources()
                .addToRequests("cpu", new Quantity(cpu))
                .addToRequests("memory", new Quantity("1Gi"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
    await().atMost(WAIT).until(() -> running(c, name));
  }

  private static boolean running(SimulatedCluster c, String name) {
    var p = c.client().pods().inNamespace("default").withName(name).get();
    return p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
  }

  private void onlinePod(String name, String cpu) {
    m1.client()
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withPriority(1000)
                .addNewContainer()
                .withName("main")
                .withImage("nginx")
                .withNewResources()
                .addToRequests("cpu", new Quantity(cpu))
                .addToRequests("memory", new Quantity("1Gi"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  /** The names of the pods the first plan that reclaimed took. */
  private List<String> firstVictims() {
    await()
        .atMost(WAIT)
        .until(
            () ->
                plans.stream()
                    .anyMatch(
                        p -> p.outcomes().stream().anyMatch(o -> o.outcome() == Outcome.RECLAIM)));
    Plan plan = plans.stream().filter(p -> !p.reclaims().isEmpty()).findFirst().orElseThrow();
    return plan.reclaims().stream()
        .flatMap(r -> r.victims().stream())
        .map(Victim::pod)
        .map(p -> p.name())
        .sorted()
        .toList();
  }

  @Test
  void whatATeamHoldsOnAnotherMemberMakesItTheOneToGiveBack() {
    // On m1 the class order would take the offline search pod before ml's near-line one; ml also
    // holds 8 cores on m2, so it stands above its fair share and gives its pod on m1 instead.
    gleanerPod(m1, "ml-near", "ml-ns", "4", "near-line");
    gleanerPod(m2, "ml-a", "ml-ns", "4", "offline");
    gleanerPod(m2, "ml-b", "ml-ns", "4", "offline");
    gleanerPod(m1, "search-young", "search-ns", "4", "offline");
    startService();
    onlinePod("web-1", "4");
    assertThat(firstVictims()).containsExactly("ml-near");
    await().atMost(WAIT).until(() -> running(m1, "web-1"));
    assertThat(running(m1, "search-young")).isTrue();
    assertThat(running(m2, "ml-a") && running(m2, "ml-b")).as("m2 untouched").isTrue();
    assertThat(broker.capacityCalls.get()).as("the pool was read from the broker").isPositive();
  }

  @Test
  void withEqualSharesTheClassOrderDecides() {
    // Both teams hold 8 cores: offline goes before near-line.
    gleanerPod(m1, "ml-near", "ml-ns", "4", "near-line");
    gleanerPod(m2, "search-b", "search-ns", "4", "offline");
    gleanerPod(m2, "ml-b", "ml-ns", "4", "offline");
    gleanerPod(m1, "search-young", "search-ns", "4", "offline");
    startService();
    onlinePod("web-1", "4");
    assertThat(firstVictims()).containsExactly("search-young");
  }
}
