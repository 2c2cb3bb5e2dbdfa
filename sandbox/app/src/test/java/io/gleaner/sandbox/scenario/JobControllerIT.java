package io.gleaner.sandbox.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.gleaner.meta.time.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class JobControllerIT {
  KubernetesClient client;

  @Test
  void keepsParallelismReplacesReclaimedPodsAndCompletes() {
    Job job =
        new JobBuilder()
            .withNewMetadata()
            .withName("train")
            .withNamespace("team-a")
            .withUid("job-uid-1")
            .endMetadata()
            .withNewSpec()
            .withParallelism(2)
            .withCompletions(3)
            .withNewTemplate()
            .withNewMetadata()
            .addToLabels("gleaner.io/class", "offline")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("main")
            .withImage("busybox")
            .endContainer()
            .withRestartPolicy("Never")
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    client.batch().v1().jobs().inNamespace("team-a").resource(job).create();
    JobController controller =
        new JobController(client, new FakeClock(Instant.parse("2026-11-23T00:00:00Z")));

    controller.reconcileAll();
    List<Pod> pods = pods();
    assertThat(pods).hasSize(2);
    assertThat(pods.get(0).getMetadata().getLabels())
        .containsEntry("gleaner.io/class", "offline")
        .containsEntry("job-name", "train");
    assertThat(pods.get(0).getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("Job");

    setPhase(pods.get(0), "Failed", "Reclaimed");
    controller.reconcileAll();
    assertThat(controller.podsReclaimed()).isEqualTo(1);
    assertThat(controller.podsReplaced()).isEqualTo(1);
    assertThat(active()).hasSize(2);

    controller.reconcileAll(); // a second pass changes nothing
    assertThat(active()).hasSize(2);

    for (Pod p : active()) {
      setPhase(p, "Succeeded", null);
    }
    controller.reconcileAll();
    assertThat(active()).hasSize(1); // one completion left
    setPhase(active().get(0), "Succeeded", null);
    controller.reconcileAll();

    Job done = client.batch().v1().jobs().inNamespace("team-a").withName("train").get();
    assertThat(done.getStatus().getSucceeded()).isEqualTo(3);
    assertThat(done.getStatus().getFailed()).isEqualTo(1);
    assertThat(done.getStatus().getConditions()).anyMatch(c -> c.getType().equals("Complete"));
    assertThat(active()).isEmpty();
  }

  @Test
  void deletesAFinishedJobAndItsPodsAfterItsTtl() {
    Job job =
        new JobBuilder()
            .withNewMetadata()
            .withName("short")
            .withNamespace("team-a")
            .withUid("job-uid-2")
            .endMetadata()
            .withNewSpec()
            .withParallelism(2)
            .withCompletions(2)
            .withTtlSecondsAfterFinished(600)
            .withNewTemplate()
            .withNewSpec()
            .addNewContainer()
            .withName("main")
            .withImage("busybox")
            .endContainer()
            .withRestartPolicy("Never")
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    client.batch().v1().jobs().inNamespace("team-a").resource(job).create();
    FakeClock clock = new FakeClock(Instant.parse("2026-11-23T00:00:00Z"));
    JobController controller = new JobController(client, clock);
    controller.reconcileAll();
    Job created = client.batch().v1().jobs().inNamespace("team-a").withName("short").get();
    assertThat(JobController.podsToCreate(created, 0)).isEqualTo(2);
    assertThat(JobController.podsToCreate(created, 2)).isZero();
    for (Pod p : active()) {
      setPhase(p, "Succeeded", null);
    }
    controller.reconcileAll();
    Job done = client.batch().v1().jobs().inNamespace("team-a").withName("short").get();
    assertThat(JobController.podsToCreate(done, 0)).as("a complete job creates nothing").isZero();

    clock.advance(Duration.ofSeconds(599));
    controller.reconcileAll();
    assertThat(pods()).hasSize(2);
    assertThat(controller.jobsDeleted()).isZero();

    clock.advance(Duration.ofSeconds(1));
    controller.reconcileAll();
    assertThat(controller.jobsDeleted()).isEqualTo(1);
    assertThat(client.batch().v1().jobs().inNamespace("team-a").withName("short").get()).isNull();
    assertThat(pods()).isEmpty();
  }

  private List<Pod> pods() {
    return client.pods().inNamespace("team-a").list().getItems();
  }

  private List<Pod> active() {
    return pods().stream()
        .filter(
            p ->
                p.getStatus() == null
                    || p.getStatus().getPhase() == null
                    || !(p.getStatus().getPhase().equals("Succeeded")
                        || p.getStatus().getPhase().equals("Failed")))
        .toList();
  }

  private void setPhase(Pod p, String phase, String reason) {
    p.setStatus(new PodStatusBuilder().withPhase(phase).withReason(reason).build());
    client.pods().inNamespace("team-a").resource(p).updateStatus();
  }
}
