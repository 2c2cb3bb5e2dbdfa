package io.gleaner.sim.autoscaler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The simulated autoscaler on a simulated cluster with a fake clock. */
class SimAutoscalerIT {
  SimRuntime runtime = SimRuntime.create();
  FakeClock clock = new FakeClock();
  SimulatedCluster cluster =
      SimulatedCluster.builder("elastic").runtime(runtime).clock(clock).build();
  KubernetesClient client = cluster.client();
  SimAutoscaler autoscaler =
      new SimAutoscaler(
              cluster,
              new SimAutoscaler.Options(
                  NodeShape.of(1, "16", "64Gi").withNamePrefix("elastic-vm"),
                  2,
                  Duration.ofMinutes(5),
                  Duration.ofMinutes(10),
                  Duration.ofSeconds(10)))
          .start();

  @AfterEach
  void close() {
    cluster.close();
    runtime.close();
  }

  /** Advances the clock by {@code d} in scan-sized steps, settling after each. */
  private void pass(Duration d) {
    for (long s = 0; s < d.toSeconds(); s += 10) {
      clock.advance(Duration.ofSeconds(10));
      cluster.timeline().awaitDueTasks(Duration.ofSeconds(15));
    }
  }

  private Pod pod(String name, String cpu, int priority) {
    return client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withPriority(priority)
                .addNewContainer()
                .withName("main")
                .withImage("pause")
                .withNewResources()
                .addToRequests("cpu", new Quantity(cpu))
                .addToRequests("memory", new Quantity("1Gi"))
                .endResources()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  private void awaitUnschedulable(String name) {
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                client
                    .pods()
                    .inNamespace("default")
                    .withName(name)
                    .get()
                    .getStatus()
                    .getConditions()
                    .stream()
                    .anyMatch(c -> "Unschedulable".equals(c.getReason())));
  }

  @Test
  void aNodeAppearsAfterTheLeadTimeForAPendingPodAndGoesWhenIdle() {
    assertThat(cluster.nodeNames()).isEmpty();
    pod("big", "8", 0);
    awaitUnschedulable("big");
    pass(Duration.ofSeconds(10));
    assertThat(autoscaler.provisioning()).isEqualTo(1);
    pass(Duration.ofSeconds(280)); // 4m50s in: not there yet
    assertThat(cluster.nodeNames()).isEmpty();
    assertThat(autoscaler.provisioning()).isEqualTo(1);
    pass(Duration.ofSeconds(20));
    assertThat(cluster.nodeNames()).hasSize(1);
    assertThat(autoscaler.added()).isEqualTo(1);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                cluster
                    .nodeNames()
                    .get(0)
                    .equals(
                        client
                            .pods()
                            .inNamespace("default")
                            .withName("big")
                            .get()
                            .getSpec()
                            .getNodeName()));
    // while the pod runs the node stays
    pass(Duration.ofMinutes(11));
    assertThat(cluster.nodeNames()).hasSize(1);
    client.pods().inNamespace("default").withName("big").withGracePeriod(0).delete();
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> client.pods().inNamespace("default").withName("big").get() == null);
    pass(Duration.ofMinutes(9));
    assertThat(cluster.nodeNames()).hasSize(1);
    pass(Duration.ofMinutes(2));
    assertThat(cluster.nodeNames()).isEmpty();
    assertThat(autoscaler.removed()).isEqualTo(1);
  }

  @Test
  void expendablePodsAskForNothingAndTheGroupStaysWithinItsMaximum() {
    pod("expendable", "8", -100);
    awaitUnschedulable("expendable");
    pass(Duration.ofSeconds(20));
    assertThat(autoscaler.provisioning()).isZero();
    for (int i = 0; i < 3; i++) {
      pod("p" + i, "12", -5);
      awaitUnschedulable("p" + i);
    }
    pass(Duration.ofSeconds(10));
    assertThat(autoscaler.provisioning()).isEqualTo(2);
    pass(Duration.ofMinutes(6));
    assertThat(cluster.nodeNames()).hasSize(2);
    assertThat(autoscaler.provisioning()).isZero();
  }
}
