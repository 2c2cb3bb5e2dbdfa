package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ResourceTypes;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.testing.FakeBroker;
import io.gleaner.vk.translate.MemberPodTranslator;
import io.gleaner.vk.translate.StatusMirror;
import io.gleaner.vk.translate.TranslationConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fair placement in the pod controller against a simulated metadata API server and member, and a
 * broker on real gRPC with one 4-CPU member node: pods waiting for room are placed in DRF order,
 * and a waiting pod says why in the condition {@code gleaner.io/TeamTurn}.
 */
class FairPlacementIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Teams TEAMS =
      new Teams(
          List.of(
              Team.of("flood", 1, "flood"),
              Team.of("calm", 1, "calm"),
              Team.of("capped", 1, "capped").withCap(Map.of("cpu", 1000L))),
          Team.of("default", 1));
  private static SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private KubernetesClient meta;
  private KubernetesClient m1;
  private FakeBroker broker;
  private ManagedChannel channel;
  private PodController controller;
  private int seq;

  @BeforeAll
  static void runtime() {
    runtime = SimRuntime.create();
  }

  @AfterAll
  static void closeRuntime() {
    runtime.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    Clock clock = Clock.systemUTC();
    metaServer = new SimulatedApiServer("meta", runtime, clock, ServerExtensions.NONE);
    m1Server = new SimulatedApiServer("m1", runtime, clock, ServerExtensions.NONE);
    metaServer.store().types().register(ResourceTypes.PODGROUPS);
    m1Server.store().types().register(ResourceTypes.PODGROUPS);
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    for (String ns : List.of("flood", "calm", "capped")) {
      meta.namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .create();
    }
    broker = new FakeBroker(List.of(new FakeBroker.FakeNode("m1", "n1", SourceKind.IDLE, 4000)));
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    controller =
        controller(
            PodControllerConfig.defaults().withGc(Duration.ofHours(1), Duration.ZERO),
            new SimpleMeterRegistry());
    controller.start();
  }

  /**
   * A pod controller on the member m1 and the broker, fair among {@link #TEAMS}; not started. (The
   * pool is held at 4 CPUs: shares stay as the messages below state when a node is added.)
   */
  private PodController controller(PodControllerConfig config, SimpleMeterRegistry registry) {
    PodController c =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            Clock.systemUTC(),
            UnaryOperator.identity(),
            new VkMetrics(registry),
            config);
    c.fairness(() -> TEAMS, () -> Resources.of("cpu", "4"));
    return c;
  }

  @AfterEach
  void tearDown() {
    controller.close();
    channel.shutdownNow();
    broker.close();
    metaServer.close();
    m1Server.close();
  }

  private Pod bound(String namespace, String cpu) {
    return bound(namespace, cpu, null);
  }

  /** A pod bound to the virtual node; a member of the Volcano PodGroup {@code gang} if not null. */
  private Pod bound(String namespace, String cpu, String gang) {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName(namespace + "-" + (++seq))
            .withNamespace(namespace)
            .addToLabels(GleanerKeys.CLASS, "offline")
            .addToAnnotations(
                gang == null ? Map.of() : Map.of("scheduling.k8s.io/group-name", gang))
            .endMetadata()
            .withNewSpec()
            .withNodeName("gleaner")
            .withTerminationGracePeriodSeconds(0L)
            .addNewContainer()
            .withName("main")
            .withImage("busybox")
            .withNewResources()
            .addToRequests("cpu", new Quantity(cpu))
            .endResources()
            .endContainer()
            .addNewToleration()
            .withKey("virtual-kubelet.io/provider")
            .withOperator("Exists")
            .endToleration()
            .endSpec()
            .build();
    return meta.pods().inNamespace(namespace).resource(p).create();
  }

  private void podGroup(String namespace, String name, int minMember) {
    GenericKubernetesResource pg =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("scheduling.volcano.sh/v1beta1")
            .withKind("PodGroup")
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(name)
            .endMetadata()
            .build();
    pg.setAdditionalProperty("spec", Map.of("minMember", minMember));
    meta.genericKubernetesResources("scheduling.volcano.sh/v1beta1", "PodGroup")
        .inNamespace(namespace)
        .resource(pg)
        .create();
  }

  private Pod metaPod(Pod p) {
    return meta.pods()
        .inNamespace(p.getMetadata().getNamespace())
        .withName(p.getMetadata().getName())
        .get();
  }

  private boolean hasMember(Pod metaPod) {
    return !m1.pods()
        .inAnyNamespace()
        .withLabel(GleanerKeys.META_UID, metaPod.getMetadata().getUid())
        .list()
        .getItems()
        .isEmpty();
  }

  private Optional<PodCondition> teamTurn(Pod p) {
    Pod m = metaPod(p);
    return Optional.ofNullable(
        m == null ? null : StatusMirror.condition(m.getStatus(), FairGate.CONDITION));
  }

  @Test
  void whenRoomFreesTheTeamWithTheSmallerShareGoesFirstAndTheOthersSayWhy() {
    List<Pod> running = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      running.add(bound("flood", "1"));
    }
    await().atMost(WAIT).until(() -> running.stream().allMatch(p -> hasMember(metaPod(p))));
    // the node is full: the flood team's next pods wait, then the calm team's
    List<Pod> floodWaiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      floodWaiting.add(bound("flood", "1"));
    }
    await()
        .atMost(WAIT)
        .until(
            () ->
                floodWaiting.stream()
                    .allMatch(
                        p -> {
                          PodCondition c =
                              StatusMirror.condition(metaPod(p).getStatus(), "PodScheduled");
                          return c != null && "NoMemberFit".equals(c.getReason());
                        }));
    Pod calm1 = bound("calm", "1");
    Pod calm2 = bound("calm", "1");

    // calm holds nothing, flood the whole pool: flood's waiting pods say calm goes first
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(teamTurn(floodWaiting.get(0)))
                    .get()
                    .satisfies(
                        c -> {
                          assertThat(c.getStatus()).isEqualTo("False");
                          assertThat(c.getReason()).isEqualTo("WaitingForTeamTurn");
                          assertThat(c.getMessage())
                              .startsWith(
                                  "harvested room goes first to team calm (weighted share 0)")
                              .endsWith("team flood holds weighted share 1 (weight 1)");
                        }));

    // the calm team is first in line (and the round that said so is over)
    await()
        .atMost(WAIT)
        .until(
            () ->
                List.of(calm1, calm2).stream()
                    .allMatch(
                        p ->
                            teamTurn(p)
                                .map(
                                    c ->
                                        "True".equals(c.getStatus())
                                            && "TeamGoesFirst".equals(c.getReason()))
                                .orElse(false)));
    // a node with two CPUs starts lending: both CPUs go to calm, though flood's waiting pods are
    // older
    broker.addNode(new FakeBroker.FakeNode("m1", "n2", SourceKind.IDLE, 2000));
    controller.capacityChanged();

    await().atMost(WAIT).until(() -> hasMember(metaPod(calm1)) && hasMember(metaPod(calm2)));
    for (Pod p : floodWaiting) {
      assertThat(hasMember(metaPod(p))).as(p.getMetadata().getName()).isFalse();
      assertThat(metaPod(p).getStatus().getPhase()).isEqualTo("Pending");
    }
  }

  @Test
  void aTeamAtItsCapWaitsWhileRoomIsFreeAndItsPodSaysSo() {
    Pod first = bound("capped", "1");
    await().atMost(WAIT).until(() -> hasMember(metaPod(first)));
    Pod second = bound("capped", "500m");
    Pod other = bound("calm", "1");

    await().atMost(WAIT).until(() -> hasMember(metaPod(other)));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(teamTurn(second))
                    .get()
                    .satisfies(
                        c -> {
                          assertThat(c.getStatus()).isEqualTo("False");
                          assertThat(c.getReason()).isEqualTo("TeamAtCap");
                          assertThat(c.getMessage())
                              .isEqualTo(
                                  "team capped is at its cap: cpu held 1 + requested 500m > cap 1");
                        }));
    assertThat(hasMember(metaPod(second))).isFalse();

    // the first pod ends: the second now fits under the cap and is placed
    meta.pods().resource(first).delete();
    await().atMost(WAIT).until(() -> metaPod(first) == null);
    controller.capacityChanged();
    await().atMost(WAIT).until(() -> hasMember(metaPod(second)));
  }

  @Test
  void aGangTakesItsTeamsTurnAsOneUnitAndWaitsWholeAtTheCap() {
    Pod single = bound("capped", "500m");
    await().atMost(WAIT).until(() -> hasMember(metaPod(single)));
    // two workers of 500m: the gang's whole demand (1 CPU) would take the team over its cap of 1
    podGroup("capped", "train", 2);
    Pod w1 = bound("capped", "500m", "train");
    Pod w2 = bound("capped", "500m", "train");

    for (Pod w : List.of(w1, w2)) {
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(teamTurn(w))
                      .get()
                      .satisfies(
                          c -> {
                            assertThat(c.getStatus()).isEqualTo("False");
                            assertThat(c.getReason()).isEqualTo("TeamAtCap");
                            assertThat(c.getMessage())
                                .isEqualTo(
                                    "team capped is at its cap: cpu held 500m + requested 1 > cap"
                                        + " 1");
                          }));
    }
    // the round that wrote the condition tried the gang and held it back: nothing was reserved
    assertThat(broker.placements()).containsOnlyKeys(metaPod(single).getMetadata().getUid());
    assertThat(hasMember(metaPod(w1)) || hasMember(metaPod(w2))).isFalse();

    // the single pod ends: the whole gang fits under the cap and is placed, both workers at once
    meta.pods().resource(single).delete();
    await().atMost(WAIT).until(() -> metaPod(single) == null);
    controller.capacityChanged();
    await().atMost(WAIT).until(() -> hasMember(metaPod(w1)) && hasMember(metaPod(w2)));
  }

  @Test
  void aGangWhoseTurnIsAnsweredAfterItsPodsFailedAtTheirDeadlineHoldsNoRoom() {
    // a controller whose pods wait 2 s at most; the broker answers the gang's turn only after its
    // pods failed at that deadline (a slow answer racing the timeout)
    controller.close();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    controller =
        controller(
            PodControllerConfig.defaults()
                .withGc(Duration.ofHours(1), Duration.ZERO)
                .withPendingTimeout(Duration.ofSeconds(2)),
            registry);
    java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
    broker.holdGangPlacements(answer);
    controller.start();

    podGroup("calm", "late", 2);
    List<Pod> workers = List.of(bound("calm", "500m", "late"), bound("calm", "500m", "late"));
    await()
        .atMost(WAIT)
        .until(
            () ->
                registry.counter(VkMetrics.SYNCS, "outcome", "gang_timeout").count() >= 2
                    && workers.stream()
                        .allMatch(w -> "Failed".equals(metaPod(w).getStatus().getPhase())));
    answer.countDown(); // the broker reserves the gang now, for pods that failed

    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(broker.placements()).as("reservations held").isEmpty());
    for (Pod w : workers) {
      assertThat(metaPod(w).getStatus().getReason()).isEqualTo("GangNotSchedulable");
      assertThat(hasMember(metaPod(w))).isFalse();
    }
  }
}
