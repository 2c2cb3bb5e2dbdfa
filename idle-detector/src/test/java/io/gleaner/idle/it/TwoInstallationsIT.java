package io.gleaner.idle.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.idle.IdleDetector;
import io.gleaner.idle.IdleDetectorService;
import io.gleaner.idle.IdleDetectorSettings;
import io.gleaner.idle.RecordingBroker;
import io.gleaner.idle.source.Members;
import io.gleaner.idle.source.StaticMemberDirectory;
import io.gleaner.idle.state.IdleState;
import io.gleaner.idle.state.InMemoryIdleTimerStore;
import io.gleaner.meta.coord.AlwaysLeader;
import io.gleaner.meta.crd.ForecastSettings;
import io.gleaner.meta.crd.GleanerPolicySpec;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.policy.InMemoryPolicySource;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two installations ({@code a} and {@code b}, each its own detector and broker) share one simulated
 * member: each lends a node under its own claim and only to its own broker, and counts the other's
 * pods as load.
 */
class TwoInstallationsIT {
  private final FakeClock clock = new FakeClock(Instant.parse("2024-01-01T22:00:00Z"));
  private final List<AutoCloseable> closing = new ArrayList<>();
  private SimRuntime runtime;
  private KubernetesClient client;
  private List<String> nodes;

  /** One installation's idle-detector and the broker it reports to. */
  private final class Installation implements AutoCloseable {
    final String instance;
    final RecordingBroker broker;
    final ManagedChannel channel;
    final AlwaysLeader election;
    final IdleDetectorService service;

    Installation(String instance) throws Exception {
      this.instance = instance;
      broker = new RecordingBroker();
      channel = broker.channel();
      election = new AlwaysLeader(instance);
      GleanerPolicySpec reactive = new GleanerPolicySpec();
      reactive.setForecast(new ForecastSettings(false, null, null, null, null, null));
      service =
          new IdleDetectorService(
              clock,
              new SimpleMeterRegistry(),
              new StaticMemberDirectory(
                  List.of(Members.direct("online", client, Set.of(MemberRole.ONLINE)))),
              channel,
              new InMemoryIdleTimerStore(),
              election,
              IdleDetectorSettings.defaults()
                  .withMetricsInterval(Duration.ofMillis(200))
                  .withSourceId("idle-detector/" + instance),
              new InMemoryPolicySource(reactive.effective()));
      service.start();
      election.start();
      eventually().until(() -> service.publisher().map(p -> p.connected()).orElse(false));
    }

    IdleDetector detector() {
      return service.detector().orElseThrow();
    }

    boolean passedAt(Instant t) {
      return service
          .detector()
          .flatMap(IdleDetector::lastPassAt)
          .filter(p -> !p.isBefore(t))
          .isPresent();
    }

    boolean offers(String node) {
      return broker.offer("online", node).isPresent();
    }

    @Override
    public void close() throws Exception {
      service.stop();
      election.stop();
      channel.shutdownNow();
      broker.close();
    }
  }

  private static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50));
  }

  @BeforeEach
  void setUp() {
    runtime = SimRuntime.create();
    SimulatedCluster online =
        SimulatedCluster.builder("online")
            .runtime(runtime)
            .clock(clock)
            .podStartDelay(Duration.ZERO)
            .nodes(NodeShape.of(2, "8", "32Gi"))
            .build();
    closing.add(online);
    client = online.client();
    nodes = online.nodeNames().stream().sorted().toList();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    runtime.close();
  }

  private Map<String, String> labels(String node) {
    Node n = client.nodes().withName(node).get();
    return n.getMetadata().getLabels();
  }

  private String renewedAt(String node) {
    Map<String, String> a = client.nodes().withName(node).get().getMetadata().getAnnotations();
    return a == null ? null : a.get(GleanerKeys.LENT_RENEWED_AT);
  }

  @Test
  void eachInstallationLendsUnderItsOwnClaimToItsOwnBrokerAndCountsTheOthersPodsAsLoad()
      throws Exception {
    String busy = nodes.get(0);
    String free = nodes.get(1);
    // b's member pod holds 6 of busy's 8 cores: lent work to b, load to a
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("b-pod")
                .withLabels(Map.of(GleanerKeys.MANAGED, "true", GleanerKeys.INSTANCE, "b"))
                .endMetadata()
                .withNewSpec()
                .withNodeSelector(Map.of(GleanerKeys.HOSTNAME_LABEL, busy))
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .withNewResources()
                .addToRequests("cpu", new Quantity("6"))
                .addToRequests("memory", new Quantity("1Gi"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
    eventually()
        .until(
            () ->
                "Running"
                    .equals(
                        client
                            .pods()
                            .inNamespace("default")
                            .withName("b-pod")
                            .get()
                            .getStatus()
                            .getPhase()));
    Installation a = new Installation("a");
    closing.add(a);
    Installation b = new Installation("b");
    closing.add(b);
    eventually()
        .until(
            () ->
                a.detector().state("online", free).isPresent()
                    && b.detector().state("online", busy).isPresent());
    assertThat(a.detector().state("online", busy)).contains(IdleState.Active.INSTANCE);
    assertThat(b.detector().state("online", busy).orElseThrow().kind())
        .isEqualTo(IdleState.Kind.IDLE_OBSERVED);

    Instant lent = clock.instant().plus(Duration.ofMinutes(10));
    clock.set(lent);

    // busy: idle to b only, so lent and offered by b
    eventually().until(() -> b.offers(busy));
    assertThat(labels(busy)).containsEntry(GleanerKeys.LENT_BY, "b");
    // free: idle to both; exactly one claim stands, and only its owner's broker has the offer
    eventually()
        .untilAsserted(
            () -> {
              String owner = labels(free).get(GleanerKeys.LENT_BY);
              assertThat(owner).isIn("a", "b");
              Installation winner = owner.equals("a") ? a : b;
              Installation loser = owner.equals("a") ? b : a;
              assertThat(winner.offers(free)).isTrue();
              assertThat(loser.offers(free)).isFalse();
              assertThat(loser.detector().state("online", free))
                  .contains(IdleState.Active.INSTANCE);
            });

    // an hour on, resync by resync: each installation renews its claims, neither takes the
    // other's nodes
    String owner = labels(free).get(GleanerKeys.LENT_BY);
    for (int i = 1; i <= 12; i++) {
      Instant t = lent.plus(Duration.ofMinutes(5L * i));
      clock.set(t);
      eventually()
          .until(
              () ->
                  a.passedAt(t)
                      && b.passedAt(t)
                      && t.toString().equals(renewedAt(free))
                      && t.toString().equals(renewedAt(busy)));
    }
    assertThat(labels(free)).containsEntry(GleanerKeys.LENT_BY, owner);
    assertThat(labels(busy)).containsEntry(GleanerKeys.LENT_BY, "b");
    assertThat(a.offers(busy)).isFalse();
    assertThat(b.offers(busy)).isTrue();
    assertThat((owner.equals("a") ? b : a).offers(free)).isFalse();
  }
}
