package io.gleaner.idle.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.v1.NodeOffer;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.idle.IdleDetector;
import io.gleaner.idle.IdleDetectorService;
import io.gleaner.idle.IdleDetectorSettings;
import io.gleaner.idle.IdleMetrics;
import io.gleaner.idle.RecordingBroker;
import io.gleaner.idle.source.Member;
import io.gleaner.idle.source.Members;
import io.gleaner.idle.source.StaticMemberDirectory;
import io.gleaner.idle.state.IdleState;
import io.gleaner.idle.state.InMemoryIdleTimerStore;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.crd.ForecastSettings;
import io.gleaner.meta.crd.GleanerPolicy;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.policy.InMemoryPolicySource;
import io.gleaner.meta.policy.PolicySource;
import io.gleaner.meta.policy.PolicyWatcher;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The idle-detector against simulated member clusters, publishing to an in-process recording
 * broker.
 */
class IdleDetectorIT {
  static SimRuntime runtime;

  /** Evening of a simulated day; the online load is emptied "at night". */
  final FakeClock clock = new FakeClock(Instant.parse("2024-01-01T22:00:00Z"));

  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final List<AutoCloseable> closing = new ArrayList<>();
  RecordingBroker broker;
  ManagedChannel channel;
  AlwaysLeader election;
  IdleDetectorService service;

  @BeforeAll
  static void startRuntime() {
    runtime = SimRuntime.create();
  }

