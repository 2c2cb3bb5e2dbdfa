package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.time.FakeClock;
import java.time.Duration;
import java.util.List;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulated kubelet does not start a pod whose Secrets or ConfigMaps are missing, as a real
 * kubelet: volumes fail to mount (FailedMount, retried with a back-off), containers whose
 * environment refers to a missing object or key wait in CreateContainerConfigError; the pod starts
 * once the objects exist, and a running pod is not stopped when its object is deleted. Through a
 * fabric8 client, on a fake clock.
 */
class PodReferencesIT {
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
        SimulatedCluster.builder("refs")
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

  private void advance(Duration d) {
    clock.advance(d);
    settle();
  }

  private static PodBuilder pod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
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

  private void createSecret(String name, String... keys) {
    SecretBuilder b = new SecretBuilder().withNewMetadata().withName(name).endMetadata();
    for (String k : keys) {
      b.addToStringData(k, "value-of-" + k);
    }
    client.secrets().inNamespace("default").resource(b.build()).createOr(r -> r.update());
  }

  private ContainerStateWaiting waiting(String pod, String container) {
    Pod p = get(pod);
    for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
      if (cs.getName().equals(container)) {
        return cs.getState().getWaiting();
      }
    }
    return null;
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

  private String condition(String pod, String type) {
    return get(pod).getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .map(PodCondition::getStatus)
        .findFirst()
        .orElse(null);
  }

  /** The pod is bound and the kubelet has reported on it (its containers have a status). */
  private void awaitKubelet(String pod) {
    eventually()
        .until(
            () -> {
              settle();
              Pod p = get(pod);
              return p.getStatus().getContainerStatuses() != null
                  && !p.getStatus().getContainerStatuses().isEmpty();
            });
    // the kubelet's attempt that wrote them may still be recording its events
    settle();
  }

  @Test
  void aMissingSecretVolumeKeepsThePodContainerCreatingWithBackedOffFailedMountUntilItExists() {
    create(
        pod("web")
            .editSpec()
            .addNewVolume()
            .withName("creds")
            .withNewSecret()
            .withSecretName("db-creds")
            .endSecret()
            .endVolume()
            .endSpec());
    awaitKubelet("web");
    Pod pending = get("web");
    assertThat(pending.getStatus().getPhase()).isEqualTo("Pending");
    assertThat(pending.getStatus().getPodIP()).isNull();
    assertThat(waiting("web", "main").getReason()).isEqualTo("ContainerCreating");
    assertThat(condition("web", "Ready")).isEqualTo("False");
    assertThat(condition("web", "PodReadyToStartContainers")).isEqualTo("False");
    List<Event> failed = events("web", "FailedMount");
    assertThat(failed).hasSize(1);
    assertThat(failed.get(0).getType()).isEqualTo("Warning");
    assertThat(failed.get(0).getMessage())
        .isEqualTo("MountVolume.SetUp failed for volume \"creds\" : secret \"db-creds\" not found");
    assertThat(failed.get(0).getSource().getComponent()).isEqualTo("kubelet");

    // ten minutes in one-second steps: attempts back off (0.5 s doubling to 2m2s), no flood
    for (int i = 0; i < 600; i++) {
      advance(Duration.ofSeconds(1));
    }
    List<Event> after = events("web", "FailedMount");
    assertThat(after).hasSize(1);
    assertThat(after.get(0).getCount()).isBetween(10, 16);
    assertThat(get("web").getStatus().getPhase()).isEqualTo("Pending");

    createSecret("db-creds", "password");
    // started at the next attempt, at most the longest back-off later
    for (int i = 0; i < 123 && !"Running".equals(get("web").getStatus().getPhase()); i++) {
      advance(Duration.ofSeconds(1));
    }
    Pod running = get("web");
    assertThat(running.getStatus().getPhase()).isEqualTo("Running");
    assertThat(running.getStatus().getContainerStatuses().get(0).getReady()).isTrue();
    assertThat(running.getStatus().getPodIP()).startsWith("10.");
    assertThat(events("web", "Started")).hasSize(1);
  }

