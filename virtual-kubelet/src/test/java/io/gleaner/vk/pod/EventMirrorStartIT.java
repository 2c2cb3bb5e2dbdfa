package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedApiServer;
import io.gleaner.sim.apiserver.ServerExtensions;
import io.gleaner.vk.translate.MemberNames;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the event mirror does with the events its first list of a member finds: those of the moments
 * before it started (the pods placed as its leader began to act: their member pods' Scheduled and
 * Started events may come before the list does) are mirrored; older ones are not re-emitted.
 */
class EventMirrorStartIT {
  private static final Instant NOW = Instant.parse("2026-12-05T09:30:00Z");

  private SimRuntime runtime;
  private SimulatedApiServer metaServer;
  private SimulatedApiServer memberServer;
  private KubernetesClient meta;
  private KubernetesClient member;
  private EventMirror mirror;
  private Pod metaPod;

  @BeforeEach
  void setUp() {
    runtime = SimRuntime.create();
    FakeClock clock = new FakeClock(NOW);
    metaServer = new SimulatedApiServer("meta", runtime, clock, ServerExtensions.NONE);
    memberServer = new SimulatedApiServer("m1", runtime, clock, ServerExtensions.NONE);
    meta = metaServer.newClient();
    member = memberServer.newClient();
    for (KubernetesClient c : List.of(meta, member)) {
      c.namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName("ml").endMetadata().build())
          .create();
    }
    metaPod =
        meta.pods()
            .inNamespace("ml")
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("batch-1")
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
    mirror =
        new EventMirror(
            meta,
            MemberClusters.of(Map.of("m1", member)),
            (cluster, ns, name) -> metaPod,
            clock,
            new VkMetrics(new SimpleMeterRegistry()),
            50,
            "gleaner");
  }

  @AfterEach
  void tearDown() {
    mirror.close();
    metaServer.close();
    memberServer.close();
    runtime.close();
  }

  @Test
  void anEventOfTheMomentTheMirrorStartsIsMirroredEvenWhenItsFirstListFindsIt() {
    memberEvent("started", "Started", NOW.minusSeconds(2));
    memberEvent("pulled-long-ago", "Pulled", NOW.minus(Duration.ofMinutes(20)));

    mirror.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> reasons().contains("Started"));
    // a later event shows the first list is done and mirrored before it
    memberEvent("killing", "Killing", NOW);
    await().atMost(Duration.ofSeconds(10)).until(() -> reasons().contains("Killing"));
    assertThat(reasons())
        .as("an event older than the mirror is not re-emitted")
        .doesNotContain("Pulled");
  }

  private List<String> reasons() {
    return meta.v1().events().inNamespace("ml").list().getItems().stream()
        .map(Event::getReason)
        .toList();
  }

  private void memberEvent(String name, String reason, Instant at) {
    String podName = MemberNames.PREFIX + "0123456789abcdef";
    member
        .v1()
        .events()
        .inNamespace("ml")
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName(podName + "." + name)
                .withNamespace("ml")
                .endMetadata()
                .withNewInvolvedObject()
                .withKind("Pod")
                .withNamespace("ml")
                .withName(podName)
                .endInvolvedObject()
                .withReason(reason)
                .withMessage(reason + " container main")
                .withType("Normal")
                .withCount(1)
                .withFirstTimestamp(at.toString())
                .withLastTimestamp(at.toString())
                .build())
        .create();
  }
}