  @AfterAll
  static void stopRuntime() {
    runtime.close();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (service != null) {
      service.stop();
    }
    if (election != null) {
      election.stop();
    }
    if (channel != null) {
      channel.shutdownNow();
    }
    if (broker != null) {
      broker.close();
    }
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50));
  }

  private SimulatedCluster cluster(SimulatedCluster.Builder b) {
    SimulatedCluster c = b.runtime(runtime).clock(clock).podStartDelay(Duration.ZERO).build();
    closing.add(c);
    return c;
  }

  private void start(Member... members) throws Exception {
    start(PolicySource.defaults(), members);
  }

  private void start(PolicySource policy, Member... members) throws Exception {
    broker = new RecordingBroker();
    channel = broker.channel();
    IdleDetectorSettings config =
        IdleDetectorSettings.defaults()
            .withMetricsInterval(Duration.ofMillis(200))
            .withSourceId("idle-detector/it");
    election = new AlwaysLeader("it");
    service =
        new IdleDetectorService(
            clock,
            meters,
            new StaticMemberDirectory(List.of(members)),
            channel,
            new InMemoryIdleTimerStore(),
            election,
            config,
            policy);
    service.start();
    election.start();
    eventually().until(() -> service.publisher().map(p -> p.connected()).orElse(false));
  }

  private IdleDetector detector() {
    return service.detector().orElseThrow();
  }

  private static void pod(
      KubernetesClient client, String name, String node, String cpu, String memory) {
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of("app", "web"))
                .endMetadata()
                .withNewSpec()
                .withNodeSelector(Map.of("kubernetes.io/hostname", node))
                .addNewContainer()
                .withName("web")
                .withImage("nginx")
                .withNewResources()
                .addToRequests("cpu", new Quantity(cpu))
                .addToRequests("memory", new Quantity(memory))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  private static long cpuMillis(NodeOffer o) {
    return Quantities.parseCanonical("cpu", o.getUsableOrDefault("cpu", "0"));
  }

  @Test
  void aNodeEmptiedAtNightIsLentAfterTenIdleMinutesAndReturnedWhenMorningLoadArrives()
      throws Exception {
    SimulatedCluster online =
        cluster(SimulatedCluster.builder("online").nodes(NodeShape.of(2, "8", "32Gi")));
    KubernetesClient client = online.client();
    String node = "online-node-1";
    pod(client, "web-1", node, "4", "8Gi");
    eventually()
        .until(
            () ->
                "Running"
                    .equals(
                        client
                            .pods()
                            .inNamespace("default")
                            .withName("web-1")
                            .get()
                            .getStatus()
                            .getPhase()));
    // reactive lending (ForecastIT covers the forecast)
    GleanerPolicySpec reactive = new GleanerPolicySpec();
    reactive.setForecast(new ForecastSettings(false, null, null, null, null, null));
    start(
        new InMemoryPolicySource(reactive.effective()),
        Members.direct("online", client, Set.of(MemberRole.ONLINE)));
    eventually().until(() -> detector().state("online", node).isPresent());
    assertThat(detector().state("online", node)).contains(IdleState.Active.INSTANCE);

    // Night: the online pod is scaled away.
    client.pods().inNamespace("default").withName("web-1").withGracePeriod(0).delete();
    Instant since = clock.instant();
    eventually()
        .until(
            () ->
                detector()
                    .state("online", node)
                    .filter(s -> s.kind() == IdleState.Kind.IDLE_OBSERVED)
                    .isPresent());
    assertThat(detector().state("online", node)).contains(new IdleState.IdleObserved(since));

    Instant almost = since.plus(Duration.ofMinutes(9)).plusSeconds(59);
    clock.set(almost);
    // a pass has judged the node at 9:59 and not lent it yet
    eventually().until(() -> detector().lastPassAt().filter(t -> !t.isBefore(almost)).isPresent());
    assertThat(detector().state("online", node)).contains(new IdleState.IdleObserved(since));
    assertThat(detector().offer("online", node)).isEmpty();
    assertThat(broker.offer("online", node)).isEmpty();
    clock.set(since.plus(Duration.ofMinutes(10)));
    eventually().until(() -> broker.offer("online", node).isPresent());
    NodeOffer offer = broker.offer("online", node).orElseThrow();
    assertThat(offer.getSource()).isEqualTo(SourceKind.IDLE);
    assertThat(cpuMillis(offer)).isEqualTo(8000 - 200);
    assertThat(offer.getLabelsMap())
        .containsEntry("kubernetes.io/hostname", node)
        .doesNotContainKey(GleanerKeys.POOL);
    assertThat(offer.getZone()).isEqualTo(online.zone());
    eventually()
        .untilAsserted(
            () -> {
              Node n = client.nodes().withName(node).get();
              assertThat(n.getMetadata().getLabels()).containsEntry(GleanerKeys.POOL, "idle");
              assertThat(n.getMetadata().getAnnotations())
                  .containsEntry(GleanerKeys.IDLE_SINCE, since.toString())
                  .containsEntry(
                      GleanerKeys.LENT_AT, since.plus(Duration.ofMinutes(10)).toString());
            });
    assertThat(
            meters
                .get(IdleMetrics.LENT_NODES)
                .tags("cluster", "online", "source", "idle")
                .gauge()
                .value())
        .isGreaterThanOrEqualTo(1);

    // Morning: online load comes back to the node.
    clock.set(since.plus(Duration.ofHours(8)));
    pod(client, "web-2", node, "1", "1Gi");
    eventually()
        .until(
            () ->
                broker
                    .offer("online", node)
                    .map(o -> cpuMillis(o) == 8000 - 200 - 1000)
                    .orElse(false));
    pod(client, "web-3", node, "4", "8Gi");
    eventually().until(() -> broker.offer("online", node).isEmpty());
    eventually()
        .untilAsserted(
            () -> {
              Node n = client.nodes().withName(node).get();
              assertThat(n.getMetadata().getLabels()).doesNotContainKey(GleanerKeys.POOL);
              assertThat(n.getMetadata().getAnnotations()).containsKey(GleanerKeys.COOLDOWN_UNTIL);
            });
    assertThat(detector().state("online", node).orElseThrow().kind())
        .isEqualTo(IdleState.Kind.RECLAIMED);
  }

  @Test
  void theGleanerPolicyAtStartIsInForceBeforeTheFirstDecisionAndChangesApplyLive()
      throws Exception {
    SimulatedCluster metaCluster = cluster(SimulatedCluster.builder("meta").gleanerCrds(true));
    KubernetesClient meta = metaCluster.client();
    GleanerPolicySpec spec = new GleanerPolicySpec();
    spec.setIdleAfter("20m");
    meta.resources(GleanerPolicy.class)
        .resource(GleanerPolicy.of(GleanerPolicy.DEFAULT_NAME, spec))
        .create();
    PolicyWatcher policy = new PolicyWatcher(meta, clock);
    closing.add(policy);
    policy.start();
    assertThat(policy.awaitFirstVerdict(Duration.ofSeconds(30))).isTrue();
    SimulatedCluster online =
        cluster(SimulatedCluster.builder("online").nodes(NodeShape.of(1, "8", "32Gi")));
    String node = online.nodeNames().get(0);

    start(policy, Members.direct("online", online.client(), Set.of(MemberRole.ONLINE)));

    // an empty node: observed idle at once, lent after the policy's 20 minutes, not the default 10
    Instant since = clock.instant();
    eventually()
        .until(
            () ->
                detector()
                    .state("online", node)
                    .filter(st -> st.kind() == IdleState.Kind.IDLE_OBSERVED)
                    .isPresent());
    assertThat(detector().state("online", node)).contains(new IdleState.IdleObserved(since));
    eventually().until(() -> detector().nextDeadline().isPresent());
    assertThat(detector().nextDeadline()).contains(since.plus(Duration.ofMinutes(20)));

    // 12 minutes on, the policy asks for 5 minutes and 1 CPU of headroom: lent at once
    clock.set(since.plus(Duration.ofMinutes(12)));
    meta.resources(GleanerPolicy.class)
        .withName(GleanerPolicy.DEFAULT_NAME)
        .edit(
            p -> {
              p.getSpec().setIdleAfter("5m");
              p.getSpec().setNodeHeadroom(Map.of("cpu", new Quantity("1")));
              return p;
            });
    eventually().until(() -> broker.offer("online", node).isPresent());
    assertThat(cpuMillis(broker.offer("online", node).orElseThrow())).isEqualTo(8000 - 1000);
    eventually()
        .untilAsserted(
            () ->
                assertThat(online.client().nodes().withName(node).get().getMetadata().getLabels())
                    .containsEntry(GleanerKeys.POOL, "idle"));
  }

  @Test
  void volcanoFragmentsShrinkWhenAGangIsWaiting() throws Exception {
    SimulatedCluster train =
        cluster(
            SimulatedCluster.builder("train")
                .volcano(true)
                .nodes(NodeShape.of(2, "16", "64Gi").withGpus(4)));
    KubernetesClient client = train.client();
    pod(client, "trainer-0", "train-node-0", "12", "48Gi");
    start(Members.direct("train", client, Set.of(MemberRole.TRAINING)));
    eventually()
        .until(
            () ->
                broker.offer("train", "train-node-0").isPresent()
                    && broker.offer("train", "train-node-1").isPresent());
    long before =
        cpuMillis(broker.offer("train", "train-node-0").get())
            + cpuMillis(broker.offer("train", "train-node-1").get());
    assertThat(before).isEqualTo(4000 + 16000);
    assertThat(broker.offer("train", "train-node-1").get().getSource())
        .isEqualTo(SourceKind.VOLCANO);
    eventually()
        .until(
            () ->
                "volcano"
                    .equals(
                        client
                            .nodes()
                            .withName("train-node-1")
                            .get()
                            .getMetadata()
                            .getLabels()
                            .get(GleanerKeys.POOL)));

    // A gang of two 4-CPU / 1-GPU tasks waits: its share is held out of the fragments.
    GenericKubernetesResource pg =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("scheduling.volcano.sh/v1beta1")
            .withKind("PodGroup")
            .withNewMetadata()
            .withName("gang")
            .withNamespace("default")
            .endMetadata()
            .addToAdditionalProperties(
                "spec",
                Map.of(
                    "minMember",
                    2,
                    "minResources",
                    Map.of("cpu", "8", "memory", "16Gi", "nvidia.com/gpu", "2"),
                    "queue",
                    "default"))
            .build();
    client
        .genericKubernetesResources("scheduling.volcano.sh/v1beta1", "PodGroup")
        .inNamespace("default")
        .resource(pg)
        .create();
    eventually()
        .untilAsserted(
            () -> {
              long now =
                  broker.offer("train", "train-node-0").map(IdleDetectorIT::cpuMillis).orElse(0L)
                      + broker
                          .offer("train", "train-node-1")
                          .map(IdleDetectorIT::cpuMillis)
                          .orElse(0L);
              assertThat(now).isEqualTo(before - 8000);
            });
    // Best fit puts one task on node-0 (exactly its 4 free CPUs) and one on node-1. Node-0 is left
    // without CPU,
    // so its 3 GPUs cannot be used and it offers nothing; node-1 offers what the second task
    // leaves.
    assertThat(broker.offer("train", "train-node-0")).isEmpty();
    assertThat(broker.offer("train", "train-node-1").orElseThrow().getUsableMap())
        .containsEntry("cpu", "12")
        .containsEntry("nvidia.com/gpu", "3");
    assertThat(broker.offer("train", "train-node-1").orElseThrow().getReclaimRisk())
        .isGreaterThan(0.2);
  }

  @Test
  void colocationOffersFollowUsage() throws Exception {
    SimulatedCluster colo =
        cluster(
            SimulatedCluster.builder("colo").colocation(true).nodes(NodeShape.of(1, "16", "64Gi")));
    KubernetesClient client = colo.client();
    start(Members.direct("colo", client, Set.of(MemberRole.COLOCATION)));
    eventually().until(() -> broker.offer("colo", "colo-node-0").isPresent());
    NodeOffer quiet = broker.offer("colo", "colo-node-0").orElseThrow();
    assertThat(quiet.getSource()).isEqualTo(SourceKind.COLOCATION);
    long quietCpu = cpuMillis(quiet);
    Node node = client.nodes().withName("colo-node-0").get();
    assertThat(quietCpu)
        .isEqualTo(
            Quantities.parseCanonical(
                "kubernetes.io/batch-cpu",
                node.getStatus().getAllocatable().get("kubernetes.io/batch-cpu").toString()));

    // Online pods start using CPU; the agent republishes batch resources, and the offer follows.
    pod(client, "api-1", "colo-node-0", "8", "16Gi");
    eventually()
        .until(
            () -> {
              clock.advance(Duration.ofSeconds(30));
              return broker
                  .offer("colo", "colo-node-0")
                  .map(o -> cpuMillis(o) < quietCpu)
                  .orElse(true);
            });
    client.pods().inNamespace("default").withName("api-1").withGracePeriod(0).delete();
    eventually()
        .until(
            () -> {
              clock.advance(Duration.ofSeconds(30));
              return broker
                  .offer("colo", "colo-node-0")
                  .map(o -> cpuMillis(o) == quietCpu)
                  .orElse(false);
            });
  }

  @Test
  void aMemberThatStopsAnsweringHasItsOffersWithdrawn() throws Exception {
    SimulatedCluster colo =
        cluster(
            SimulatedCluster.builder("flaky")
                .colocation(true)
                .nodes(NodeShape.of(2, "16", "64Gi")));
    start(Members.direct("flaky", colo.client(), Set.of(MemberRole.COLOCATION)));
    eventually().until(() -> broker.offers.size() == 2);
    assertThat(broker.members.get("flaky").getReachable()).isTrue();
    colo.setReachable(false);
    eventually().until(() -> broker.offers.isEmpty());
    assertThat(broker.members.get("flaky").getReachable()).isFalse();
    colo.setReachable(true);
    eventually().until(() -> broker.offers.size() == 2);
    assertThat(broker.members.get("flaky").getReachable()).isTrue();
  }
}
