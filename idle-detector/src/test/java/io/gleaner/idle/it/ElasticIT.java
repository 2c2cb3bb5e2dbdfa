package io.gleaner.idle.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.PodShape;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.idle.IdleDetector;
import io.gleaner.idle.IdleDetectorService;
import io.gleaner.idle.IdleDetectorSettings;
import io.gleaner.idle.RecordingBroker;
import io.gleaner.idle.forecast.DurableHistoryStore;
import io.gleaner.idle.forecast.HistoryStore;
import io.gleaner.idle.forecast.InMemoryHistoryStore;
import io.gleaner.idle.source.Members;
import io.gleaner.idle.source.StaticMemberDirectory;
import io.gleaner.idle.state.InMemoryIdleTimerStore;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.coord.StateStore;
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkStateStore;
import io.gleaner.meta.crd.ElasticSettings;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.policy.InMemoryPolicySource;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.autoscaler.SimAutoscaler;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ELASTIC source on a simulated cloud member whose autoscaler adds a 16-CPU node 5 minutes
 * after pods cannot schedule and removes it after 10 empty minutes: while no near-line pod waits in
 * the federation nothing is asked for or offered; at peak, placeholders sized like the waiting pods
 * bring a node, which is offered only once it exists (never during the lead time); the budget (20
 * cores, 6 core-hours a day) caps the offer and, once spent, stops all asking; the emptied node
 * goes and nothing keeps it. The day's spending outlives a restart of the detector (kept in
 * ZooKeeper with the online histories) and starts at zero on the next UTC day.
 */
class ElasticIT {
  final FakeClock clock = new FakeClock(Instant.parse("2026-12-05T10:00:00Z"));
  SimRuntime runtime;
  SimulatedCluster cloud;
  KubernetesClient client;
  SimAutoscaler autoscaler;
  RecordingBroker broker;
  ManagedChannel channel;
  AlwaysLeader election;
  IdleDetectorService service;
  TestingServer zk;
  CuratorFramework curator;

  @BeforeEach
  void setUp() throws Exception {
    runtime = SimRuntime.create();
    cloud =
        SimulatedCluster.builder("cloud")
            .runtime(runtime)
            .clock(clock)
            .podStartDelay(Duration.ZERO)
            .build();
    client = cloud.client();
    client
        .scheduling()
        .v1()
        .priorityClasses()
        .resource(
            new PriorityClassBuilder()
                .withNewMetadata()
                .withName(GleanerKeys.SCALE_UP_PRIORITY_CLASS)
                .endMetadata()
                .withValue(-5)
                .withPreemptionPolicy("Never")
                .build())
        .create();
    autoscaler =
        new SimAutoscaler(
                cloud,
                new SimAutoscaler.Options(
                    NodeShape.of(1, "16", "64Gi").withNamePrefix("vm"),
                    4,
                    Duration.ofMinutes(5),
                    Duration.ofMinutes(10),
                    Duration.ofSeconds(10)))
            .start();
    broker = new RecordingBroker();
    channel = broker.channel();
    startDetector(new InMemoryHistoryStore());
  }

  /** Starts a detector (a new leader) keeping its histories and elastic spending in {@code h}. */
  void startDetector(HistoryStore h) {
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setElastic(new ElasticSettings(20, 6.0));
    election = new AlwaysLeader("it");
    service =
        new IdleDetectorService(
            clock,
            new SimpleMeterRegistry(),
            new StaticMemberDirectory(
                List.of(Members.direct("cloud", client, Set.of(MemberRole.ELASTIC)))),
            channel,
            new InMemoryIdleTimerStore(),
            h,
            election,
            IdleDetectorSettings.defaults().withSourceId("idle-detector/it"),
            new InMemoryPolicySource(spec.effective()));
    service.start();
    election.start();
    eventually().until(() -> service.publisher().map(p -> p.connected()).orElse(false));
  }

  void stopDetector() {
    service.stop();
    election.stop();
  }

