package io.gleaner.idle.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.gleaner.idle.IdleDetector;
import io.gleaner.idle.IdleDetectorService;
import io.gleaner.idle.IdleDetectorSettings;
import io.gleaner.idle.RecordingBroker;
import io.gleaner.idle.source.RegistryMemberDirectory;
import io.gleaner.idle.state.IdleState;
import io.gleaner.idle.state.InMemoryIdleTimerStore;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.registry.MemberClientConfig;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.meta.registry.MemberRegistryConfig;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.SimulatedFederation;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Membership at runtime: the idle-detector follows the member registry. A MemberCluster created
 * after the start has its idle nodes offered; a deleted one is no longer watched and its offers are
 * withdrawn; one that does not answer at the start delays nothing else.
 */
class DynamicMembersIT {
  /** Evening of a simulated day: idle timers run on this clock, the registry on real time. */
  private final FakeClock clock = new FakeClock(Instant.parse("2024-01-01T22:00:00Z"));

  private SimulatedFederation federation;
  private MemberRegistry registry;
  private RecordingBroker broker;
  private AlwaysLeader election;
  private IdleDetectorService service;

  @AfterEach
  void tearDown() {
    if (service != null) {
      service.stop();
    }
    if (election != null) {
      election.stop();
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

  private static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50));
  }

  private static MemberSpec member(String name) {
    return MemberSpec.of(name, MemberRole.ONLINE, NodeShape.of(1, "8", "32Gi"));
  }

  private void federation(String... members) {
    federation(Stream.of(members).map(DynamicMembersIT::member).toArray(MemberSpec[]::new));
  }

  private void federation(MemberSpec... members) {
    SimulatedFederation.Builder b =
        SimulatedFederation.builder().clock(clock).zookeeper(false).podStartDelay(Duration.ZERO);
    for (MemberSpec m : members) {
      b.member(m);
    }
    federation = b.build();
    registry =
        new MemberRegistry(
            federation.meta().client(),
            MemberRegistryConfig.defaults(federation.namespace())
                .withProbe(Duration.ofMillis(200), Duration.ofSeconds(10))
                // an unreachable member's breaker opens; production waits 30 s before probing
                // it again, longer than this test waits for the member to come back
                .withClient(
                    MemberClientConfig.defaults().withBreaker(10, 5, Duration.ofSeconds(1))),
            Clock.systemUTC(),
            new SimpleMeterRegistry());
    registry.start();
  }

  private void startService() throws Exception {
    broker = new RecordingBroker();
    election = new AlwaysLeader("it");
    service =
        new IdleDetectorService(
            clock,
            new SimpleMeterRegistry(),
            new RegistryMemberDirectory(registry),
            broker.channel(),
            new InMemoryIdleTimerStore(),
            election,
            IdleDetectorSettings.defaults()
                .withMetricsInterval(Duration.ofMillis(200))
                .withSourceId("idle-detector/it"));
    service.start();
    election.start();
    eventually().until(() -> service.publisher().map(p -> p.connected()).orElse(false));
  }

  private IdleDetector detector() {
    return service.detector().orElseThrow();
  }

  private void awaitIdleObserved(String cluster) {
    eventually()
        .until(
            () ->
                detector()
                    .state(cluster, cluster + "-node-0")
                    .filter(s -> s.kind() == IdleState.Kind.IDLE_OBSERVED)
                    .isPresent());
  }

  @Test
  void aMemberCreatedAfterTheStartIsOfferedAndADeletedOneWithdrawn() throws Exception {
    federation("a");
    eventually().until(() -> registry.member("a").isPresent());
    SimulatedCluster a = federation.member("a");
    int ownWatches = a.store().watchCount(); // the simulated scheduler's and kubelet's
    startService();
    awaitIdleObserved("a");
    eventually().until(() -> a.store().watchCount() > ownWatches);

    federation.addMember(member("b"));
    awaitIdleObserved("b");
    clock.set(clock.instant().plus(Duration.ofMinutes(11)));
    eventually().until(() -> broker.offer("b", "b-node-0").isPresent());
    eventually().until(() -> broker.offer("a", "a-node-0").isPresent());

    federation.meta().client().resources(MemberCluster.class).withName("a").delete();

    eventually().until(() -> broker.offer("a", "a-node-0").isEmpty());
    eventually().until(() -> detector().state("a", "a-node-0").isEmpty());
    eventually().until(() -> a.store().watchCount() == ownWatches);
    assertThat(broker.offer("b", "b-node-0")).as("b is not disturbed").isPresent();
  }

  /**
   * A deleted MemberCluster is let go only once this installation's claims are off its nodes (the
   * member's client still open): idle loans, co-location and Volcano room alike, so another
   * installation sharing the member need not wait 15 minutes for them to go stale. A member that
   * stays keeps its claim.
   */
  @Test
  void aDeletedMembersNodesLoseThisInstallationsClaimsBeforeItIsLetGo() throws Exception {
    federation(
        member("idle"),
        MemberSpec.of("train", MemberRole.TRAINING, NodeShape.of(1, "16", "64Gi")),
        MemberSpec.of("colo", MemberRole.COLOCATION, NodeShape.of(1, "16", "64Gi")),
        member("stays"));
    eventually().until(() -> registry.members().size() == 4);
    startService();
    awaitIdleObserved("idle");
    awaitIdleObserved("stays");
    clock.set(clock.instant().plus(Duration.ofMinutes(11)));
    List<String> leaving = List.of("idle", "train", "colo");
    for (String m : List.of("idle", "train", "colo", "stays")) {
      eventually().until(() -> broker.offer(m, m + "-node-0").isPresent());
      assertThat(labels(m)).containsEntry(GleanerKeys.LENT_BY, "it");
    }

    for (String m : leaving) {
      federation.meta().client().resources(MemberCluster.class).withName(m).delete();
    }

    for (String m : leaving) {
      eventually()
          .untilAsserted(
              () -> {
                assertThat(labels(m)).doesNotContainKeys(GleanerKeys.POOL, GleanerKeys.LENT_BY);
                assertThat(annotations(m)).doesNotContainKey(GleanerKeys.LENT_RENEWED_AT);
              });
      eventually().until(() -> broker.offer(m, m + "-node-0").isEmpty());
      eventually().until(() -> detector().state(m, m + "-node-0").isEmpty());
    }
    assertThat(labels("stays")).containsEntry(GleanerKeys.LENT_BY, "it");
    assertThat(broker.offer("stays", "stays-node-0")).isPresent();
  }

  private Map<String, String> labels(String member) {
    Map<String, String> l =
        federation
            .member(member)
            .client()
            .nodes()
            .withName(member + "-node-0")
            .get()
            .getMetadata()
            .getLabels();
    return l == null ? Map.of() : l;
  }

  private Map<String, String> annotations(String member) {
    Map<String, String> a =
        federation
            .member(member)
            .client()
            .nodes()
            .withName(member + "-node-0")
            .get()
            .getMetadata()
            .getAnnotations();
    return a == null ? Map.of() : a;
  }

  @Test
  void aMemberUnreachableAtTheStartDelaysNothingElse() throws Exception {
    federation("a", "b");
    federation.member("a").setReachable(false);
    eventually().until(() -> registry.members().size() == 2);
    startService();

    awaitIdleObserved("b");
    clock.set(clock.instant().plus(Duration.ofMinutes(11)));
    eventually().until(() -> broker.offer("b", "b-node-0").isPresent());

    // the member is judged unreachable (its breaker opens) before it answers again, however
    // fast the rest went: recovery always goes through the breaker's probe
    eventually().until(() -> registry.member("a").map(m -> !m.isHealthy()).orElse(false));
    federation.member("a").setReachable(true);
    awaitIdleObserved("a");
  }
}
