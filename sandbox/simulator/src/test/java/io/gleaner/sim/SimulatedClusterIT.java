package io.gleaner.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.kubelet.SimKubelet;
import io.gleaner.sim.scheduler.SimScheduler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Scheduler and kubelet behaviour of a simulated cluster on a fake clock. */
class SimulatedClusterIT {
  static SimRuntime runtime;
  FakeClock clock = new FakeClock();
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

  @AfterEach
  void close() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private SimulatedCluster cluster(SimulatedCluster.Builder b) {
    cluster = b.runtime(runtime).clock(clock).build();
    client = cluster.client();
    return cluster;
  }

  /** Waits until what the simulated cluster does at the clock's current instant is done. */
  private void settle() {
    cluster.timeline().awaitDueTasks(Duration.ofSeconds(15));
  }

  private static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20));
  }

  private Pod pod(
      String name, String cpu, String memory, int priority, Map<String, String> annotations) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withAnnotations(annotations)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("main")
            .withImage("busybox")
            .withNewResources()
            .addToRequests("cpu", new Quantity(cpu))
            .addToRequests("memory", new Quantity(memory))
            .endResources()
            .endContainer()
            .withPriority(priority)
            .endSpec();
    return client.pods().inNamespace("default").resource(b.build()).create();
  }

  private Pod get(String name) {
    return client.pods().inNamespace("default").withName(name).get();
  }

  private Optional<PodCondition> condition(Pod p, String type) {
    return p.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  private void advanceUntil(Duration step, java.util.function.BooleanSupplier done) {
    eventually()
        .until(
            () -> {
              if (done.getAsBoolean()) {
                return true;
              }
              clock.advance(step);
              return false;
            });
  }

  @Test
  void nodesCarryWellKnownLabelsAndReadyCondition() {
    cluster(
        SimulatedCluster.builder("labels")
            .zone("eu-1a")
            .nodes(NodeShape.of(2, "4", "8Gi").withGpus(2)));
    var node = client.nodes().withName("labels-node-0").get();
    assertThat(node.getMetadata().getLabels())
        .containsEntry("kubernetes.io/hostname", "labels-node-0")
        .containsEntry("kubernetes.io/arch", "amd64")
        .containsEntry("kubernetes.io/os", "linux")
        .containsEntry("topology.kubernetes.io/zone", "eu-1a")
        .containsEntry("node.kubernetes.io/instance-type", "sim.4c8gi");
    assertThat(node.getStatus().getAllocatable())
        .containsEntry("nvidia.com/gpu", new Quantity("2"))
        .containsEntry("cpu", new Quantity("4"));
    assertThat(node.getStatus().getConditions())
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Ready");
              assertThat(c.getStatus()).isEqualTo("True");
            });
  }

  @Test
  void aGenericEphemeralVolumeGetsItsClaimOwnedByThePodWhichGoesWithIt() {
    cluster(SimulatedCluster.builder("eph").nodes(NodeShape.of(1, "4", "8Gi")));
    // a claim of the name that is not the pod's: the pod cannot be scheduled
    client
        .persistentVolumeClaims()
        .inNamespace("default")
        .resource(
            new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName("taken-cache")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .endSpec()
                .build())
        .create();
    for (String name : List.of("train", "taken")) {
      client
          .pods()
          .inNamespace("default")
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .endMetadata()
                  .withNewSpec()
                  .addNewContainer()
                  .withName("main")
                  .withImage("busybox")
                  .endContainer()
                  .addNewVolume()
                  .withName("cache")
                  .withNewEphemeral()
                  .withNewVolumeClaimTemplate()
                  .withNewMetadata()
                  .addToLabels("app", "train")
                  .endMetadata()
                  .withNewSpec()
                  .withAccessModes("ReadWriteOnce")
                  .withStorageClassName("standard")
                  .withNewResources()
                  .addToRequests("storage", new Quantity("1Gi"))
                  .endResources()
                  .endSpec()
                  .endVolumeClaimTemplate()
                  .endEphemeral()
                  .endVolume()
                  .endSpec()
                  .build())
          .create();
    }
    Pod train = get("train");
    eventually()
        .until(
            () ->
                client.persistentVolumeClaims().inNamespace("default").withName("train-cache").get()
                    != null);
    PersistentVolumeClaim claim =
        client.persistentVolumeClaims().inNamespace("default").withName("train-cache").get();
    assertThat(claim.getMetadata().getLabels()).containsEntry("app", "train");
    assertThat(claim.getSpec().getStorageClassName()).isEqualTo("standard");
    assertThat(claim.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getKind()).isEqualTo("Pod");
              assertThat(o.getUid()).isEqualTo(train.getMetadata().getUid());
              assertThat(o.getController()).isTrue();
            });
    eventually().until(() -> get("train").getSpec().getNodeName() != null);
    eventually()
        .until(
            () ->
                condition(get("taken"), "PodScheduled")
                    .map(PodCondition::getMessage)
                    .filter(m -> m.contains("was not created for pod default/taken"))
                    .isPresent());
    assertThat(
            client
                .persistentVolumeClaims()
                .inNamespace("default")
                .withName("taken-cache")
                .get()
                .getMetadata()
                .getOwnerReferences())
        .isEmpty();

    client.pods().inNamespace("default").withName("train").withGracePeriod(0).delete();
    eventually()
        .until(
            () ->
                client.persistentVolumeClaims().inNamespace("default").withName("train-cache").get()
                    == null);
  }

  @Test
  void bindsRunsAndCompletesPods() {
    cluster(SimulatedCluster.builder("run").nodes(NodeShape.of(2, "4", "8Gi")));
    pod("job", "500m", "1Gi", 0, Map.of(SimKubelet.RUN_SECONDS, "120"));
    eventually().until(() -> get("job").getSpec().getNodeName() != null);
    advanceUntil(Duration.ofSeconds(1), () -> "Running".equals(get("job").getStatus().getPhase()));
    Pod running = get("job");
    assertThat(running.getStatus().getPodIP()).startsWith("10.");
    assertThat(running.getStatus().getHostIP()).startsWith("10.250.");
    assertThat(running.getStatus().getContainerStatuses().get(0).getReady()).isTrue();
    assertThat(condition(running, "Ready")).map(PodCondition::getStatus).contains("True");
    assertThat(
            client
                .v1()
                .events()
                .inNamespace("default")
                .withField("involvedObject.name", "job")
                .list()
                .getItems())
        .extracting(Event::getReason)
        .contains("Scheduled", "Started");

    String log = client.pods().inNamespace("default").withName("job").tailingLines(1).getLog();
    assertThat(log).isNotBlank();
    clock.advance(Duration.ofSeconds(119));
    settle();
    assertThat(get("job").getStatus().getPhase()).isEqualTo("Running");
    clock.advance(Duration.ofSeconds(2));
    eventually().until(() -> "Succeeded".equals(get("job").getStatus().getPhase()));
    assertThat(
            get("job")
                .getStatus()
                .getContainerStatuses()
                .get(0)
                .getState()
                .getTerminated()
                .getReason())
        .isEqualTo("Completed");
  }

  @Test
  void unschedulablePodGetsConditionAndEventInKubeSchedulerWording() {
    cluster(
        SimulatedCluster.builder("full")
            .preemption(false)
            .nodes(
                NodeShape.of(3, "2", "4Gi"),
                NodeShape.of(2, "16", "64Gi")
                    .withNamePrefix("tainted")
                    .withTaint("dedicated", "gpu", "NoSchedule")));
    pod("big", "4", "1Gi", 0, Map.of());
    String expected =
        "0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, "
            + "3 Insufficient cpu.";
    eventually()
        .until(
            () ->
                condition(get("big"), "PodScheduled")
                    .map(PodCondition::getMessage)
                    .orElse("")
                    .equals(expected));
    PodCondition c = condition(get("big"), "PodScheduled").orElseThrow();
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("Unschedulable");
    eventually()
        .until(
            () ->
                !client
                    .v1()
                    .events()
                    .inNamespace("default")
                    .withField("reason", "FailedScheduling")
                    .list()
                    .getItems()
                    .isEmpty());
    Event e =
        client
            .v1()
            .events()
            .inNamespace("default")
            .withField("reason", "FailedScheduling")
            .list()
            .getItems()
            .get(0);
    assertThat(e.getMessage()).isEqualTo(expected);
    assertThat(e.getType()).isEqualTo("Warning");
    assertThat(e.getSource().getComponent()).isEqualTo("default-scheduler");
    assertThat(e.getInvolvedObject().getName()).isEqualTo("big");

    // A tolerating pod goes to the tainted nodes.
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("tol")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("i")
                .withNewResources()
                .addToRequests("cpu", new Quantity("4"))
                .endResources()
                .endContainer()
                .withTolerations(
                    new TolerationBuilder()
                        .withKey("dedicated")
                        .withOperator("Equal")
                        .withValue("gpu")
                        .withEffect("NoSchedule")
                        .build())
                .endSpec()
                .build())
        .create();
    eventually().until(() -> get("tol").getSpec().getNodeName() != null);
    assertThat(get("tol").getSpec().getNodeName()).startsWith("tainted-");
  }

  @Test
  void aGatedPodWaitsUngatedUntilItsLastGateIsRemovedAndGatesCannotBeAdded() {
    cluster(SimulatedCluster.builder("gates").nodes(NodeShape.of(1, "4", "8Gi")));
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("gated")
                .endMetadata()
                .withNewSpec()
                .addNewSchedulingGate("example.com/quota")
                .addNewSchedulingGate("example.com/team")
                .addNewContainer()
                .withName("c")
                .withImage("i")
                .withNewResources()
                .addToRequests("cpu", new Quantity("1"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
    PodCondition gated = condition(get("gated"), "PodScheduled").orElseThrow();
    assertThat(gated.getStatus()).isEqualTo("False");
    assertThat(gated.getReason()).isEqualTo("SchedulingGated");
    assertThat(gated.getMessage())
        .isEqualTo("Scheduling is blocked due to non-empty scheduling gates");
    // a pod created after it is bound: the scheduler has seen the gated pod and left it
    pod("after", "1", "1Gi", 0, Map.of());
    eventually().until(() -> get("after").getSpec().getNodeName() != null);
    assertThat(get("gated").getSpec().getNodeName()).isNull();
    assertThat(condition(get("gated"), "PodScheduled").orElseThrow().getReason())
        .isEqualTo("SchedulingGated");
    assertThat(
            client
                .v1()
                .events()
                .inNamespace("default")
                .withField("involvedObject.name", "gated")
                .list()
                .getItems())
        .isEmpty();
    assertThat(cluster.scheduler().pendingPods()).doesNotContain("default/gated");

    // the binding subresource refuses it, as the real API does
    assertThatThrownBy(
            () ->
                client
                    .bindings()
                    .inNamespace("default")
                    .resource(
                        new io.fabric8.kubernetes.api.model.BindingBuilder()
                            .withNewMetadata()
                            .withName("gated")
                            .endMetadata()
                            .withNewTarget()
                            .withKind("Node")
                            .withName(get("after").getSpec().getNodeName())
                            .endTarget()
                            .build())
                    .create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("pod gated has non-empty .spec.schedulingGates");

    // a gate may not be added
    assertThatThrownBy(
            () ->
                client
                    .pods()
                    .inNamespace("default")
                    .withName("gated")
                    .edit(
                        p -> {
                          p.getSpec()
                              .getSchedulingGates()
                              .add(new io.fabric8.kubernetes.api.model.PodSchedulingGate("x"));
                          return p;
                        }))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(
            "spec.schedulingGates[2].name: Forbidden: only deletion is allowed, but found new"
                + " scheduling gate 'x'");

    // one gate removed: still gated; the last removed: bound
    client
        .pods()
        .inNamespace("default")
        .withName("gated")
        .edit(
            p -> {
              p.getSpec().getSchedulingGates().remove(0);
              return p;
            });
    pod("after2", "1", "1Gi", 0, Map.of());
    eventually().until(() -> get("after2").getSpec().getNodeName() != null);
    assertThat(get("gated").getSpec().getNodeName()).isNull();
    client
        .pods()
        .inNamespace("default")
        .withName("gated")
        .edit(
            p -> {
              p.getSpec().setSchedulingGates(List.of());
              return p;
            });
    eventually().until(() -> get("gated").getSpec().getNodeName() != null);
    assertThat(condition(get("gated"), "PodScheduled").orElseThrow().getStatus()).isEqualTo("True");
  }

  @Test
  void aPodWithBothANodeNameAndGatesIsRefused() {
    cluster(SimulatedCluster.builder("gates-node").nodes(NodeShape.of(1, "4", "8Gi")));
    assertThatThrownBy(
            () ->
                client
                    .pods()
                    .inNamespace("default")
                    .resource(
                        new PodBuilder()
                            .withNewMetadata()
                            .withName("pinned")
                            .endMetadata()
                            .withNewSpec()
                            .withNodeName("gates-node-0")
                            .addNewSchedulingGate("example.com/quota")
                            .addNewContainer()
                            .withName("c")
                            .withImage("i")
                            .endContainer()
                            .endSpec()
                            .build())
                    .create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(
            "Pod \"pinned\" is invalid: spec.nodeName: Forbidden: cannot be set until all"
                + " schedulingGates have been cleared");
    assertThatThrownBy(
            () ->
                client
                    .pods()
                    .inNamespace("default")
                    .resource(
                        new PodBuilder()
                            .withNewMetadata()
                            .withName("twice")
                            .endMetadata()
                            .withNewSpec()
                            .addNewSchedulingGate("a")
                            .addNewSchedulingGate("a")
                            .addNewContainer()
                            .withName("c")
                            .withImage("i")
                            .endContainer()
                            .endSpec()
                            .build())
                    .create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.schedulingGates[1]: Duplicate value: \"a\"");
  }

  @Test
  void nodeSelectorAndRequiredAffinityAreHonoured() {
    cluster(
        SimulatedCluster.builder("aff")
            .nodes(
                NodeShape.of(1, "4", "8Gi").withLabel("disk", "ssd").withLabel("gen", "5"),
                NodeShape.of(1, "4", "8Gi")
                    .withNamePrefix("hdd")
                    .withLabel("disk", "hdd")
                    .withLabel("gen", "3")));
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("a")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("i")
                .endContainer()
                .withNewAffinity()
                .withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm()
                .addNewMatchExpression()
                .withKey("gen")
                .withOperator("Lt")
                .withValues("4")
                .endMatchExpression()
                .addNewMatchExpression()
                .withKey("disk")
                .withOperator("NotIn")
                .withValues("ssd")
                .endMatchExpression()
                .endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity()
                .endAffinity()
                .endSpec()
                .build())
        .create();
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("s")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("i")
                .endContainer()
                .withNodeSelector(Map.of("disk", "ssd"))
                .endSpec()
                .build())
        .create();
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("none")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("i")
                .endContainer()
                .withNodeSelector(Map.of("disk", "nvme"))
                .endSpec()
                .build())
        .create();
    eventually()
        .until(
            () ->
                get("a").getSpec().getNodeName() != null
                    && get("s").getSpec().getNodeName() != null);
    assertThat(get("a").getSpec().getNodeName()).isEqualTo("hdd-1");
    assertThat(get("s").getSpec().getNodeName()).isEqualTo("aff-node-0");
    eventually()
        .until(
            () ->
                condition(get("none"), "PodScheduled")
                    .map(PodCondition::getMessage)
                    .orElse("")
                    .equals(
                        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 "
                            + "nodes are available: 2 Preemption is not helpful for scheduling."));
  }

  @Test
  void extendedResourcesAreFitted() {
    cluster(SimulatedCluster.builder("ext").nodes(NodeShape.of(1, "8", "16Gi").withGpus(1)));
    for (String n : List.of("g1", "g2")) {
      client
          .pods()
          .inNamespace("default")
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName(n)
                  .endMetadata()
                  .withNewSpec()
                  .addNewContainer()
                  .withName("c")
                  .withImage("i")
                  .withNewResources()
                  .addToLimits("nvidia.com/gpu", new Quantity("1"))
                  .endResources()
                  .endContainer()
                  .endSpec()
                  .build())
          .create();
    }
    eventually()
        .until(
            () ->
                get("g1").getSpec().getNodeName() != null
                    || get("g2").getSpec().getNodeName() != null);
    eventually()
        .until(
            () ->
                List.of("g1", "g2").stream()
                    .map(this::get)
                    .anyMatch(
                        p ->
                            condition(p, "PodScheduled")
                                .map(PodCondition::getMessage)
                                .orElse("")
                                .startsWith(
                                    "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.")));
  }

  @Test
  void preemptionNominatesAndEvictsLowerPriorityPodsWithTheirGracePeriod() {
    cluster(SimulatedCluster.builder("pre").nodes(NodeShape.of(1, "4", "8Gi")));
    client
        .scheduling()
        .v1()
        .priorityClasses()
        .resource(
            new PriorityClassBuilder()
                .withNewMetadata()
                .withName("online")
                .endMetadata()
                .withValue(1000)
                .build())
        .create();
    pod("low-1", "2", "1Gi", 0, Map.of());
    pod("low-2", "2", "1Gi", 0, Map.of());
    eventually()
        .until(
            () ->
                get("low-1").getSpec().getNodeName() != null
                    && get("low-2").getSpec().getNodeName() != null);
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("online")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("i")
                .withNewResources()
                .addToRequests("cpu", new Quantity("2"))
                .endResources()
                .endContainer()
                .withPriorityClassName("online")
                .endSpec()
                .build())
        .create();
    eventually().until(() -> "pre-node-0".equals(get("online").getStatus().getNominatedNodeName()));
    Pod victim =
        List.of("low-1", "low-2").stream()
            .map(this::get)
            .filter(p -> p.getMetadata().getDeletionTimestamp() != null)
            .findFirst()
            .orElseThrow();
    assertThat(victim.getMetadata().getDeletionGracePeriodSeconds()).isEqualTo(30L);
    assertThat(condition(victim, "DisruptionTarget").map(PodCondition::getReason))
        .contains("PreemptionByScheduler");
    assertThat(
            List.of("low-1", "low-2").stream()
                .map(this::get)
                .filter(p -> p.getMetadata().getDeletionTimestamp() != null))
        .hasSize(1);
    assertThat(get("online").getSpec().getNodeName()).isNull();
    clock.advance(Duration.ofSeconds(29));
    settle();
    assertThat(get(victim.getMetadata().getName())).as("still within its grace period").isNotNull();
    clock.advance(Duration.ofSeconds(2));
    eventually().until(() -> get(victim.getMetadata().getName()) == null);
    eventually().until(() -> "pre-node-0".equals(get("online").getSpec().getNodeName()));
  }

  @Test
  void preemptionPolicyNeverAndPreemptionOffDoNotEvict() {
    cluster(SimulatedCluster.builder("nopre").nodes(NodeShape.of(1, "2", "8Gi")));
    pod("low", "2", "1Gi", 0, Map.of());
    eventually().until(() -> get("low").getSpec().getNodeName() != null);
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("never")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("i")
                .withNewResources()
                .addToRequests("cpu", new Quantity("1"))
                .endResources()
                .endContainer()
                .withPriority(100)
                .withPreemptionPolicy("Never")
                .endSpec()
                .build())
        .create();
    eventually()
        .until(
            () ->
                condition(get("never"), "PodScheduled")
                    .map(PodCondition::getMessage)
                    .orElse("")
                    .equals(
                        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to "
                            + "preemptionPolicy=Never."));
    assertThat(get("low").getMetadata().getDeletionTimestamp()).isNull();
  }

  @Test
  void aPartitionFailsRequestsUntilHealedAndRemovedNodesLoseTheirPods() {
    cluster(SimulatedCluster.builder("part").nodes(NodeShape.of(1, "2", "4Gi")));
    pod("p", "100m", "64Mi", 0, Map.of());
    eventually().until(() -> get("p").getSpec().getNodeName() != null);
    cluster.setReachable(false);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.nodes().list())
        .isInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class);
    cluster.setReachable(true);
    assertThat(client.nodes().list().getItems()).hasSize(1);
    cluster.removeNode("part-node-0");
    eventually().until(() -> get("p") == null);
  }

  /**
   * As kube-scheduler, a terminated pod holds nothing: a pod a (virtual) kubelet failed at
   * admission stops blocking the pods behind it.
   */
  @Test
  void aFailedPodNoLongerHoldsItsNodesResources() {
    cluster(
        SimulatedCluster.builder("terminal").preemption(false).nodes(NodeShape.of(1, "2", "8Gi")));
    pod("rejected", "2", "1Gi", 0, Map.of());
    eventually().until(() -> get("rejected").getSpec().getNodeName() != null);
    pod("next", "1", "1Gi", 0, Map.of());
    eventually()
        .until(
            () ->
                condition(get("next"), "PodScheduled")
                    .map(PodCondition::getMessage)
                    .orElse("")
                    .equals("0/1 nodes are available: 1 Insufficient cpu."));
    client
        .pods()
        .inNamespace("default")
        .withName("rejected")
        .subresource("status")
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"status\":{\"phase\":\"Failed\",\"reason\":\"OutOfcpu\"}}");
    eventually().until(() -> get("next").getSpec().getNodeName() != null);
    assertThat(get("rejected").getStatus().getPhase()).isEqualTo("Failed");
  }

  @Test
  void clustersWithoutPreemptionNeverEvict() {
    cluster(SimulatedCluster.builder("off").preemption(false).nodes(NodeShape.of(1, "2", "8Gi")));
    pod("low", "2", "1Gi", 0, Map.of());
    eventually().until(() -> get("low").getSpec().getNodeName() != null);
    pod("high", "1", "1Gi", 100000, Map.of());
    eventually()
        .until(
            () ->
                condition(get("high"), "PodScheduled")
                    .map(PodCondition::getMessage)
                    .orElse("")
                    .equals("0/1 nodes are available: 1 Insufficient cpu."));
    assertThat(get("low").getMetadata().getDeletionTimestamp()).isNull();
    assertThat(get("high").getStatus().getNominatedNodeName()).isNull();
  }

  @Test
  void onlineWorkloadFollowsTheCurveAndConsolidatesAtNight() {
    clock.set(java.time.Instant.parse("2024-01-03T11:00:00Z"));
    cluster(
        SimulatedCluster.builder("web")
            .scoring(SimScheduler.Scoring.MOST_ALLOCATED)
            .nodes(NodeShape.of(4, "4", "16Gi")));
    var curve =
        io.gleaner.sim.load.LoadCurve.of(
            new double[] {0.8, 0.8, 0.2, 0.2},
            new double[] {0.5, 0.5, 0.5, 0.5},
            Duration.ofHours(6),
            Duration.ofDays(1));
    var web =
        new io.gleaner.sim.load.OnlineWorkload(
                cluster,
                new io.gleaner.sim.load.OnlineWorkload.Options(
                    "online", "web", 1, 12, "1", "1Gi", 1000, Duration.ofMinutes(1), curve))
            .start();
    assertThat(web.desired()).isEqualTo(12);
    eventually()
        .until(
            () ->
                web.replicas().stream()
                        .allMatch(p -> !p.path("spec").path("nodeName").asText("").isEmpty())
                    && web.replicas().size() == 12);
    assertThat(web.replicas())
        .allSatisfy(p -> assertThat(p.path("spec").path("priority").asInt()).isEqualTo(1000));
    clock.set(java.time.Instant.parse("2024-01-03T21:00:00Z"));
    advanceUntil(Duration.ofSeconds(30), () -> web.replicas().size() == 3);
    assertThat(web.desired()).isEqualTo(3);
    // Bin-packing and consolidating scale-down leave whole nodes without online pods.
    assertThat(
            web.replicas().stream()
                .map(p -> p.path("spec").path("nodeName").asText())
                .distinct()
                .count())
        .isEqualTo(1);
  }

  @Test
  void imagePullFailureShowsErrImagePullThenBackOff() {
    cluster(SimulatedCluster.builder("img").nodes(NodeShape.of(1, "4", "8Gi")));
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("bad")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("registry/does-not-exist:1")
                .endContainer()
                .endSpec()
                .build())
        .create();
    eventually().until(() -> get("bad").getSpec().getNodeName() != null);
    advanceUntil(
        Duration.ofSeconds(1), () -> get("bad").getStatus().getContainerStatuses().size() == 1);
    assertThat(
            get("bad")
                .getStatus()
                .getContainerStatuses()
                .get(0)
                .getState()
                .getWaiting()
                .getReason())
        .isEqualTo("ErrImagePull");
    advanceUntil(
        Duration.ofSeconds(2),
        () ->
            "ImagePullBackOff"
                .equals(
                    get("bad")
                        .getStatus()
                        .getContainerStatuses()
                        .get(0)
                        .getState()
                        .getWaiting()
                        .getReason()));
    assertThat(get("bad").getStatus().getPhase()).isEqualTo("Pending");
    assertThat(
            client
                .v1()
                .events()
                .inNamespace("default")
                .withField("involvedObject.name", "bad")
                .list()
                .getItems())
        .extracting(Event::getMessage)
        .contains("Error: ErrImagePull", "Error: ImagePullBackOff");
  }

  @Test
  void gracefulDeletionRemovesThePodWhenTheGracePeriodEndsOnTheClusterClock() {
    cluster(SimulatedCluster.builder("grace").nodes(NodeShape.of(1, "4", "8Gi")));
    pod("g", "100m", "64Mi", 0, Map.of());
    advanceUntil(Duration.ofSeconds(1), () -> "Running".equals(get("g").getStatus().getPhase()));
    client.pods().inNamespace("default").withName("g").withGracePeriod(60).delete();
    assertThat(get("g").getMetadata().getDeletionTimestamp()).isNotNull();
    clock.advance(Duration.ofSeconds(59));
    settle();
    assertThat(get("g")).as("still within its grace period").isNotNull();
    clock.advance(Duration.ofSeconds(1));
    eventually().until(() -> get("g") == null);
  }

  @Test
  void podsOnVirtualNodesAreLeftToTheirVirtualKubelet() {
    cluster(SimulatedCluster.builder("meta").nodes(NodeShape.of(1, "2", "4Gi")));
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName("gleaner")
                .addToLabels("type", "virtual-kubelet")
                .endMetadata()
                .withNewSpec()
                .addNewTaint()
                .withKey("virtual-kubelet.io/provider")
                .withValue("gleaner")
                .withEffect("NoSchedule")
                .endTaint()
                .endSpec()
                .withNewStatus()
                .addToAllocatable("cpu", new Quantity("100"))
                .addToAllocatable("memory", new Quantity("1Ti"))
                .addToAllocatable("pods", new Quantity("1000"))
                .endStatus()
                .build())
        .create();
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("offline")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("i")
                .withNewResources()
                .addToRequests("cpu", new Quantity("8"))
                .endResources()
                .endContainer()
                .withNodeSelector(Map.of("type", "virtual-kubelet"))
                .withTolerations(
                    new TolerationBuilder()
                        .withKey("virtual-kubelet.io/provider")
                        .withOperator("Exists")
                        .build())
                .endSpec()
                .build())
        .create();
    eventually().until(() -> "gleaner".equals(get("offline").getSpec().getNodeName()));
    clock.advance(Duration.ofSeconds(10));
    settle();
    assertThat(get("offline").getStatus().getPhase()).isEqualTo("Pending");
    client.pods().inNamespace("default").withName("offline").delete();
    clock.advance(Duration.ofSeconds(60));
    settle();
    assertThat(get("offline")).as("no kubelet confirms the deletion").isNotNull();
  }

  @Test
  void logsOfPodsOnAVirtualNodeAreProxiedToItsKubeletEndpoint() throws Exception {
    cluster(SimulatedCluster.builder("proxy").nodes(NodeShape.of(1, "2", "4Gi")));
    io.vertx.core.net.SelfSignedCertificate cert =
        io.vertx.core.net.SelfSignedCertificate.create("127.0.0.1");
    io.vertx.core.http.HttpServer kubeletApi =
        runtime
            .vertx()
            .createHttpServer(
                new io.vertx.core.http.HttpServerOptions()
                    .setSsl(true)
                    .setKeyCertOptions(cert.keyCertOptions())
                    .setHost("127.0.0.1")
                    .setPort(0));
    kubeletApi.requestHandler(
        r ->
            r.response()
                .end(
                    "from the virtual kubelet: "
                        + r.path()
                        + " tail="
                        + r.getParam("tailLines")
                        + "\n"));
    kubeletApi
        .listen()
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, java.util.concurrent.TimeUnit.SECONDS);
    try {
      client
          .nodes()
          .resource(
              new NodeBuilder()
                  .withNewMetadata()
                  .withName("gleaner")
                  .addToLabels("type", "virtual-kubelet")
                  .endMetadata()
                  .withNewStatus()
                  .addNewAddress()
                  .withType("InternalIP")
                  .withAddress("127.0.0.1")
                  .endAddress()
                  .withNewDaemonEndpoints()
                  .withNewKubeletEndpoint()
                  .withPort(kubeletApi.actualPort())
                  .endKubeletEndpoint()
                  .endDaemonEndpoints()
                  .endStatus()
                  .build())
          .create();
      client
          .pods()
          .inNamespace("default")
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName("remote")
                  .endMetadata()
                  .withNewSpec()
                  .withNodeName("gleaner")
                  .addNewContainer()
                  .withName("c")
                  .withImage("i")
                  .endContainer()
                  .endSpec()
                  .build())
          .create();
      assertThat(client.pods().inNamespace("default").withName("remote").tailingLines(3).getLog())
          .isEqualTo("from the virtual kubelet: /containerLogs/default/remote/c tail=3\n");
    } finally {
      kubeletApi.close();
    }
  }

  @Test
  void metricsApiServesNodeAndPodUsage() {
    cluster(SimulatedCluster.builder("metrics").nodes(NodeShape.of(1, "4", "8Gi")));
    pod("m", "1", "1Gi", 0, Map.of("sim.gleaner.io/cpu-usage", "700m"));
    advanceUntil(Duration.ofSeconds(1), () -> "Running".equals(get("m").getStatus().getPhase()));
    var nodeMetrics = client.top().nodes().metrics("metrics-node-0");
    // system 100m + 2% of 4 cores (80m) + pod 700m
    assertThat(nodeMetrics.getUsage().get("cpu")).isEqualTo(new Quantity("880m"));
    var podMetrics = client.top().pods().metrics("default", "m");
    assertThat(podMetrics.getContainers().get(0).getUsage().get("cpu"))
        .isEqualTo(new Quantity("700m"));
    assertThat(
            podMetrics
                .getContainers()
                .get(0)
                .getUsage()
                .get("memory")
                .getNumericalAmount()
                .longValue())
        .isEqualTo(Math.round(1024L * 1024 * 1024 * 0.6) / 1024 * 1024);
  }

  @Test
  void volcanoGangBindsOnlyWhenMinMemberFit() {
    cluster(
        SimulatedCluster.builder("train")
            .volcano(true)
            .scoring(SimScheduler.Scoring.MOST_ALLOCATED)
            .nodes(NodeShape.of(2, "8", "32Gi")));
    GenericKubernetesResource pg = new GenericKubernetesResource();
    pg.setApiVersion("scheduling.volcano.sh/v1beta1");
    pg.setKind("PodGroup");
    pg.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName("gang")
            .withNamespace("default")
            .build());
    pg.setAdditionalProperty(
        "spec", Map.of("minMember", 3, "queue", "default", "minResources", Map.of("cpu", "18")));
    client
        .genericKubernetesResources("scheduling.volcano.sh/v1beta1", "PodGroup")
        .inNamespace("default")
        .resource(pg)
        .create();
    for (int i = 0; i < 3; i++) {
      client
          .pods()
          .inNamespace("default")
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName("w" + i)
                  .addToAnnotations("scheduling.k8s.io/group-name", "gang")
                  .endMetadata()
                  .withNewSpec()
                  .withSchedulerName("volcano")
                  .addNewContainer()
                  .withName("c")
                  .withImage("i")
                  .withNewResources()
                  .addToRequests("cpu", new Quantity("6"))
                  .endResources()
                  .endContainer()
                  .endSpec()
                  .build())
          .create();
    }
    // 3 x 6 CPU on 2 x 8 CPU: only 2 fit at once, so none is bound.
    eventually().until(() -> "Pending".equals(phase(podGroup())));
    // judged: each pod says why it waits, and the same pass bound none of them
    eventually()
        .until(
            () ->
                List.of("w0", "w1", "w2").stream()
                    .allMatch(
                        n ->
                            condition(get(n), "PodScheduled")
                                .filter(c -> "Unschedulable".equals(c.getReason()))
                                .isPresent()));
    assertThat(List.of("w0", "w1", "w2"))
        .allSatisfy(n -> assertThat(get(n).getSpec().getNodeName()).isNull());
    cluster.addNodes(NodeShape.of(1, "8", "32Gi").withNamePrefix("extra"));
    eventually()
        .until(
            () ->
                List.of("w0", "w1", "w2").stream()
                    .allMatch(n -> get(n).getSpec().getNodeName() != null));
    advanceUntil(Duration.ofSeconds(1), () -> "Running".equals(phase(podGroup())));
  }

  private GenericKubernetesResource podGroup() {
    return client
        .genericKubernetesResources("scheduling.volcano.sh/v1beta1", "PodGroup")
        .inNamespace("default")
        .withName("gang")
        .get();
  }

  @SuppressWarnings("unchecked")
  private static String phase(GenericKubernetesResource r) {
    Object status = r.getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> m ? (String) ((Map<String, Object>) m).get("phase") : null;
  }

  @Test
  void colocationPublishesBatchResourcesFromUsage() {
    cluster(
        SimulatedCluster.builder("colo").colocation(true).nodes(NodeShape.of(1, "10", "100Gi")));
    var alloc = client.nodes().withName("colo-node-0").get().getStatus().getAllocatable();
    // 10 cores x 60% - max(system 300m, reserve 500m) = 5500 milli-cores
    assertThat(alloc.get("kubernetes.io/batch-cpu")).isEqualTo(new Quantity("5500"));
    pod("hp", "4", "10Gi", 1000, Map.of("sim.gleaner.io/cpu-usage", "2"));
    advanceUntil(Duration.ofSeconds(1), () -> "Running".equals(get("hp").getStatus().getPhase()));
    clock.advance(Duration.ofSeconds(61));
    eventually()
        .until(
            () ->
                new Quantity("3500")
                    .equals(
                        client
                            .nodes()
                            .withName("colo-node-0")
                            .get()
                            .getStatus()
                            .getAllocatable()
                            .get("kubernetes.io/batch-cpu")));
  }
}
