package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.v1.SourceKind;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pod controller against simulated API servers (metadata + two members) and a broker on real
 * gRPC.
 */
class PodControllerIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer m1Server;
  private SimulatedApiServer m2Server;
  private KubernetesClient meta;
  private KubernetesClient m1;
  private KubernetesClient m2;
  private FakeBroker broker;
  private ManagedChannel channel;
  private PodController controller;
  private SimpleMeterRegistry registry;
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
    m2Server = new SimulatedApiServer("m2", runtime, clock, ServerExtensions.NONE);
    meta = metaServer.newClient();
    m1 = m1Server.newClient();
    m2 = m2Server.newClient();
    meta.namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName("team-a")
                .endMetadata()
                .build())
        .create();
    broker =
        new FakeBroker(
            List.of(
                new FakeBroker.FakeNode("m1", "n1", SourceKind.IDLE, 4000),
                new FakeBroker.FakeNode("m2", "n2", SourceKind.COLOCATION, 4000)));
    channel = NettyChannelBuilder.forTarget(broker.target()).usePlaintext().build();
    startController();
  }

  private void startController() {
    registry = new SimpleMeterRegistry();
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1, "m2", m2)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            Clock.systemUTC(),
            UnaryOperator.identity(),
            new VkMetrics(registry),
            PodControllerConfig.defaults().withGc(Duration.ofHours(1), Duration.ZERO));
    controller.start();
  }

  @AfterEach
  void tearDown() {
    controller.close();
    channel.shutdownNow();
    broker.close();
    metaServer.close();
    m1Server.close();
    m2Server.close();
  }

  private Pod bound(String cpu) {
    return bound(
        new PodBuilder()
            .withNewMetadata()
            .withName("p" + (++seq))
            .withNamespace("team-a")
            .addToLabels(GleanerKeys.CLASS, "offline")
            .endMetadata()
            .withNewSpec()
            .withNodeName("gleaner")
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
            .endSpec(),
        true);
  }

  private Pod bound(PodBuilder b, boolean create) {
    Pod p = b.build();
    return create ? meta.pods().inNamespace("team-a").resource(p).create() : p;
  }

  private Pod metaPod(Pod p) {
    return meta.pods().inNamespace("team-a").withName(p.getMetadata().getName()).get();
  }

  private List<Pod> memberPods(KubernetesClient c) {
    return c.pods().inAnyNamespace().withLabel(GleanerKeys.MANAGED, "true").list().getItems();
  }

  private Optional<Pod> memberOf(Pod metaPod) {
    for (KubernetesClient c : List.of(m1, m2)) {
      List<Pod> l =
          c.pods()
              .inAnyNamespace()
              .withLabel(GleanerKeys.META_UID, metaPod.getMetadata().getUid())
              .list()
              .getItems();
      if (!l.isEmpty()) {
        return Optional.of(l.get(0));
      }
    }
    return Optional.empty();
  }

  private KubernetesClient clientOf(Pod member) {
    return "m1".equals(member.getMetadata().getAnnotations().get(GleanerKeys.CLUSTER)) ? m1 : m2;
  }

  /** Plays the member's scheduler + kubelet: the pod is Running on its node with an IP. */
  private void run(Pod member) {
    String node = member.getMetadata().getAnnotations().get(GleanerKeys.NODE);
    clientOf(member)
        .pods()
        .inNamespace(member.getMetadata().getNamespace())
        .withName(member.getMetadata().getName())
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"status\":{\"phase\":\"Running\","
                + "\"podIP\":\"10.9.0.7\",\"hostIP\":\"192.168.1.1\",\"startTime\":\"2025-01-01T00:00:00Z\","
                + "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"containerStatuses\":[{\"name\":\"main\","
                + "\"ready\":true,\"restartCount\":0,\"image\":\"busybox\",\"imageID\":\"\",\"state\":{\"running\":{}}}]}}");
  }

  @Test
  void boundPodRunsInMemberAndMetadataPodMirrorsIt() {
    Pod p = bound("500m");
    Pod member = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    assertThat(member.getMetadata().getLabels())
        .containsEntry(GleanerKeys.INSTANCE, "it")
        .containsEntry(GleanerKeys.META_UID, metaPod(p).getMetadata().getUid());
    assertThat(member.getSpec().getPriorityClassName()).isEqualTo("gleaner-offline");
    run(member);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Pod m = metaPod(p);
              assertThat(m.getStatus().getPhase()).isEqualTo("Running");
              assertThat(m.getStatus().getPodIP()).isEqualTo("10.9.0.7");
              assertThat(m.getStatus().getHostIP()).isEqualTo("192.168.1.1");
              assertThat(m.getStatus().getContainerStatuses()).hasSize(1);
            });
    await().atMost(WAIT).until(() -> broker.confirms.get() >= 1);
    assertThat(broker.placements().get(metaPod(p).getMetadata().getUid()).getConfirmed()).isTrue();
    // a lapsed heartbeat of the virtual node must never evict it from the metadata cluster; in the
    // member it keeps
    // the member's own defaults
    assertThat(metaPod(p).getSpec().getTolerations())
        .filteredOn(t -> "NoExecute".equals(t.getEffect()))
        .extracting(t -> t.getKey() + "/" + t.getOperator() + "/" + t.getTolerationSeconds())
        .containsExactlyInAnyOrder(
            "node.kubernetes.io/not-ready/Exists/null",
            "node.kubernetes.io/unreachable/Exists/null");
    assertThat(member.getSpec().getTolerations())
        .extracting(t -> t.getKey())
        .doesNotContain("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable");
  }

  @Test
  void aDeadlineSetOrLoweredOnARunningMetadataPodIsGivenToItsMemberPod() {
    Pod p = bound("500m");
    Pod member = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    assertThat(member.getSpec().getActiveDeadlineSeconds()).isNull();
    run(member);
    await().atMost(WAIT).until(() -> "Running".equals(metaPod(p).getStatus().getPhase()));

    // set where there was none, then lowered, as the API allows; a kubelet on the virtual node
    // would stop the pod at it, so the member's kubelet must know it
    for (long deadline : new long[] {3600, 600}) {
      meta.pods()
          .inNamespace("team-a")
          .withName(p.getMetadata().getName())
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              "{\"spec\":{\"activeDeadlineSeconds\":" + deadline + "}}");
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(
                          memberOf(metaPod(p)).orElseThrow().getSpec().getActiveDeadlineSeconds())
                      .isEqualTo(deadline));
    }
    assertThat(registry.counter(VkMetrics.SYNCS, "outcome", "deadline_lowered").count())
        .isEqualTo(2.0);
  }

  @Test
  void aReadinessGateOpenedOnTheMetadataPodMakesItReadyAndItsConditionsStay() {
    Pod p =
        bound(
            new PodBuilder()
                .withNewMetadata()
                .withName("gated-" + (++seq))
                .withNamespace("team-a")
                .addToLabels(GleanerKeys.CLASS, "offline")
                .endMetadata()
                .withNewSpec()
                .withNodeName("gleaner")
                .addNewReadinessGate("example.com/lb-ready")
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .endContainer()
                .addNewToleration()
                .withKey("virtual-kubelet.io/provider")
                .withOperator("Exists")
                .endToleration()
                .endSpec(),
            true);
    Pod member = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    assertThat(member.getSpec().getReadinessGates()).isNullOrEmpty();
    run(member);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              PodCondition ready = StatusMirror.condition(metaPod(p).getStatus(), "Ready");
              assertThat(ready).isNotNull();
              assertThat(ready.getStatus()).isEqualTo("False");
              assertThat(ready.getReason()).isEqualTo("ReadinessGatesNotReady");
            });
    // the gate's controller, in the metadata cluster, opens it
    meta.pods()
        .inNamespace("team-a")
        .withName(p.getMetadata().getName())
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.STRATEGIC_MERGE),
            "{\"status\":{\"conditions\":[{\"type\":\"example.com/lb-ready\",\"status\":\"True\"}]}}");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              PodStatus s = metaPod(p).getStatus();
              assertThat(StatusMirror.condition(s, "Ready").getStatus()).isEqualTo("True");
              assertThat(StatusMirror.condition(s, "example.com/lb-ready").getStatus())
                  .isEqualTo("True");
            });
  }

  @Test
  void gracefulDeletePropagatesAndMetadataPodIsRemovedOnceMemberIsGone() {
    Pod p = bound("500m");
    Pod member = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    meta.pods()
        .inNamespace("team-a")
        .withName(p.getMetadata().getName())
        .withGracePeriod(17)
        .delete();
    await().atMost(WAIT).until(() -> metaPod(p) == null);
    assertThat(memberOf(p)).isEmpty();
    await().atMost(WAIT).until(() -> broker.placements().isEmpty());
    assertThat(member).isNotNull();
  }

  @Test
  void memberEvictionFailsMetadataPodAsReclaimed() {
    Pod p = bound("500m");
    Pod member = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    run(member);
    await().atMost(WAIT).until(() -> "Running".equals(metaPod(p).getStatus().getPhase()));
    clientOf(member)
        .pods()
        .inNamespace(member.getMetadata().getNamespace())
        .withName(member.getMetadata().getName())
        .evict(
            new EvictionBuilder()
                .withNewMetadata()
                .withName(member.getMetadata().getName())
                .withNamespace(member.getMetadata().getNamespace())
                .endMetadata()
                .build());
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Pod m = metaPod(p);
              assertThat(m.getStatus().getPhase()).isEqualTo("Failed");
              assertThat(m.getStatus().getReason()).isEqualTo("Reclaimed");
              assertThat(m.getStatus().getMessage())
                  .contains(
                      member.getMetadata().getAnnotations().get(GleanerKeys.CLUSTER),
                      member.getMetadata().getAnnotations().get(GleanerKeys.NODE));
            });
    await().atMost(WAIT).until(() -> broker.placements().isEmpty());
  }

  /**
   * A member pod deleted before the virtual-kubelet's status sync ever saw it (its add and delete
   * events both reached the cache first, as under load): the pod it created is gone all the same,
   * and the metadata pod is reclaimed. Status syncs are held (only on the status queue's threads)
   * until the cache has seen the member pod come and go.
   */
  @Test
  void aMemberPodDeletedBeforeItsStatusSyncSawItFailsTheMetadataPodAsReclaimed() {
    AtomicBoolean holdStatus = new AtomicBoolean(true);
    controller.close();
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1, "m2", m2)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            Clock.systemUTC(),
            UnaryOperator.identity(),
            new VkMetrics(registry),
            PodControllerConfig.defaults().withGc(Duration.ofHours(1), Duration.ZERO));
    controller.pauseUnless(
        () -> !holdStatus.get() || !Thread.currentThread().getName().startsWith("vk-status"));
    controller.start();
    Pod p = bound("500m");
    Pod member = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    String cluster = member.getMetadata().getAnnotations().get(GleanerKeys.CLUSTER);
    await().atMost(WAIT).until(() -> controller.memberPods().get(cluster).size() == 1);
    clientOf(member)
        .pods()
        .inNamespace(member.getMetadata().getNamespace())
        .withName(member.getMetadata().getName())
        .withGracePeriod(0)
        .delete();
    await().atMost(WAIT).until(() -> controller.memberPods().get(cluster).isEmpty());
    holdStatus.set(false);

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Pod m = metaPod(p);
              assertThat(m.getStatus().getPhase()).isEqualTo("Failed");
              assertThat(m.getStatus().getReason()).isEqualTo("Reclaimed");
              assertThat(m.getStatus().getMessage())
                  .contains(cluster, member.getMetadata().getAnnotations().get(GleanerKeys.NODE));
            });
    await().atMost(WAIT).until(() -> broker.placements().isEmpty());
  }

  /**
   * Evicted (the member pod's DisruptionTarget seen), or deleted at once (its status sync finds no
   * member pod: the cause is kept from its final state).
   */
  @ParameterizedTest(name = "evicted={0}")
  @ValueSource(booleans = {true, false})
  void aPodTakenForATeamsGuaranteeSaysSoInItsStatus(boolean evicted) {
    Pod p = bound("500m");
    Pod member = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    run(member);
    await().atMost(WAIT).until(() -> "Running".equals(metaPod(p).getStatus().getPhase()));
    // as the descheduler does (FabricMemberActions.note, then the eviction)
    clientOf(member)
        .pods()
        .inNamespace(member.getMetadata().getNamespace())
        .withName(member.getMetadata().getName())
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\""
                + GleanerKeys.RECLAIM_REASON
                + "\":\"TeamGuarantee\",\""
                + GleanerKeys.RECLAIM_MESSAGE
                + "\":\"Gleaner gave the pod's room to team ads, below its guaranteed share with"
                + " pods waiting\"}}}");
    var memberPod =
        clientOf(member)
            .pods()
            .inNamespace(member.getMetadata().getNamespace())
            .withName(member.getMetadata().getName());
    if (evicted) {
      memberPod.evict(
          new EvictionBuilder()
              .withNewMetadata()
              .withName(member.getMetadata().getName())
              .withNamespace(member.getMetadata().getNamespace())
              .endMetadata()
              .build());
    } else {
      memberPod.withGracePeriod(0).delete();
    }
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Pod m = metaPod(p);
              assertThat(m.getStatus().getPhase()).isEqualTo("Failed");
              assertThat(m.getStatus().getReason()).isEqualTo("Reclaimed");
              assertThat(m.getStatus().getMessage())
                  .contains(
                      member.getMetadata().getAnnotations().get(GleanerKeys.CLUSTER),
                      "TeamGuarantee",
                      "team ads, below its guaranteed share");
            });
  }

  /**
   * fabric8's informer drops a deleted member pod from its cache before it hands the delete notice
   * (with the pod's final state: why Gleaner took it) to its listener on another thread. A status
   * sync that runs in between, here one the test runs while it holds the notice, decides nothing:
   * the reclaim waits for the notice and keeps the reason.
   */
  @Test
  void aStatusSyncBetweenTheCacheDropAndTheDeleteNoticeKeepsWhyThePodWasTaken() throws Exception {
    java.util.concurrent.BlockingQueue<Runnable> held =
        new java.util.concurrent.LinkedBlockingQueue<>();
    controller.dispatchMemberDeleteNotices(held::add);
    Pod p = bound("500m");
    Pod member = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    run(member);
    await().atMost(WAIT).until(() -> "Running".equals(metaPod(p).getStatus().getPhase()));
    var memberPod =
        clientOf(member)
            .pods()
            .inNamespace(member.getMetadata().getNamespace())
            .withName(member.getMetadata().getName());
    memberPod.patch(
        PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\""
            + GleanerKeys.RECLAIM_REASON
            + "\":\"TeamGuarantee\",\""
            + GleanerKeys.RECLAIM_MESSAGE
            + "\":\"Gleaner gave the pod's room to team ads, below its guaranteed share with"
            + " pods waiting\"}}}");
    memberPod.withGracePeriod(0).delete();

    Runnable notice = held.poll(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    assertThat(notice).as("the member informer dropped the pod and holds its notice").isNotNull();
    String uid = p.getMetadata().getUid();
    assertThat(controller.syncStatus(uid)).isEqualTo(WorkQueue.Result.DONE);
    PodStatus meanwhile = metaPod(p).getStatus();
    assertThat(meanwhile.getPhase())
        .as("no reclaim decided without the notice (%s)", meanwhile.getMessage())
        .isEqualTo("Running");

    notice.run();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Pod m = metaPod(p);
              assertThat(m.getStatus().getPhase()).isEqualTo("Failed");
              assertThat(m.getStatus().getReason()).isEqualTo("Reclaimed");
              assertThat(m.getStatus().getMessage())
                  .contains(
                      member.getMetadata().getAnnotations().get(GleanerKeys.CLUSTER),
                      "TeamGuarantee",
                      "team ads, below its guaranteed share");
            });
  }

  @Test
  void pvcPodIsRefusedAndNothingIsCreated() {
    Pod p =
        bound(
            new PodBuilder(bound("100m"))
                .editMetadata()
                .withName("with-pvc")
                .withUid(null)
                .withResourceVersion(null)
                .endMetadata()
                .editSpec()
                .addNewVolume()
                .withName("data")
                .withNewPersistentVolumeClaim()
                .withClaimName("claim")
                .endPersistentVolumeClaim()
                .endVolume()
                .endSpec(),
            true);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Pod m = metaPod(p);
              assertThat(m.getStatus().getPhase()).isEqualTo("Failed");
              assertThat(m.getStatus().getReason()).isEqualTo("UnsupportedVolume");
              assertThat(m.getStatus().getMessage()).contains("claim");
            });
    assertThat(memberOf(metaPod(p))).isEmpty();
  }

  @Test
  void daemonSetPodStaysPendingWithReason() {
    Pod p =
        bound(
            new PodBuilder(bound("100m"))
                .editMetadata()
                .withName("ds-pod")
                .withUid(null)
                .withResourceVersion(null)
                .addNewOwnerReference()
                .withApiVersion("apps/v1")
                .withKind("DaemonSet")
                .withName("node-exporter")
                .withUid("ds-uid")
                .withController(true)
                .endOwnerReference()
                .endMetadata(),
            true);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Pod m = metaPod(p);
              assertThat(m.getStatus().getPhase()).isEqualTo("Pending");
              assertThat(m.getStatus().getConditions())
                  .anySatisfy(
                      c -> {
                        assertThat(c.getType()).isEqualTo("PodScheduled");
                        assertThat(c.getReason()).isEqualTo("DaemonSetNotSupported");
                        assertThat(c.getMessage()).contains("node-exporter");
                      });
            });
    assertThat(memberOf(metaPod(p))).isEmpty();
  }

  @Test
  void aPodWithoutRoomNowStaysPendingWithBrokerMessage() {
    bound("3");
    bound("3");
    await().atMost(WAIT).until(() -> broker.placements().size() == 2);
    Pod p = bound("2");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(metaPod(p).getStatus().getConditions())
                    .anySatisfy(
                        c -> {
                          assertThat(c.getReason()).isEqualTo("NoMemberFit");
                          assertThat(c.getMessage()).contains("largest free node offers");
                        }));
    assertThat(metaPod(p).getStatus().getPhase()).isEqualTo("Pending");
  }

  @Test
  void unschedulableMemberPodIsReplacedOnAnotherNode() {
    Pod p = bound("500m");
    Pod first = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    String firstNode = first.getMetadata().getAnnotations().get(GleanerKeys.NODE);
    clientOf(first)
        .pods()
        .inNamespace(first.getMetadata().getNamespace())
        .withName(first.getMetadata().getName())
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"status\":{\"phase\":\"Pending\","
                + "\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\",\"reason\":\"Unschedulable\","
                + "\"message\":\"0/1 nodes are available: 1 Insufficient cpu.\"}]}}");
    await()
        .atMost(WAIT)
        .until(
            () ->
                memberOf(metaPod(p))
                    .map(
                        m ->
                            !firstNode.equals(
                                m.getMetadata().getAnnotations().get(GleanerKeys.NODE)))
                    .orElse(false));
    assertThat(registry.find(VkMetrics.REPLACEMENTS).counter().count()).isEqualTo(1.0);
    assertThat(memberPods(m1).size() + memberPods(m2).size()).isEqualTo(1);
  }

  @Test
  void transientBrokerOutageIsRetriedNotFailed() {
    broker.setFailing(true);
    Pod p = bound("500m");
    await().atMost(WAIT).until(() -> broker.places.get() >= 3);
    assertThat(
            metaPod(p).getStatus() == null || !"Failed".equals(metaPod(p).getStatus().getPhase()))
        .isTrue();
    broker.setFailing(false);
    await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent);
  }

  @Test
  void restartAdoptsMemberPodsAndCreatesNoDuplicates() {
    List<Pod> pods = new ArrayList<>();
    org.slf4j.LoggerFactory.getLogger(getClass()).info("start");
    for (int i = 0; i < 10; i++) {
      pods.add(bound("100m"));
    }
    await().atMost(WAIT).until(() -> memberPods(m1).size() + memberPods(m2).size() == 10);
    // confirmed before the kill: a pod created but not yet confirmed is rightly confirmed after the
    // restart
    await().atMost(WAIT).until(() -> broker.confirms.get() >= 10);
    org.slf4j.LoggerFactory.getLogger(getClass()).info("10 member pods; closing");
    controller.close();
    org.slf4j.LoggerFactory.getLogger(getClass()).info("closed");
    int placesBefore = broker.places.get();
    int confirmsBefore = broker.confirms.get();
    for (int i = 0; i < 5; i++) {
      pods.add(bound("100m"));
    }
    startController();
    org.slf4j.LoggerFactory.getLogger(getClass()).info("restarted");
    await().atMost(WAIT).until(() -> memberPods(m1).size() + memberPods(m2).size() == 15);
    org.slf4j.LoggerFactory.getLogger(getClass()).info("15 member pods");
    for (Pod p : pods) {
      await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent);
    }
    // give a duplicate a chance to show up, then check the count is exact
    await().pollDelay(Duration.ofMillis(500)).atMost(WAIT).until(() -> true);
    assertThat(memberPods(m1).size() + memberPods(m2).size()).isEqualTo(15);
    assertThat(broker.places.get() - placesBefore)
        .as("only the 5 new pods were placed")
        .isEqualTo(5);
    assertThat(broker.confirms.get() - confirmsBefore)
        .as("adopted pods the broker lists as confirmed are not confirmed again")
        .isEqualTo(5);
    org.slf4j.LoggerFactory.getLogger(getClass()).info("end");
  }

  @Test
  void unreachableMemberSetsAConditionAndFailsThePodOnlyAfterTheTimeout() {
    controller.close();
    java.util.concurrent.atomic.AtomicBoolean m1Up =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1, "m2", m2), c -> !"m1".equals(c) || m1Up.get()),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            Clock.systemUTC(),
            UnaryOperator.identity(),
            new VkMetrics(registry),
            PodControllerConfig.defaults().withGc(Duration.ofHours(1), Duration.ZERO));
    controller.unreachableTimeout(() -> Duration.ofSeconds(2));
    controller.start();
    Pod p = bound("100m");
    Pod member = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    assertThat(member.getMetadata().getAnnotations().get(GleanerKeys.CLUSTER)).isEqualTo("m1");
    run(member);
    await().atMost(WAIT).until(() -> "Running".equals(metaPod(p).getStatus().getPhase()));

    m1Up.set(false);
    long partitionedAt = System.nanoTime();
    controller.sweepUnreachable();
    await()
        .atMost(WAIT)
        .until(
            () ->
                StatusMirror.condition(
                        metaPod(p).getStatus(), GleanerKeys.CONDITION_MEMBER_REACHABLE)
                    != null);
    assertThat(metaPod(p).getStatus().getPhase())
        .as("not failed before the policy's timeout")
        .isEqualTo("Running");
    assertThat(
            StatusMirror.condition(metaPod(p).getStatus(), GleanerKeys.CONDITION_MEMBER_REACHABLE)
                .getStatus())
        .isEqualTo("False");

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              controller.sweepUnreachable();
              assertThat(metaPod(p).getStatus().getPhase()).isEqualTo("Failed");
            });
    assertThat(Duration.ofNanos(System.nanoTime() - partitionedAt))
        .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    assertThat(metaPod(p).getStatus().getReason())
        .isEqualTo(StatusMirror.REASON_MEMBER_UNREACHABLE);
    assertThat(metaPod(p).getStatus().getMessage()).contains("m1");
    assertThat(broker.releaseReasons).contains("member unreachable");
  }

  @Test
  void orphanGcDeletesOnlyThisInstancesPods() {
    Pod p = bound("100m");
    Pod member = await().atMost(WAIT).until(() -> memberOf(metaPod(p)), Optional::isPresent).get();
    KubernetesClient c = clientOf(member);
    String ns = member.getMetadata().getNamespace();
    c.pods()
        .inNamespace(ns)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("gl-other")
                .withNamespace(ns)
                .addToLabels(GleanerKeys.MANAGED, "true")
                .addToLabels(GleanerKeys.INSTANCE, "someone-else")
                .addToLabels(GleanerKeys.META_UID, "gone-1")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("x")
                .endContainer()
                .endSpec()
                .build())
        .create();
    c.pods()
        .inNamespace(ns)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("gl-mine")
                .withNamespace(ns)
                .addToLabels(GleanerKeys.MANAGED, "true")
                .addToLabels(GleanerKeys.INSTANCE, "it")
                .addToLabels(GleanerKeys.META_UID, "gone-2")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("x")
                .endContainer()
                .endSpec()
                .build())
        .create();
    await()
        .atMost(WAIT)
        .until(() -> controller.memberPods().values().stream().mapToInt(List::size).sum() == 2);
    assertThat(controller.collectOrphans()).isEqualTo(1);
    await().atMost(WAIT).until(() -> c.pods().inNamespace(ns).withName("gl-mine").get() == null);
    assertThat(c.pods().inNamespace(ns).withName("gl-other").get()).isNotNull();
    assertThat(memberOf(metaPod(p))).isPresent();
  }

  private Pod boundWith(Map<String, String> requests) {
    Map<String, Quantity> q = new java.util.LinkedHashMap<>();
    requests.forEach((k, v) -> q.put(k, new Quantity(v)));
    return bound(
        new PodBuilder()
            .withNewMetadata()
            .withName("p" + (++seq))
            .withNamespace("team-a")
            .addToLabels(GleanerKeys.CLASS, "offline")
            .endMetadata()
            .withNewSpec()
            .withNodeName("gleaner")
            .addNewContainer()
            .withName("main")
            .withImage("busybox")
            .withNewResources()
            .addToRequests(q)
            .addToLimits(q)
            .endResources()
            .endContainer()
            .endSpec(),
        true);
  }

  private Pod awaitPhase(Pod p, String phase) {
    return await()
        .atMost(WAIT)
        .until(
            () -> metaPod(p), m -> m.getStatus() != null && phase.equals(m.getStatus().getPhase()));
  }

  @Test
  void aPodNoMemberCouldEverHoldFailsAtOnceWithTheBrokersReasonAndALaterPodRuns() {
    Pod huge = bound("5000");
    Pod fpga = boundWith(Map.of("cpu", "1", "example.com/fpga", "1"));
    Pod ordinary = bound("500m");

    Pod hugeFailed = awaitPhase(huge, "Failed");
    assertThat(hugeFailed.getStatus().getReason()).isEqualTo("OutOfcpu");
    assertThat(hugeFailed.getStatus().getMessage()).isEqualTo("never fits: cpu");
    Pod fpgaFailed = awaitPhase(fpga, "Failed");
    assertThat(fpgaFailed.getStatus().getReason()).isEqualTo("OutOfexample.com/fpga");
    await().atMost(WAIT).until(() -> memberOf(metaPod(ordinary)), Optional::isPresent);
    assertThat(memberOf(hugeFailed)).isEmpty();
    assertThat(memberOf(fpgaFailed)).isEmpty();
    assertThat(registry.get("gleaner.vk.syncs").tag("outcome", "never_fits").counter().count())
        .isEqualTo(2);
    // nothing was reserved for them, and a failed pod is never placed after all
    assertThat(broker.placements()).hasSize(1);
  }

  @Test
  void aPodThatCouldFitLaterWaitsForThePendingTimeoutThenFails() {
    controller.close();
    Duration timeout = Duration.ofSeconds(2);
    controller =
        new PodController(
            meta,
            MemberClusters.of(Map.of("m1", m1, "m2", m2)),
            BrokerApiClient.on(channel, Duration.ofSeconds(5)),
            new MemberPodTranslator(TranslationConfig.defaults("it", "gleaner")),
            Clock.systemUTC(),
            UnaryOperator.identity(),
            new VkMetrics(registry),
            PodControllerConfig.defaults()
                .withGc(Duration.ofHours(1), Duration.ZERO)
                .withPendingTimeout(timeout));
    controller.start();
    Pod a = bound("3");
    Pod b = bound("3");
    await().atMost(WAIT).until(() -> broker.placements().size() == 2);
    long submitted = System.nanoTime();
    Pod later = bound("3");
    Pod waiting =
        await()
            .atMost(WAIT)
            .until(
                () -> metaPod(later),
                m ->
                    StatusMirror.condition(m.getStatus(), "PodScheduled") != null
                        && "NoMemberFit"
                            .equals(
                                StatusMirror.condition(m.getStatus(), "PodScheduled").getReason()));
    assertThat(waiting.getStatus().getPhase()).isEqualTo("Pending");
    Pod small = bound("500m");
    await().atMost(WAIT).until(() -> memberOf(metaPod(small)), Optional::isPresent);

    Pod failed = awaitPhase(later, "Failed");
    assertThat(Duration.ofNanos(System.nanoTime() - submitted)).isGreaterThanOrEqualTo(timeout);
    assertThat(failed.getStatus().getReason()).isEqualTo("NoMemberFit");
    assertThat(failed.getStatus().getMessage())
        .isEqualTo(
            "no member node had room for the pod within the pending timeout (2s): largest free"
                + " node offers 1000m CPU, pod requests 3000m");
    assertThat(memberOf(failed)).isEmpty();
    assertThat(memberOf(metaPod(a))).isPresent();
    assertThat(memberOf(metaPod(b))).isPresent();
    assertThat(registry.get("gleaner.vk.syncs").tag("outcome", "pending_timeout").counter().count())
        .isEqualTo(1);
  }
}
