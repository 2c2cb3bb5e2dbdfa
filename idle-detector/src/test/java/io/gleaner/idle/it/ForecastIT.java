package io.gleaner.idle.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.v1.NodeOffer;
import io.gleaner.idle.IdleDetectorService;
import io.gleaner.idle.IdleDetectorSettings;
import io.gleaner.idle.RecordingBroker;
import io.gleaner.idle.forecast.DurableHistoryStore;
import io.gleaner.idle.forecast.HourlyPeaks;
import io.gleaner.idle.forecast.OnlineHistory;
import io.gleaner.idle.source.Members;
import io.gleaner.idle.source.StaticMemberDirectory;
import io.gleaner.idle.state.IdleState;
import io.gleaner.idle.state.InMemoryIdleTimerStore;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.coord.StateStore;
import io.gleaner.meta.coord.Zk;
import io.gleaner.meta.coord.ZkStateStore;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.policy.PolicySource;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Forecast-driven lending end to end: the real {@link IdleDetectorService} on a simulated member,
 * its online histories in a real ZooKeeper ({@link DurableHistoryStore}), offers over gRPC to a
 * recording broker. A member history that says online work needs more than the unlent node during
 * 23:00's hour makes the lent node's offer carry {@code room_until_ms} (23:35:38, where the
 * demand's straight line to 23:00's forecast passes what the unlent node holds), then offers it as
 * draining (only pods that end by then) once that is within the lead time; what the detector saw is
 * in ZooKeeper after it stops.
 */
class ForecastIT {
  private static final Instant T0 = Instant.parse("2024-01-01T22:00:00Z");

  private final FakeClock clock = new FakeClock(T0);
  private SimRuntime runtime;
  private SimulatedCluster online;
  private TestingServer zk;
  private CuratorFramework curator;
  private RecordingBroker broker;
  private ManagedChannel channel;
  private AlwaysLeader election;
  private IdleDetectorService service;

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
    if (online != null) {
      online.close();
    }
    if (runtime != null) {
      runtime.close();
    }
    if (curator != null) {
      curator.close();
    }
    if (zk != null) {
      zk.close();
    }
  }

  private static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50));
  }

  private static long cpuMillis(NodeOffer o) {
    return Quantities.parseCanonical("cpu", o.getUsableOrDefault("cpu", "0"));
  }

  @Test
  void aLentNodeSaysHowLongItsRoomLastsAndDrainsAheadOfTheForecastBreach() throws Exception {
    zk = new TestingServer(true);
    curator = Zk.connect(zk.getConnectString(), "gleaner-it", Duration.ofSeconds(10));
    StateStore state = new ZkStateStore(curator);
    // Yesterday at 23:00 the member's online pods asked for 20 cores.
    long h = HourlyPeaks.hourOf(T0);
    OnlineHistory yesterday = new OnlineHistory();
    yesterday.record(HourlyPeaks.startOf(h + 1 - 24), 20_000, OptionalLong.empty());
    DurableHistoryStore seed = new DurableHistoryStore(state, DurableHistoryStore.DEFAULT_ROOT);
    seed.saveMember("online", yesterday);
    seed.close();

    runtime = SimRuntime.create();
    online =
        SimulatedCluster.builder("online")
            .nodes(NodeShape.of(2, "8", "32Gi"))
            .runtime(runtime)
            .clock(clock)
            .podStartDelay(Duration.ZERO)
            .build();
    KubernetesClient client = online.client();
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("web-1")
                .endMetadata()
                .withNewSpec()
                .withNodeSelector(Map.of("kubernetes.io/hostname", "online-node-1"))
                .addNewContainer()
                .withName("web")
                .withImage("nginx")
                .withNewResources()
                .addToRequests("cpu", new Quantity("4"))
                .addToRequests("memory", new Quantity("8Gi"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();

    broker = new RecordingBroker();
    channel = broker.channel();
    election = new AlwaysLeader("it");
    DurableHistoryStore histories =
        new DurableHistoryStore(state, DurableHistoryStore.DEFAULT_ROOT);
    service =
        new IdleDetectorService(
            clock,
            new SimpleMeterRegistry(),
            new StaticMemberDirectory(
                List.of(Members.direct("online", client, Set.of(MemberRole.ONLINE)))),
            channel,
            new InMemoryIdleTimerStore(),
            histories,
            election,
            IdleDetectorSettings.defaults()
                .withMetricsInterval(Duration.ofMillis(200))
                .withSourceId("idle-detector/it"),
            PolicySource.defaults());
    service.start();
    election.start();
    String node = "online-node-0";
    eventually()
        .until(
            () ->
                service
                    .detector()
                    .flatMap(d -> d.state("online", node))
                    .filter(s -> s.kind() == IdleState.Kind.IDLE_OBSERVED)
                    .isPresent());

    // Lent at 22:10 (the member's history has no term for 22:00's hour: no lending before
    // idleAfter). 23:00's forecast is (0.3 × 20 + 0.6 × 4) / 0.9 × 1.15 = 10.73 cores; from 23:00
    // the demand moves from the 4 cores of now towards it and passes the 8 cores node 1 holds 2138
    // s
    // later: node 2 is needed back at 23:35:38.
    clock.set(T0.plus(Duration.ofMinutes(10)));
    eventually().until(() -> broker.offer("online", node).isPresent());
    NodeOffer offer = broker.offer("online", node).orElseThrow();
    assertThat(offer.getRoomUntilMs())
        .isEqualTo(T0.plus(Duration.ofHours(1)).plusSeconds(2138).toEpochMilli());
    assertThat(cpuMillis(offer)).isEqualTo(8000 - 200);

    // 23:10: the line from the 4 cores of now passes 8 cores 1782 s later, at 23:39:42, within the
    // 30-minute lead time. The next resync offers the node as draining until then.
    clock.set(T0.plus(Duration.ofMinutes(70)));
    eventually()
        .until(() -> broker.offer("online", node).map(NodeOffer::getDraining).orElse(false));
    NodeOffer draining = broker.offer("online", node).orElseThrow();
    assertThat(draining.getRoomUntilMs())
        .isEqualTo(T0.plus(Duration.ofMinutes(99)).plusSeconds(42).toEpochMilli());
    assertThat(cpuMillis(draining)).isEqualTo(8000 - 200);
    assertThat(service.detector().orElseThrow().state("online", node).orElseThrow().kind())
        .isEqualTo(IdleState.Kind.LENT);

    // An orderly stop saves what was seen, the hour in progress included.
    service.stop();
    service = null;
    DurableHistoryStore reread = new DurableHistoryStore(state, DurableHistoryStore.DEFAULT_ROOT);
    assertThat(reread.loadMember("online").orElseThrow().requests().peak(h)).hasValue(4000);
    assertThat(reread.loadMember("online").orElseThrow().requests().peak(h + 1 - 24))
        .hasValue(20_000);
    assertThat(reread.loadNodes("online")).containsKeys("online-node-1", node);
    assertThat(reread.loadNodes("online").get("online-node-1").requests().peak(h)).hasValue(4000);
    reread.close();
  }
}
