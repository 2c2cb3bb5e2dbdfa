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
import io.gleaner.idle.source.Member;
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
 * pods as load; a co-location or Volcano node's room, too, is offered by the one installation whose
 * claim the node carries.
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
      this(instance, List.of(Members.direct("online", client, Set.of(MemberRole.ONLINE))));
    }

    Installation(String instance, List<Member> members) throws Exception {
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
              new StaticMemberDirectory(members),
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
      return offers("online", node);
    }

    boolean offers(String cluster, String node) {
      return broker.offer(cluster, node).isPresent();
    }

    /** Whether this installation ever withdrew an offer of the node (so it had offered it). */
    boolean withdrew(String cluster, String node) {
      return broker.withdrawals.stream()
          .anyMatch(w -> w.getCluster().equals(cluster) && w.getNode().equals(node));
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
              // its claim refused, the other never offered the node, not even for a moment
              assertThat(loser.withdrew("online", free)).isFalse();
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

  @Test
  void theRoomOfEachColocationAndVolcanoNodeReachesOneInstallationOnly() throws Exception {
    SimulatedCluster train =
        SimulatedCluster.builder("train")
            .runtime(runtime)
            .clock(clock)
            .volcano(true)
            .nodes(NodeShape.of(2, "16", "64Gi"))
            .build();
    closing.add(train);
    SimulatedCluster colo =
        SimulatedCluster.builder("colo")
            .runtime(runtime)
            .clock(clock)
            .colocation(true)
            .nodes(NodeShape.of(1, "16", "64Gi"))
            .build();
    closing.add(colo);
    Map<String, KubernetesClient> clients = Map.of("train", train.client(), "colo", colo.client());
    List<Member> members =
        List.of(
            Members.direct("train", train.client(), Set.of(MemberRole.TRAINING)),
            Members.direct("colo", colo.client(), Set.of(MemberRole.COLOCATION)));
    Map<String, List<String>> roomy =
        Map.of(
            "train",
            train.nodeNames().stream().sorted().toList(),
            "colo",
            colo.nodeNames().stream().sorted().toList());
    Installation a = new Installation("a", members);
    closing.add(a);
    Installation b = new Installation("b", members);
    closing.add(b);

    // every node has room for both; exactly one claim stands on each (of two decided on one
    // version of the node, the first to land; the other is refused), and only its owner's broker
    // and detector have ever had the node's offer
    eventually().untilAsserted(() -> oneOwnerEach(a, b, clients, roomy));

    // an hour on, resync by resync: each owner renews its claims, neither takes the other's nodes
    Map<String, String> owners = null;
    Instant start = clock.instant();
    for (int i = 1; i <= 12; i++) {
      Instant t = start.plus(Duration.ofMinutes(5L * i));
      clock.set(t);
      eventually()
          .until(
              () ->
                  a.passedAt(t)
                      && b.passedAt(t)
                      && roomy.entrySet().stream()
                          .allMatch(
                              e ->
                                  e.getValue().stream()
                                      .allMatch(
                                          node ->
                                              t.toString()
                                                  .equals(
                                                      nodeAnnotations(clients.get(e.getKey()), node)
                                                          .get(GleanerKeys.LENT_RENEWED_AT)))));
      Map<String, String> now = oneOwnerEach(a, b, clients, roomy);
      if (owners == null) {
        owners = now;
      } else {
        assertThat(now).isEqualTo(owners);
      }
    }

    // the owner of a Volcano node that is cordoned has no room there any more: it withdraws and
    // removes its claim
    String cordoned = roomy.get("train").get(0);
    Installation owner = owners.get("train/" + cordoned).equals("a") ? a : b;
    clients
        .get("train")
        .nodes()
        .withName(cordoned)
        .edit(
            n -> {
              n.getSpec().setUnschedulable(true);
              return n;
            });
    eventually()
        .untilAsserted(
            () -> {
              assertThat(owner.offers("train", cordoned)).isFalse();
              assertThat(nodeLabels(clients.get("train"), cordoned))
                  .doesNotContainKeys(GleanerKeys.POOL, GleanerKeys.LENT_BY);
              assertThat(nodeAnnotations(clients.get("train"), cordoned))
                  .doesNotContainKey(GleanerKeys.LENT_RENEWED_AT);
            });
  }

  /**
   * Asserts that each node carries one installation's claim for its source and that only that
   * installation offers it; returns the owner of each {@code cluster/node}.
   */
  private static Map<String, String> oneOwnerEach(
      Installation a,
      Installation b,
      Map<String, KubernetesClient> clients,
      Map<String, List<String>> nodes) {
    Map<String, String> owners = new java.util.TreeMap<>();
    nodes.forEach(
        (cluster, names) -> {
          for (String node : names) {
            Map<String, String> l = nodeLabels(clients.get(cluster), node);
            String owner = l.get(GleanerKeys.LENT_BY);
            assertThat(owner).isIn("a", "b");
            assertThat(l)
                .containsEntry(GleanerKeys.POOL, cluster.equals("colo") ? "colocation" : "volcano");
            Installation winner = owner.equals("a") ? a : b;
            Installation loser = owner.equals("a") ? b : a;
            assertThat(winner.offers(cluster, node)).isTrue();
            assertThat(loser.offers(cluster, node)).isFalse();
            assertThat(loser.detector().offer(cluster, node)).isEmpty();
            assertThat(loser.withdrew(cluster, node))
                .as("%s offered %s/%s", loser.instance, cluster, node)
                .isFalse();
            owners.put(cluster + "/" + node, owner);
          }
        });
    return owners;
  }

  private static Map<String, String> nodeLabels(KubernetesClient c, String node) {
    Map<String, String> l = c.nodes().withName(node).get().getMetadata().getLabels();
    return l == null ? Map.of() : l;
  }

  private static Map<String, String> nodeAnnotations(KubernetesClient c, String node) {
    Map<String, String> a = c.nodes().withName(node).get().getMetadata().getAnnotations();
    return a == null ? Map.of() : a;
  }
}
