package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.kubelet.SimKubelet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulated kubelet enforces {@code spec.activeDeadlineSeconds} as a real kubelet: a pod active
 * on its node longer than its deadline since its {@code status.startTime} is failed with reason
 * {@code DeadlineExceeded}, Running or still Pending on the node, at a lowered deadline once it is
 * lowered; a pod that completes first keeps its success. Through a fabric8 client, on a fake clock.
 */
class ActiveDeadlineIT {
  static SimRuntime runtime;
  final FakeClock clock = new FakeClock();
  SimulatedCluster cluster;
  KubernetesClient client;

  @BeforeAll
  static void start() {
    runtime = SimRuntime.create();
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  @BeforeEach
  void cluster() {
    cluster =
        SimulatedCluster.builder("deadline")
            .runtime(runtime)
            .clock(clock)
            .podStartDelay(Duration.ZERO)
            .nodes(NodeShape.of(1, "8", "32Gi"))
            .build();
    client = cluster.client();
  }

  @AfterEach
  void close() {
    cluster.close();
  }

  private static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20));
  }

  private void settle() {
    cluster.timeline().awaitDueTasks(Duration.ofSeconds(15));
  }

  /** Sets the clock to {@code t} and lets what is due by then happen. */
  private void at(Instant t) {
    clock.set(t);
    settle();
  }

  private static PodBuilder pod(String name, long deadline) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withActiveDeadlineSeconds(deadline)
        .withRestartPolicy("Never")
        .addNewContainer()
        .withName("main")
        .withImage("busybox")
        .endContainer()
        .endSpec();
  }

  private void create(PodBuilder b) {
    client.pods().inNamespace("default").resource(b.build()).create();
  }

  private Pod get(String name) {
    return client.pods().inNamespace("default").withName(name).get();
  }

  private String phase(String name) {
    return get(name).getStatus().getPhase();
  }

  private Instant startTime(String name) {
    return Instant.parse(get(name).getStatus().getStartTime());
  }

  private List<Event> events(String pod, String reason) {
    return client
        .v1()
        .events()
        .inNamespace("default")
        .withField("involvedObject.name", pod)
        .list()
        .getItems()
        .stream()
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  private static PodCondition condition(Pod pod, String type) {
    return pod.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElseThrow();
  }

  /**
   * Waits until the pod has a start time and the kubelet has scheduled its deadline check for
   * {@code startTime + seconds}: the clock may then jump without outrunning the kubelet.
   */
  private Instant awaitDeadlineAt(String name, long seconds) {
    eventually()
        .until(
            () -> {
              settle();
              Pod p = get(name);
              if (p.getStatus().getStartTime() == null) {
                return false;
              }
              Instant due = Instant.parse(p.getStatus().getStartTime()).plusSeconds(seconds);
              return due.equals(cluster.kubelet().deadlineCheck(p.getMetadata().getUid()));
            });
    return startTime(name);
  }

  private void assertFailedAtDeadline(Pod p) {
    assertThat(p.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(p.getStatus().getReason()).isEqualTo("DeadlineExceeded");
    assertThat(p.getStatus().getMessage())
        .isEqualTo("Pod was active on the node longer than the specified deadline");
    for (String type : List.of("Ready", "ContainersReady")) {
      assertThat(condition(p, type).getStatus()).isEqualTo("False");
      assertThat(condition(p, type).getReason()).isEqualTo("PodFailed");
    }
    assertThat(condition(p, "PodReadyToStartContainers").getStatus()).isEqualTo("False");
    List<Event> exceeded = events(p.getMetadata().getName(), "DeadlineExceeded");
    assertThat(exceeded).hasSize(1);
    assertThat(exceeded.get(0).getType()).isEqualTo("Normal");
    assertThat(exceeded.get(0).getMessage())
        .isEqualTo("Pod was active on the node longer than the specified deadline");
    assertThat(exceeded.get(0).getSource().getComponent()).isEqualTo("kubelet");
  }

  private static ContainerStateTerminated terminated(Pod p) {
    ContainerStatus cs = p.getStatus().getContainerStatuses().get(0);
    assertThat(cs.getReady()).isFalse();
    assertThat(cs.getState().getTerminated()).as("terminated state of %s", cs).isNotNull();
    return cs.getState().getTerminated();
  }

  @Test
  void aRunningPodIsFailedAtItsDeadlineNotBeforeAndItsContainerKilled() {
    // it would complete after ten minutes: the deadline comes first, and the completion must not
    // overwrite the failure
    create(
        pod("train", 60)
            .editMetadata()
            .addToAnnotations(SimKubelet.RUN_SECONDS, "600")
            .endMetadata());
    eventually().until(() -> "Running".equals(phase("train")));
    Instant start = awaitDeadlineAt("train", 60);
    String startedAt =
        get("train")
            .getStatus()
            .getContainerStatuses()
            .get(0)
            .getState()
            .getRunning()
            .getStartedAt();

    at(start.plusSeconds(59));
    assertThat(phase("train")).isEqualTo("Running");
    assertThat(events("train", "DeadlineExceeded")).isEmpty();

    at(start.plusSeconds(60));
    Pod failed = get("train");
    assertFailedAtDeadline(failed);
    ContainerStateTerminated t = terminated(failed);
    assertThat(t.getExitCode()).isEqualTo(137);
    assertThat(t.getReason()).isEqualTo("Error");
    assertThat(t.getStartedAt()).isEqualTo(startedAt);
    assertThat(t.getFinishedAt()).isEqualTo(start.plusSeconds(60).toString());
    assertThat(failed.getStatus().getStartTime()).isEqualTo(start.toString());

    at(start.plusSeconds(900));
    Pod later = get("train");
    assertThat(later.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(later.getStatus().getReason()).isEqualTo("DeadlineExceeded");
    assertThat(terminated(later).getExitCode()).isEqualTo(137);
    assertThat(events("train", "DeadlineExceeded")).hasSize(1);
  }

  @Test
  void aPodStillPendingOnTheNodeIsFailedAtItsDeadlineAndNeverStarts() {
    // held for a missing Secret volume: the kubelet retries the mount with a back-off
    create(
        pod("held", 30)
            .editSpec()
            .addNewVolume()
            .withName("creds")
            .withNewSecret()
            .withSecretName("db-creds")
            .endSecret()
            .endVolume()
            .endSpec());
    // an image that cannot be pulled: ErrImagePull, then ImagePullBackOff
    create(
        pod("unpullable", 45)
            .editSpec()
            .editFirstContainer()
            .withImage("x/does-not-exist:1")
            .endContainer()
            .endSpec());
    // an init container whose environment refers to the missing Secret
    create(
        pod("init", 30)
            .editSpec()
            .addNewInitContainer()
            .withName("setup")
            .withImage("busybox")
            .addNewEnv()
            .withName("TOKEN")
            .withNewValueFrom()
            .withNewSecretKeyRef("token", "db-creds", null)
            .endValueFrom()
            .endEnv()
            .endInitContainer()
            .endSpec());
    Instant held = awaitDeadlineAt("held", 30);
    Instant unpullable = awaitDeadlineAt("unpullable", 45);
    Instant init = awaitDeadlineAt("init", 30);
    assertThat(List.of(held, unpullable, init)).containsOnly(held);

    for (int s = 1; s < 30; s++) {
      at(held.plusSeconds(s));
    }
    assertThat(phase("held")).isEqualTo("Pending");
    assertThat(phase("init")).isEqualTo("Pending");
    assertThat(
            get("unpullable")
                .getStatus()
                .getContainerStatuses()
                .get(0)
                .getState()
                .getWaiting()
                .getReason())
        .isEqualTo("ImagePullBackOff");

    at(held.plusSeconds(30));
    Pod failed = get("held");
    assertFailedAtDeadline(failed);
    ContainerStateTerminated t = terminated(failed);
    assertThat(t.getExitCode()).isEqualTo(137);
    assertThat(t.getReason()).isEqualTo("ContainerStatusUnknown");
    assertThat(t.getMessage())
        .isEqualTo("The container could not be located when the pod was terminated");
    assertThat(t.getStartedAt()).isNull();

    // init containers not done: the first init container is terminated, the main one still waits
    Pod initFailed = get("init");
    assertFailedAtDeadline(initFailed);
    assertThat(
            initFailed
                .getStatus()
                .getInitContainerStatuses()
                .get(0)
                .getState()
                .getTerminated()
                .getReason())
        .isEqualTo("ContainerStatusUnknown");
    assertThat(initFailed.getStatus().getContainerStatuses().get(0).getState().getWaiting())
        .isNotNull();

    assertThat(phase("unpullable")).isEqualTo("Pending");
    at(held.plusSeconds(45));
    Pod pullFailed = get("unpullable");
    assertFailedAtDeadline(pullFailed);
    assertThat(terminated(pullFailed).getReason()).isEqualTo("ContainerStatusUnknown");

    // the Secret appears: the kubelet's next mount attempt must not start the failed pod
    client
        .secrets()
        .inNamespace("default")
        .resource(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName("db-creds")
                .endMetadata()
                .addToStringData("token", "t")
                .build())
        .create();
    for (int s = 0; s < 5; s++) {
      at(held.plusSeconds(45 + 60 * (s + 1)));
    }
    for (String name : List.of("held", "init", "unpullable")) {
      Pod p = get(name);
      assertThat(p.getStatus().getPhase()).as(name).isEqualTo("Failed");
      assertThat(p.getStatus().getReason()).as(name).isEqualTo("DeadlineExceeded");
      assertThat(events(name, "Started")).as(name).isEmpty();
      assertThat(events(name, "DeadlineExceeded")).as(name).hasSize(1);
    }
  }

  @Test
  void aLoweredDeadlineAppliesAtItsNewValueAndMayNotBeRaised() {
    create(pod("lowered", 600));
    create(pod("overdue", 600));
    Instant start = awaitDeadlineAt("lowered", 600);
    assertThat(awaitDeadlineAt("overdue", 600)).isEqualTo(start);

    at(start.plusSeconds(40));
    client
        .pods()
        .inNamespace("default")
        .withName("lowered")
        .edit(
            p -> {
              p.getSpec().setActiveDeadlineSeconds(90L);
              return p;
            });
    // lowered below the time it has already been active: failed at once
    client
        .pods()
        .inNamespace("default")
        .withName("overdue")
        .edit(
            p -> {
              p.getSpec().setActiveDeadlineSeconds(10L);
              return p;
            });
    eventually()
        .until(
            () -> {
              settle();
              return "Failed".equals(phase("overdue"));
            });
    assertFailedAtDeadline(get("overdue"));
    awaitDeadlineAt("lowered", 90);

    assertThatThrownBy(
            () ->
                client
                    .pods()
                    .inNamespace("default")
                    .withName("lowered")
                    .edit(
                        p -> {
                          p.getSpec().setActiveDeadlineSeconds(120L);
                          return p;
                        }))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(
            "spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to"
                + " previous value");

    at(start.plusSeconds(89));
    assertThat(phase("lowered")).isEqualTo("Running");
    at(start.plusSeconds(90));
    assertFailedAtDeadline(get("lowered"));
    assertThat(get("lowered").getSpec().getActiveDeadlineSeconds()).isEqualTo(90L);
  }

  @Test
  void aPodThatCompletesBeforeItsDeadlineSucceedsAndStaysSucceeded() {
    create(
        pod("quick", 60)
            .editMetadata()
            .addToAnnotations(SimKubelet.RUN_SECONDS, "30")
            .endMetadata());
    eventually().until(() -> "Running".equals(phase("quick")));
    Instant start = awaitDeadlineAt("quick", 60);

    at(start.plusSeconds(30));
    eventually()
        .until(
            () -> {
              settle();
              return "Succeeded".equals(phase("quick"));
            });
    at(start.plusSeconds(60));
    at(start.plusSeconds(600));
    Pod done = get("quick");
    assertThat(done.getStatus().getPhase()).isEqualTo("Succeeded");
    assertThat(done.getStatus().getReason()).isNull();
    assertThat(done.getStatus().getContainerStatuses().get(0).getState().getTerminated())
        .extracting(ContainerStateTerminated::getExitCode, ContainerStateTerminated::getReason)
        .containsExactly(0, "Completed");
    assertThat(events("quick", "DeadlineExceeded")).isEmpty();
  }
}
