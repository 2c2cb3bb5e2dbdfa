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
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkLeaderElection;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.meta.registry.MemberRegistryConfig;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.MemberSpec;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimulatedFederation;
import io.gleaner.sim.apiserver.audit.AuditLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A ZooKeeper connection blip (SUSPENDED, then RECONNECTED within the session) pauses the leading
 * idle-detector and resumes it as it was: the same detector, its member watches kept, no member
 * listed again (the member API server's audit log).
 */
class LeadershipBlipIT {
  private final FakeClock clock = new FakeClock(Instant.parse("2024-01-01T22:00:00Z"));

  private SimulatedFederation federation;
  private MemberRegistry registry;
  private RecordingBroker broker;
  private TestingServer zk;
  private CuratorFramework curator;
  private ZkLeaderElection election;
  private IdleDetectorService service;

  @AfterEach
  void tearDown() throws Exception {
    if (service != null) {
      service.stop();
    }
    if (election != null) {
      election.stop();
    }
    if (curator != null) {
      curator.close();
    }
    if (zk != null) {
      zk.close();
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

  @Test
  void aZooKeeperBlipRelistsNoMember() throws Exception {
    federation =
        SimulatedFederation.builder()
            .clock(clock)
            .zookeeper(false)
            .podStartDelay(Duration.ZERO)
            .member(MemberSpec.of("a", MemberRole.ONLINE, NodeShape.of(1, "8", "32Gi")))
            .build();
    registry =
        new MemberRegistry(
            federation.meta().client(),
            MemberRegistryConfig.defaults(federation.namespace())
                .withProbe(Duration.ofMillis(200), Duration.ofSeconds(10)),
            Clock.systemUTC(),
            new SimpleMeterRegistry());
    registry.start();
    // 500 ms ticks: sessions from 1 s to 10 s
    zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 500, -1), true);
    curator = Zk.connect(zk.getConnectString(), "it", Duration.ofSeconds(10));
    election = new ZkLeaderElection(curator, "idle-detector", "it");
    broker = new RecordingBroker();
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
    eventually()
        .until(
            () ->
                service
                    .detector()
                    .flatMap(d -> d.state("a", "a-node-0"))
                    .filter(s -> s.kind() == IdleState.Kind.IDLE_OBSERVED)
                    .isPresent());
    IdleDetector detector = service.detector().orElseThrow();
    AuditLog audit = federation.member("a").apiServer().security().audit();
    long cursor = audit.lastSeq();

    zk.stop();
    eventually().until(() -> !election.isLeader());
    zk.restart(); // within the 10 s session

    eventually().until(() -> election.isLeader() && service.detector().isPresent());
    assertThat(service.detector().orElseThrow()).as("the same detector goes on").isSameAs(detector);
    assertThat(audit.read(cursor, 1).missed()).as("audit events lost").isZero();
    assertThat(
            audit.events().stream()
                .filter(e -> e.seq() > cursor)
                // metrics.k8s.io lists are the usage polls, made every metrics interval
                .filter(e -> e.verb().equals("list") && e.apiGroup().isEmpty())
                .map(e -> e.combinedResource()))
        .as("lists on the member after the blip")
        .isEmpty();
  }
}