  @AfterEach
  void tearDown() throws Exception {
    stopDetector();
    if (curator != null) {
      curator.close();
      zk.close();
    }
    channel.shutdownNow();
    broker.close();
    cloud.close();
    runtime.close();
  }

  static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20));
  }

  IdleDetector detector() {
    return service.detector().orElseThrow();
  }

  /** Near-line pods of these CPU sizes wait for room in the federation (the broker says). */
  void waiting(String... cpus) {
    Capacity.Builder b = Capacity.newBuilder();
    for (String cpu : cpus) {
      b.addNearLineWaiting(PodShape.newBuilder().putRequests("cpu", cpu).build());
    }
    broker.capacity = b.build();
    eventually().until(() -> detector().nearLineWaiting().size() == cpus.length);
    settle();
  }

  /**
   * Advances the clock by {@code d} in steps of at most {@code step}; after each, the cluster and
   * the detector have caught up.
   */
  void pass(Duration d, Duration step) {
    Duration left = d;
    while (left.compareTo(Duration.ZERO) > 0) {
      Duration s = left.compareTo(step) < 0 ? left : step;
      clock.advance(s);
      settle();
      left = left.minus(s);
    }
  }

  void pass(Duration d) {
    pass(d, Duration.ofSeconds(10));
  }

  void settle() {
    cloud.timeline().awaitDueTasks(Duration.ofSeconds(15));
    Instant now = clock.instant();
    eventually()
        .until(
            () ->
                detector().lastPassAt().filter(t -> !t.isBefore(now)).isPresent()
                    && !detector().hasWork());
  }

  List<Pod> placeholders() {
    return client.pods().inNamespace(GleanerKeys.SCALE_UP_NAMESPACE).list().getItems();
  }

  Optional<NodeOffer> elasticOffer() {
    return broker.offers.values().stream()
        .filter(o -> o.getCluster().equals("cloud") && o.getSource() == SourceKind.ELASTIC)
        .findFirst();
  }

  void gleanerPod(String name, String node, String cpu) {
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of(GleanerKeys.MANAGED, "true", GleanerKeys.CLASS, "near-line"))
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .withPriority(-100)
                .addNewContainer()
                .withName("main")
                .withImage("pause")
                .withNewResources()
                .addToRequests("cpu", new Quantity(cpu))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  @Test
  void nearLinePeakBringsANodeAfterItsLeadTimeWithinTheBudgetAndItGoesWhenIdle() {
    // no near-line pod waits: nothing asked for, nothing offered
    waiting();
    pass(Duration.ofMinutes(1), Duration.ofSeconds(30));
    assertThat(placeholders()).isEmpty();
    assertThat(autoscaler.provisioning()).isZero();
    assertThat(elasticOffer()).isEmpty();

    // peak: two 6-CPU near-line pods wait; placeholders ask for room, no node yet, nothing offered
    waiting("6", "6");
    eventually().until(() -> placeholders().size() == 2);
    pass(Duration.ofSeconds(20));
    assertThat(autoscaler.provisioning()).isEqualTo(1);
    pass(Duration.ofMinutes(4).plusSeconds(20), Duration.ofMinutes(1)); // 4m40s after the ask
    assertThat(cloud.nodeNames()).isEmpty();
    assertThat(elasticOffer()).isEmpty();

    // the VM is up: the placeholders land, are deleted, the node is offered (its room, ≤ 20 cores)
    pass(Duration.ofSeconds(30));
    assertThat(cloud.nodeNames()).hasSize(1);
    String node = cloud.nodeNames().get(0);
    eventually().until(() -> placeholders().isEmpty());
    eventually().until(() -> elasticOffer().isPresent());
    NodeOffer offer = elasticOffer().orElseThrow();
    assertThat(offer.getNode()).isEqualTo(node);
    long cpu = Quantities.parseCanonical("cpu", offer.getUsableOrDefault("cpu", "0"));
    assertThat(cpu).isBetween(14_000L, 16_000L);

    // the broker places both there (as the virtual-kubelet would create them); nothing waits
    gleanerPod("near-1", node, "6");
    gleanerPod("near-2", node, "6");
    waiting();
    eventually().until(() -> elasticOffer().isEmpty());
    assertThat(placeholders()).isEmpty();

    // 12 cores held for 30 minutes = 6 core-hours: the day's budget is spent; a new peak asks
    // for nothing and is offered nothing
    pass(Duration.ofMinutes(30), Duration.ofMinutes(30));
    waiting("6");
    pass(Duration.ofSeconds(30));
    assertThat(detector().elasticCoreHoursToday()).isGreaterThanOrEqualTo(6.0);
    assertThat(placeholders()).isEmpty();
    assertThat(elasticOffer()).isEmpty();
    assertThat(autoscaler.provisioning()).isZero();

    // the pods finish: the node stays empty for 10 minutes and goes; nothing kept it
    client.pods().inNamespace("default").withName("near-1").withGracePeriod(0).delete();
    client.pods().inNamespace("default").withName("near-2").withGracePeriod(0).delete();
    eventually().until(() -> client.pods().inNamespace("default").list().getItems().isEmpty());
    pass(Duration.ofMinutes(9), Duration.ofMinutes(1));
    assertThat(cloud.nodeNames()).hasSize(1);
    pass(Duration.ofMinutes(3), Duration.ofMinutes(1));
    assertThat(cloud.nodeNames()).isEmpty();
    assertThat(autoscaler.removed()).isEqualTo(1);
    assertThat(elasticOffer()).isEmpty();
  }

  @Test
  void theDaysSpendingOutlivesARestartAndANewUtcDayStartsAtZero() throws Exception {
    zk = new TestingServer(true);
    curator = Zk.connect(zk.getConnectString(), "gleaner-it", Duration.ofSeconds(10));
    StateStore state = new ZkStateStore(curator);

    // two 6-core pods of Gleaner's run on an elastic node when a detector keeping its state in
    // ZooKeeper starts; it offers the node to a waiting pod, so it has seen them
    stopDetector();
    String node = cloud.addNodes(NodeShape.of(1, "16", "64Gi").withNamePrefix("own")).get(0);
    gleanerPod("near-1", node, "6");
    gleanerPod("near-2", node, "6");
    startDetector(new DurableHistoryStore(state, DurableHistoryStore.DEFAULT_ROOT));
    waiting("6");
    eventually().until(() -> elasticOffer().isPresent());

    // held for 30 minutes: 6 core-hours, the day's budget
    waiting();
    pass(Duration.ofMinutes(30), Duration.ofMinutes(30));
    waiting("6");
    assertThat(detector().elasticCoreHoursToday()).isCloseTo(6.0, within(0.01));
    client.pods().inNamespace("default").withName("near-1").withGracePeriod(0).delete();
    client.pods().inNamespace("default").withName("near-2").withGracePeriod(0).delete();
    cloud.removeNode(node);
    eventually().until(() -> client.pods().inNamespace("default").list().getItems().isEmpty());

    // a new detector (a restart, or another replica taking over) reads the same ZooKeeper: the
    // day's spending is remembered, so the waiting pod is asked for nothing
    stopDetector();
    startDetector(new DurableHistoryStore(state, DurableHistoryStore.DEFAULT_ROOT));
    waiting("6");
    assertThat(detector().elasticCoreHoursToday()).isCloseTo(6.0, within(0.01));
    assertThat(placeholders()).isEmpty();

    // the next UTC day starts at zero, as without a restart: the waiting pod is asked for
    waiting();
    Instant midnight = Instant.parse("2026-12-06T00:00:00Z");
    pass(Duration.between(clock.instant(), midnight).plusSeconds(10), Duration.ofHours(2));
    waiting("6");
    eventually().until(() -> placeholders().size() == 1);
    assertThat(detector().elasticCoreHoursToday()).isZero();
  }
}
