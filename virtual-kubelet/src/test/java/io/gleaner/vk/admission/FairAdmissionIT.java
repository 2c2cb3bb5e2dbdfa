package io.gleaner.vk.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Fair admission against a simulated metadata API server (no scheduler: the test binds by hand):
 * gated pods lose {@code gleaner.io/fair-share} in weighted DRF order while they fit in the virtual
 * node's room, the others say why in {@code gleaner.io/FairShare} once, pods without the gate are
 * left alone, and nothing is done while the replica may not act.
 */
class FairAdmissionIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final KubeTaint TAINT =
      KubeTaint.of(GleanerKeys.VIRTUAL_NODE_TAINT_KEY, "gleaner", "NoSchedule");
  private static final Teams TEAMS =
      new Teams(List.of(Team.of("ml", 1, "ml"), Team.of("ads", 2, "ads")), Team.of("default", 1));
  private static SimRuntime runtime;
  private SimulatedApiServer server;
  private KubernetesClient meta;
  private AdmissionMetrics metrics;
  private final AtomicBoolean leading = new AtomicBoolean(true);
  private FairAdmission admission;
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
  void setUp() {
    server = new SimulatedApiServer("meta", runtime, Clock.systemUTC(), ServerExtensions.NONE);
    meta = server.newClient();
    for (String ns : List.of("ml", "ads")) {
      meta.namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .create();
    }
    metrics = new AdmissionMetrics(new SimpleMeterRegistry());
    admission =
        new FairAdmission(
            meta,
            TAINT,
            Clock.systemUTC(),
            metrics,
            () ->
                meta
                    .pods()
                    .inAnyNamespace()
                    .withField("spec.nodeName", "gleaner")
                    .list()
                    .getItems()
                    .stream()
                    .map(BoundPod::of)
                    .filter(java.util.Objects::nonNull)
                    .toList(),
            () -> Resources.of("cpu", "4", "memory", "64Gi", "pods", "110"),
            () -> Resources.of("cpu", "4", "memory", "64Gi"),
            () -> TEAMS,
            leading::get,
            Duration.ofHours(1));
  }

  @AfterEach
  void tearDown() {
    admission.close();
    server.close();
  }

  private Pod pod(String ns, boolean gated, boolean tolerates) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(ns + "-" + (++seq))
            .withNamespace(ns)
            .addToLabels(GleanerKeys.CLASS, ns.equals("ads") ? "near-line" : "offline")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("main")
            .withImage("busybox")
            .withNewResources()
            .addToRequests("cpu", new Quantity("1"))
            .addToRequests("memory", new Quantity("1Gi"))
            .endResources()
            .endContainer()
            .endSpec();
    if (gated) {
      b.editSpec().addNewSchedulingGate(GleanerKeys.FAIR_SHARE_GATE).endSpec();
    }
    if (tolerates) {
      b.editSpec()
          .addToTolerations(
              new TolerationBuilder()
                  .withKey(GleanerKeys.VIRTUAL_NODE_TAINT_KEY)
                  .withOperator("Equal")
                  .withValue("gleaner")
                  .withEffect("NoSchedule")
                  .build())
          .endSpec();
    }
    return meta.pods().inNamespace(ns).resource(b.build()).create();
  }

  /**
   * Oldest first, then by UID: {@link io.gleaner.meta.fair.Candidate#TEAM_ORDER} within a class.
   */
  private static List<Pod> teamOrder(List<Pod> pods) {
    return pods.stream()
        .sorted(
            java.util.Comparator.comparing(
                    (Pod p) -> java.time.Instant.parse(p.getMetadata().getCreationTimestamp()))
                .thenComparing(p -> p.getMetadata().getUid()))
        .toList();
  }

  private Pod get(Pod p) {
    return meta.pods()
        .inNamespace(p.getMetadata().getNamespace())
        .withName(p.getMetadata().getName())
        .get();
  }

  private static boolean admitted(Pod p) {
    return p.getMetadata().getAnnotations() != null
        && p.getMetadata().getAnnotations().containsKey(GleanerKeys.ADMITTED_AT);
  }

  private static Optional<PodCondition> fairShare(Pod p) {
    return p.getStatus().getConditions().stream()
        .filter(c -> GleanerKeys.CONDITION_FAIR_SHARE.equals(c.getType()))
        .findFirst();
  }

  @Test
  void gatedPodsAreAdmittedInFairOrderWhileTheyFitTheOthersSayWhyOnce() {
    // creation times have whole seconds, so pods created together tie on age and go by UID (the
    // rule's last key): the expected order is the rule's order, not the order of creation
    List<Pod> ml =
        teamOrder(List.of(pod("ml", true, true), pod("ml", true, true), pod("ml", true, true)));
    List<Pod> ads =
        teamOrder(
            List.of(
                pod("ads", true, true),
                pod("ads", true, true),
                pod("ads", true, true),
                pod("ads", true, true)));
    Pod plain = pod("ml", false, true);
    Pod elsewhere = pod("ml", true, false);
    admission.start();
    // 4 cores, weights 1:2: ads, ml, ads, then ads (near-line wins the tie at 0.25 each)
    await()
        .atMost(WAIT)
        .until(() -> metrics.ungatedInTurn("ads") + metrics.ungatedInTurn("ml") == 4);
    assertThat(metrics.ungatedInTurn("ads")).isEqualTo(3);
    assertThat(metrics.ungatedInTurn("ml")).isEqualTo(1);
    assertThat(ads.stream().map(this::get).filter(FairAdmissionIT::admitted).count()).isEqualTo(3);
    Pod admittedMl =
        ml.stream().map(this::get).filter(FairAdmissionIT::admitted).findFirst().orElseThrow();
    assertThat(admittedMl.getSpec().getSchedulingGates()).isEmpty();
    assertThat(admittedMl.getMetadata().getName()).isEqualTo(ml.get(0).getMetadata().getName());
    // the gated pod that does not tolerate the virtual node is released at once, unmarked
    await().atMost(WAIT).until(() -> get(elsewhere).getSpec().getSchedulingGates().isEmpty());
    assertThat(admitted(get(elsewhere))).isFalse();
    // the four still gated say why, once each, however many rounds run
    await()
        .atMost(WAIT)
        .until(
            () ->
                meta.pods().inAnyNamespace().list().getItems().stream()
                        .filter(p -> fairShare(p).isPresent())
                        .count()
                    == 3);
    for (int i = 0; i < 5; i++) {
      admission.round();
    }
    assertThat(metrics.conditionWrites()).isEqualTo(3);
    Pod waiting = get(ml.get(2));
    PodCondition c = fairShare(waiting).orElseThrow();
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("WaitingForTeamTurn");
    assertThat(c.getMessage()).contains("team ml");
    // the API server's own condition stays
    assertThat(waiting.getStatus().getConditions())
        .anySatisfy(pc -> assertThat(pc.getReason()).isEqualTo("SchedulingGated"));
    // a pod without the gate is not touched
    Pod p = get(plain);
    assertThat(admitted(p)).isFalse();
    assertThat(fairShare(p)).isEmpty();

    // two admitted ads pods go: 2 cores free; ads (tie at 0.25, near-line first), then ml
    for (Pod done : List.of(ads.get(0), ads.get(1))) {
      meta.pods().inNamespace("ads").withName(done.getMetadata().getName()).delete();
    }
    admission.requestRound();
    await()
        .atMost(WAIT)
        .until(() -> metrics.ungatedInTurn("ml") + metrics.ungatedInTurn("ads") == 6);
    assertThat(metrics.ungatedInTurn("ads")).isEqualTo(4);
    assertThat(metrics.ungatedInTurn("ml")).isEqualTo(2);
    Pod second = get(ml.get(1));
    assertThat(admitted(second)).isTrue();
    PodCondition told = fairShare(second).orElseThrow();
    assertThat(told.getStatus()).isEqualTo("True");
    assertThat(told.getReason()).isEqualTo(FairAdmission.ADMITTED);
  }

  @Test
  void nothingIsAdmittedWhileTheReplicaMayNotAct() {
    leading.set(false);
    Pod gated = pod("ml", true, true);
    admission.start();
    admission.round();
    assertThat(metrics.rounds()).isZero();
    assertThat(get(gated).getSpec().getSchedulingGates()).hasSize(1);
    leading.set(true);
    admission.requestRound();
    await().atMost(WAIT).until(() -> metrics.ungatedInTurn("ml") == 1);
  }

  /**
   * A round asked for while the cache is still filling does nothing, and the cache's first adds may
   * reach the handlers just before it counts as filled; with no resync for an hour, the gated pod
   * is admitted only if a round follows the fill. Repeated: the window is narrow (before the fix,
   * one run in eight of this form waited for the resync).
   */
  @RepeatedTest(25)
  void aRoundAskedForWhileTheCacheFillsIsNotLost() {
    Pod gated = pod("ml", true, true);
    admission.start();
    admission.requestRound();
    await().atMost(WAIT).until(() -> admitted(get(gated)));
  }
}