  @Test
  void aMissingConfigMapInAProjectedVolumeBlocksButAnOptionalOneDoesNot() {
    create(
        pod("proj")
            .editSpec()
            .addNewVolume()
            .withName("bundle")
            .withNewProjected()
            .addNewSource()
            .withNewConfigMap()
            .withName("settings")
            .endConfigMap()
            .endSource()
            .endProjected()
            .endVolume()
            .endSpec());
    create(
        pod("optional")
            .editSpec()
            .addNewVolume()
            .withName("extra")
            .withNewConfigMap()
            .withName("absent")
            .withOptional(true)
            .endConfigMap()
            .endVolume()
            .addNewVolume()
            .withName("more")
            .withNewSecret()
            .withSecretName("absent")
            .withOptional(true)
            .endSecret()
            .endVolume()
            .endSpec());
    awaitKubelet("proj");
    awaitKubelet("optional");
    assertThat(get("optional").getStatus().getPhase()).isEqualTo("Running");
    assertThat(get("proj").getStatus().getPhase()).isEqualTo("Pending");
    assertThat(events("proj", "FailedMount"))
        .extracting(Event::getMessage)
        .containsExactly(
            "MountVolume.SetUp failed for volume \"bundle\" : configmap \"settings\" not found");
    client
        .configMaps()
        .inNamespace("default")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("settings")
                .endMetadata()
                .addToData("mode", "fast")
                .build())
        .create();
    advance(Duration.ofSeconds(1));
    eventually().until(() -> "Running".equals(get("proj").getStatus().getPhase()));
  }

  @Test
  void anEnvReferenceToAMissingSecretOrKeyIsACreateContainerConfigErrorUntilItExists() {
    create(
        pod("env")
            .editSpec()
            .editFirstContainer()
            .addNewEnv()
            .withName("PASSWORD")
            .withNewValueFrom()
            .withNewSecretKeyRef("password", "db-creds", null)
            .endValueFrom()
            .endEnv()
            .endContainer()
            .endSpec());
    awaitKubelet("env");
    Pod pending = get("env");
    assertThat(pending.getStatus().getPhase()).isEqualTo("Pending");
    // the volumes are set up: the pod has its sandbox and IP
    assertThat(pending.getStatus().getPodIP()).startsWith("10.");
    ContainerStateWaiting w = waiting("env", "main");
    assertThat(w.getReason()).isEqualTo("CreateContainerConfigError");
    assertThat(w.getMessage()).isEqualTo("secret \"db-creds\" not found");
    assertThat(events("env", "Failed"))
        .extracting(Event::getType, Event::getMessage)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("Warning", "Error: secret \"db-creds\" not found"));

    createSecret("db-creds", "user");
    advance(Duration.ofSeconds(10));
    eventually()
        .until(
            () ->
                "couldn't find key password in Secret default/db-creds"
                    .equals(waiting("env", "main").getMessage()));
    assertThat(get("env").getStatus().getPhase()).isEqualTo("Pending");

    // retried every 10 s: a minute adds about six identical events to the aggregated one
    for (int i = 0; i < 60; i++) {
      advance(Duration.ofSeconds(1));
    }
    List<Event> keyErrors =
        events("env", "Failed").stream()
            .filter(e -> e.getMessage().contains("couldn't find key"))
            .toList();
    assertThat(keyErrors).hasSize(1);
    assertThat(keyErrors.get(0).getCount()).isBetween(6, 8);

    String podIp = get("env").getStatus().getPodIP();
    String startTime = get("env").getStatus().getStartTime();
    createSecret("db-creds", "user", "password");
    advance(Duration.ofSeconds(10));
    eventually().until(() -> "Running".equals(get("env").getStatus().getPhase()));
    // as a kubelet: the pod keeps its IP and start time, its container starts now
    Pod running = get("env");
    assertThat(running.getStatus().getPodIP()).isEqualTo(podIp);
    assertThat(running.getStatus().getStartTime()).isEqualTo(startTime);
    assertThat(
            java.time.Instant.parse(
                running
                    .getStatus()
                    .getContainerStatuses()
                    .get(0)
                    .getState()
                    .getRunning()
                    .getStartedAt()))
        .isAfter(java.time.Instant.parse(startTime).plusSeconds(60));
  }

  @Test
  void anEnvFromConfigMapAndAnInitContainersEnvAreCheckedToo() {
    create(
        pod("bulk")
            .editSpec()
            .editFirstContainer()
            .addNewEnvFrom()
            .withNewConfigMapRef("bulk-env", null)
            .endEnvFrom()
            .endContainer()
            .endSpec());
    create(
        pod("init")
            .editSpec()
            .addNewInitContainer()
            .withName("setup")
            .withImage("busybox")
            .addNewEnv()
            .withName("TOKEN")
            .withNewValueFrom()
            .withNewSecretKeyRef("token", "setup-creds", null)
            .endValueFrom()
            .endEnv()
            .endInitContainer()
            .endSpec());
    awaitKubelet("bulk");
    awaitKubelet("init");
    assertThat(waiting("bulk", "main").getReason()).isEqualTo("CreateContainerConfigError");
    assertThat(waiting("bulk", "main").getMessage()).isEqualTo("configmap \"bulk-env\" not found");
    Pod init = get("init");
    assertThat(init.getStatus().getInitContainerStatuses().get(0).getState().getWaiting())
        .extracting(ContainerStateWaiting::getReason, ContainerStateWaiting::getMessage)
        .containsExactly("CreateContainerConfigError", "secret \"setup-creds\" not found");
    assertThat(waiting("init", "main").getReason()).isEqualTo("PodInitializing");
    assertThat(condition("init", "Initialized")).isEqualTo("False");

    client
        .configMaps()
        .inNamespace("default")
        .resource(
            new ConfigMapBuilder().withNewMetadata().withName("bulk-env").endMetadata().build())
        .create();
    createSecret("setup-creds", "token");
    advance(Duration.ofSeconds(10));
    eventually().until(() -> "Running".equals(get("bulk").getStatus().getPhase()));
    eventually().until(() -> "Running".equals(get("init").getStatus().getPhase()));
    assertThat(
            get("init")
                .getStatus()
                .getInitContainerStatuses()
                .get(0)
                .getState()
                .getTerminated()
                .getReason())
        .isEqualTo("Completed");
    assertThat(condition("init", "Initialized")).isEqualTo("True");
  }

  @Test
  void aRunningPodWhoseSecretIsDeletedKeepsRunning() {
    createSecret("db-creds", "password");
    create(
        pod("steady")
            .editSpec()
            .addNewVolume()
            .withName("creds")
            .withNewSecret()
            .withSecretName("db-creds")
            .endSecret()
            .endVolume()
            .editFirstContainer()
            .addNewEnv()
            .withName("PASSWORD")
            .withNewValueFrom()
            .withNewSecretKeyRef("password", "db-creds", null)
            .endValueFrom()
            .endEnv()
            .endContainer()
            .endSpec());
    awaitKubelet("steady");
    assertThat(get("steady").getStatus().getPhase()).isEqualTo("Running");
    client.secrets().inNamespace("default").withName("db-creds").delete();
    eventually()
        .until(() -> client.secrets().inNamespace("default").withName("db-creds").get() == null);
    for (int i = 0; i < 30; i++) {
      advance(Duration.ofSeconds(10));
    }
    Pod p = get("steady");
    assertThat(p.getStatus().getPhase()).isEqualTo("Running");
    assertThat(p.getStatus().getContainerStatuses().get(0).getReady()).isTrue();
    assertThat(events("steady", "FailedMount")).isEmpty();
    assertThat(events("steady", "Failed")).isEmpty();
  }
}
