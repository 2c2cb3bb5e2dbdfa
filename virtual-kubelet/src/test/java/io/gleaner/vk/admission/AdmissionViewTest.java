package io.gleaner.vk.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.gleaner.meta.fair.Candidate;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which metadata pods a round ranks, releases or counts as taking room. */
class AdmissionViewTest {
  private static final KubeTaint TAINT =
      KubeTaint.of(GleanerKeys.VIRTUAL_NODE_TAINT_KEY, "gleaner", "NoSchedule");
  private static final Teams TEAMS =
      new Teams(List.of(Team.of("ml", 1, "ml")), Team.of("default", 1));

  private static PodBuilder pod(String uid, String ns, boolean gated, boolean tolerates) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(uid)
            .withNamespace(ns)
            .withUid(uid)
            .withCreationTimestamp("2026-12-06T08:00:00Z")
            .addToLabels(GleanerKeys.CLASS, GleanerKeys.CLASS_NEAR_LINE)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("i")
            .withNewResources()
            .addToRequests("cpu", new Quantity("2"))
            .addToRequests("memory", new Quantity("4Gi"))
            .endResources()
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase("Pending")
            .endStatus();
    if (gated) {
      b.editSpec()
          .addNewSchedulingGate("example.com/other")
          .addNewSchedulingGate(GleanerKeys.FAIR_SHARE_GATE)
          .endSpec();
    }
    if (tolerates) {
      b.editSpec()
          .addToTolerations(
              new TolerationBuilder()
                  .withKey(GleanerKeys.VIRTUAL_NODE_TAINT_KEY)
                  .withOperator("Exists")
                  .build())
          .endSpec();
    }
    return b;
  }

  @Test
  void gatedPodsForTheVirtualNodeAreRankedOthersReleased() {
    Pod ranked = pod("ranked", "ml", true, true).build();
    Pod notOurs = pod("elsewhere", "ml", true, false).build();
    Pod gang =
        pod("gang", "ml", true, true)
            .editMetadata()
            .addToAnnotations(GleanerKeys.VOLCANO_GROUP_NAME, "g")
            .endMetadata()
            .build();
    Pod invalid = pod("invalid", "ml", true, true).build();
    invalid
        .getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .getRequests()
        .put("cpu", new Quantity("lots"));
    Pod plain = pod("plain", "ml", false, true).build();
    Pod finished =
        pod("finished", "ml", true, true).editStatus().withPhase("Failed").endStatus().build();
    Pod deleting =
        pod("deleting", "ml", true, true)
            .editMetadata()
            .withDeletionTimestamp("2026-12-06T08:01:00Z")
            .endMetadata()
            .build();
    AdmissionView v =
        AdmissionView.of(
            List.of(ranked, notOurs, gang, invalid, plain, finished, deleting),
            List.of(),
            TEAMS,
            TAINT,
            Set.of());
    assertThat(v.gated()).extracting(Candidate::id).containsExactly("ranked");
    Candidate c = v.gated().get(0);
    assertThat(c.nearLine()).isTrue();
    assertThat(c.request().cpuMillis()).isEqualTo(2000);
    assertThat(v.release())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "elsewhere", AdmissionView.NOT_FOR_VIRTUAL_NODE,
                "gang", AdmissionView.GANG,
                "invalid", AdmissionView.INVALID_REQUESTS));
    // a pod that never had the gate takes no room until it is bound
    assertThat(v.taken()).isEqualTo(Resources.ZERO);
  }

  @Test
  void boundAndAdmittedPodsTakeRoomPerTeamWithAPodSlotFinishedOnesNone() {
    Pod admitted =
        pod("admitted", "ml", false, true)
            .editMetadata()
            .addToAnnotations(GleanerKeys.ADMITTED_AT, "2026-12-06T08:00:00Z")
            .endMetadata()
            .build();
    Pod justAdmitted = pod("just", "other", true, true).build();
    Pod bound =
        pod("bound", "ml", false, true).editSpec().withNodeName("gleaner").endSpec().build();
    Pod done =
        pod("done", "ml", false, true)
            .editSpec()
            .withNodeName("gleaner")
            .endSpec()
            .editStatus()
            .withPhase("Succeeded")
            .endStatus()
            .build();
    AdmissionView v =
        AdmissionView.of(
            List.of(admitted, justAdmitted),
            java.util.stream.Stream.of(bound, done)
                .map(BoundPod::of)
                .filter(java.util.Objects::nonNull)
                .toList(),
            TEAMS,
            TAINT,
            Set.of("just"));
    assertThat(v.gated()).isEmpty();
    Resources slot = Resources.of("cpu", "2", "memory", "4Gi", "pods", "1");
    assertThat(v.taken()).isEqualTo(slot.plus(slot).plus(slot));
    assertThat(v.usage()).containsEntry("ml", slot.plus(slot)).containsEntry("default", slot);
  }

  @Test
  void aBoundPodIsSummarizedByNamespaceAndRequestsAFinishedOneNotAtAll() {
    Pod running =
        pod("r", "ml", false, true)
            .editSpec()
            .withNodeName("gleaner")
            .endSpec()
            .editStatus()
            .withPhase("Running")
            .endStatus()
            .build();
    assertThat(BoundPod.of(running))
        .isEqualTo(new BoundPod("ml", Resources.of("cpu", "2", "memory", "4Gi")));
    for (String phase : List.of("Succeeded", "Failed")) {
      assertThat(
              BoundPod.of(
                  pod("f", "ml", false, true).editStatus().withPhase(phase).endStatus().build()))
          .as(phase)
          .isNull();
    }
    Pod invalid = pod("i", "ml", false, true).build();
    invalid
        .getSpec()
        .getContainers()
        .get(0)
        .getResources()
        .getRequests()
        .put("cpu", new Quantity("lots"));
    BoundPod uncounted = BoundPod.of(invalid);
    assertThat(uncounted.request()).isNull();
    // a bound pod whose requests cannot be counted takes no room
    AdmissionView v = AdmissionView.of(List.of(), List.of(uncounted), TEAMS, TAINT, Set.of());
    assertThat(v.taken()).isEqualTo(Resources.ZERO);
  }
}
