package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.translate.StatusMirror;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Status writes against a simulated API server. The pod controller computes a status from its
 * informer's copy of the pod, which may lag the server by the controller's own last write: a write
 * from such a copy must not undo what was written meanwhile.
 */
class MetaPodWriterIT {
  private static final Instant NOW = Instant.parse("2026-12-07T08:00:00Z");
  private SimRuntime runtime;
  private SimulatedApiServer server;
  private KubernetesClient meta;
  private MetaPodWriter writer;

  @BeforeEach
  void setUp() {
    runtime = SimRuntime.create();
    server = new SimulatedApiServer("meta", runtime, Clock.systemUTC(), ServerExtensions.NONE);
    meta = server.newClient();
    meta.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("team").endMetadata().build())
        .create();
    writer = new MetaPodWriter(meta, new VkMetrics(new SimpleMeterRegistry()));
  }

  @AfterEach
  void tearDown() {
    server.close();
    runtime.close();
  }

  private Pod created() {
    return meta.pods()
        .inNamespace("team")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("job-1")
                .endMetadata()
                .withNewSpec()
                .withNodeName("gleaner")
                .addNewContainer()
                .withName("main")
                .withImage("busybox")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  private Pod read() {
    return meta.pods().inNamespace("team").withName("job-1").get();
  }

  private static List<String> types(Pod p) {
    return p.getStatus().getConditions().stream().map(PodCondition::getType).toList();
  }

  @Test
  void aStatusComputedFromAStaleCopyKeepsTheConditionWrittenMeanwhile() {
    Pod stale = created();
    writer.writeStatus(
        stale,
        s ->
            StatusMirror.withPodCondition(
                s,
                FairGate.CONDITION,
                "True",
                FairGate.REASON_FIRST,
                "its team goes first when harvested room frees",
                NOW));

    // the informer has not seen that write yet: the next write starts from the copy before it
    writer.writeStatus(
        stale,
        s -> StatusMirror.pending(s, "NoMemberFit", "no member node has room for this pod", NOW));

    assertThat(types(read())).containsExactlyInAnyOrder(FairGate.CONDITION, "PodScheduled");
  }

  @Test
  void aConditionAnotherWriterAddedSurvivesAMirrorFromTheCopyBeforeIt() {
    Pod stale = created();
    // a readiness-gate controller (or the eviction API's DisruptionTarget) writes its condition
    Pod other = read();
    other
        .getStatus()
        .getConditions()
        .add(
            new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                .withType("example.com/LoadBalancerReady")
                .withStatus("True")
                .build());
    meta.pods().inNamespace("team").resource(other).updateStatus();

    writer.writeStatus(
        stale, s -> StatusMirror.pending(s, "NoMemberFit", "no member node has room", NOW));

    assertThat(types(read()))
        .containsExactlyInAnyOrder("example.com/LoadBalancerReady", "PodScheduled");
  }

  @Test
  void aFailedPodIsNotMovedBackToPendingByAWriteFromTheCopyBeforeItFailed() {
    Pod stale = created();
    writer.writeStatus(stale, s -> StatusMirror.failed(s, "NoMemberFit", "no room in time", NOW));
    assertThat(read().getStatus().getPhase()).isEqualTo("Failed");

    writer.writeStatus(
        stale, s -> StatusMirror.pending(s, "NoMemberFit", "no member node has room", NOW));

    Pod now = read();
    assertThat(now.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(now.getStatus().getReason()).isEqualTo("NoMemberFit");
  }

  @Test
  void aPodCreatedAgainUnderTheSameNameIsNotWrittenFromTheOldOnesCopy() {
    Pod old = created();
    meta.pods().inNamespace("team").withName("job-1").withGracePeriod(0).delete();
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> read() == null);
    Pod again = created();

    writer.writeStatus(old, s -> StatusMirror.failed(s, "Reclaimed", "reclaimed", NOW));

    Pod now = read();
    assertThat(now.getMetadata().getUid()).isEqualTo(again.getMetadata().getUid());
    assertThat(now.getStatus() == null ? null : now.getStatus().getPhase()).isNotEqualTo("Failed");
  }
}
