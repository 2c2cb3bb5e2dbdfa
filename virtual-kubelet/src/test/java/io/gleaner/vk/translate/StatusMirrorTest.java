package io.gleaner.vk.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.gleaner.meta.kube.GleanerKeys;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusMirrorTest {
  private static final Instant NOW = Instant.parse("2025-03-01T10:00:00.750Z");

  private static PodBuilder member() {
    return new PodBuilder().withNewMetadata().withName("gl-1").withNamespace("ns").endMetadata();
  }

  private static Pod running() {
    return member()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP("10.1.2.3")
        .withHostIP("192.168.0.7")
        .addNewPodIP()
        .withIp("10.1.2.3")
        .endPodIP()
        .withStartTime("2025-03-01T09:59:00Z")
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .addNewContainerStatus()
        .withName("main")
        .withReady(true)
        .withRestartCount(0)
        .withImage("busybox")
        .withNewState()
        .withNewRunning()
        .withStartedAt("2025-03-01T09:59:01Z")
        .endRunning()
        .endState()
        .endContainerStatus()
        .withQosClass("BestEffort")
        .endStatus()
        .build();
  }

  @Test
  void mirrorsPhaseConditionsContainersIpsAndStartTime() {
    PodStatus meta = new PodStatusBuilder().withPhase("Pending").withQosClass("Burstable").build();
    PodStatus s = StatusMirror.mirror(running(), meta);
    assertThat(s.getPhase()).isEqualTo("Running");
    assertThat(s.getPodIP()).isEqualTo("10.1.2.3");
    assertThat(s.getPodIPs()).hasSize(1);
    assertThat(s.getHostIP()).isEqualTo("192.168.0.7");
    assertThat(s.getStartTime()).isEqualTo("2025-03-01T09:59:00Z");
    assertThat(s.getConditions()).extracting("type").containsExactly("Ready");
    assertThat(s.getContainerStatuses()).extracting("name").containsExactly("main");
    assertThat(s.getQosClass()).as("metadata pod keeps its own QoS class").isEqualTo("Burstable");
  }

  @Test
  void mirrorDropsUnreachableConditionOnceMemberAnswers() {
    PodStatus meta = StatusMirror.unreachable(StatusMirror.mirror(running(), null), "c1", NOW);
    assertThat(StatusMirror.condition(meta, GleanerKeys.CONDITION_MEMBER_REACHABLE)).isNotNull();
    assertThat(
            StatusMirror.condition(
                StatusMirror.mirror(running(), meta), GleanerKeys.CONDITION_MEMBER_REACHABLE))
        .isNull();
  }

  private static PodCondition cond(String type, String status) {
    return new io.fabric8.kubernetes.api.model.PodConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withLastTransitionTime("2025-03-01T09:00:00Z")
        .build();
  }

  @Test
  void mirrorKeepsTheMetadataPodsConditionsTheKubeletDoesNotOwn() {
    // as a kubelet's status manager does: conditions set by others (a readiness gate's controller,
    // DisruptionTarget from the metadata cluster, Gleaner's admission) stay
    PodStatus meta =
        new PodStatusBuilder()
            .withPhase("Pending")
            .withConditions(
                cond("PodScheduled", "True"),
                cond("example.com/lb-ready", "False"),
                cond("DisruptionTarget", "True"),
                cond(GleanerKeys.CONDITION_FAIR_SHARE, "True"),
                cond("gleaner.io/TeamTurn", "False"),
                cond("Ready", "False"))
            .build();
    PodStatus s = StatusMirror.mirror(running(), meta, List.of(), NOW);
    assertThat(s.getConditions())
        .extracting("type")
        .containsExactly(
            "Ready", "example.com/lb-ready", "DisruptionTarget", GleanerKeys.CONDITION_FAIR_SHARE);
    assertThat(StatusMirror.condition(s, "Ready").getStatus())
        .as("the kubelet's own conditions come from the member")
        .isEqualTo("True");
  }

  @Test
  void readinessGatesOfTheMetadataPodDecideItsReadyConditionAsTheKubeletDoes() {
    List<io.fabric8.kubernetes.api.model.PodReadinessGate> gates =
        List.of(
            new io.fabric8.kubernetes.api.model.PodReadinessGate("example.com/lb-ready"),
            new io.fabric8.kubernetes.api.model.PodReadinessGate("example.com/warm"));
    PodStatus meta =
        new PodStatusBuilder()
            .withPhase("Running")
            .withConditions(cond("example.com/lb-ready", "False"))
            .build();
    PodCondition ready =
        StatusMirror.condition(StatusMirror.mirror(running(), meta, gates, NOW), "Ready");
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(ready.getReason()).isEqualTo("ReadinessGatesNotReady");
    assertThat(ready.getMessage())
        .isEqualTo(
            "the status of pod readiness gate \"example.com/lb-ready\" is not \"True\", but False, "
                + "corresponding condition of pod readiness gate \"example.com/warm\" does not exist.");

    PodStatus gated = StatusMirror.mirror(running(), meta, gates, NOW);
    PodStatus opened =
        new PodStatusBuilder(gated)
            .withConditions(
                StatusMirror.setCondition(
                    StatusMirror.setCondition(
                        gated.getConditions(), "example.com/lb-ready", "True", null, null, NOW),
                    "example.com/warm",
                    "True",
                    null,
                    null,
                    NOW))
            .build();
    Instant later = NOW.plusSeconds(30);
    PodCondition nowReady =
        StatusMirror.condition(StatusMirror.mirror(running(), opened, gates, later), "Ready");
    assertThat(nowReady.getStatus()).isEqualTo("True");
    assertThat(nowReady.getReason()).isNull();
    assertThat(nowReady.getLastTransitionTime())
        .as("Ready turned True when the last gate opened")
        .isEqualTo(StatusMirror.time(later));
    PodStatus again = StatusMirror.mirror(running(), opened, gates, later);
    assertThat(StatusMirror.mirror(running(), again, gates, later.plusSeconds(60)))
        .as("nothing changes, nothing to write")
        .isEqualTo(again);
  }

  @Test
  void aMetadataConditionThatIsNotTrueAndNotTheMirrorsToClearIsNoReasonToWrite() {
    PodStatus meta =
        new PodStatusBuilder()
            .withPhase("Pending")
            .withConditions(cond("PodScheduled", "True"), cond("example.com/lb-ready", "False"))
            .build();
    Pod bound =
        member()
            .withNewStatus()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("True")
            .endCondition()
            .endStatus()
            .build();
    assertThat(StatusMirror.worthMirroring(bound, meta)).isFalse();
  }

  @Test
  void mirrorOfStatuslessMemberIsPending() {
    assertThat(StatusMirror.mirror(member().build(), null).getPhase()).isEqualTo("Pending");
  }

  @Test
  void createdOrBoundMemberPodIsNotWorthAWrite() {
    PodStatus meta =
        new PodStatusBuilder()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("True")
            .endCondition()
            .build();
    Pod created = member().withNewStatus().withPhase("Pending").endStatus().build();
    Pod bound =
        member()
            .withNewStatus()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("True")
            .endCondition()
            .endStatus()
            .build();
    assertThat(StatusMirror.worthMirroring(member().build(), meta)).isFalse();
    assertThat(StatusMirror.worthMirroring(created, meta)).isFalse();
    assertThat(StatusMirror.worthMirroring(bound, meta)).isFalse();
    assertThat(StatusMirror.worthMirroring(bound, null)).as("no status yet").isTrue();
  }

  @Test
  void startedFailedOrWaitingMemberPodIsWorthAWrite() {
    PodStatus meta = new PodStatusBuilder().withPhase("Pending").build();
    Pod waiting =
        member()
            .withNewStatus()
            .withPhase("Pending")
            .addNewContainerStatus()
            .withName("main")
            .withNewState()
            .withNewWaiting()
            .withReason("ContainerCreating")
            .endWaiting()
            .endState()
            .endContainerStatus()
            .endStatus()
            .build();
    Pod rejected =
        member()
            .withNewStatus()
            .withPhase("Pending")
            .withReason("SomeAdmission")
            .endStatus()
            .build();
    assertThat(StatusMirror.worthMirroring(running(), meta)).isTrue();
    assertThat(StatusMirror.worthMirroring(waiting, meta)).isTrue();
    assertThat(StatusMirror.worthMirroring(rejected, meta)).isTrue();
    assertThat(
            StatusMirror.worthMirroring(
                member().withNewStatus().withPhase("Failed").endStatus().build(), meta))
        .isTrue();
  }

  @Test
  void staleNoFitOrUnreachableConditionIsClearedEvenBeforeTheMemberStarts() {
    Pod bound =
        member()
            .withNewStatus()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("True")
            .endCondition()
            .endStatus()
            .build();
    PodStatus noFit = StatusMirror.pending(null, "NoFit", "no member node has room", NOW);
    assertThat(StatusMirror.worthMirroring(bound, noFit)).isTrue();
    assertThat(StatusMirror.mirror(bound, noFit).getConditions())
        .extracting("status")
        .containsOnly("True");
    PodStatus unreachable =
        StatusMirror.unreachable(new PodStatusBuilder().withPhase("Pending").build(), "c1", NOW);
    assertThat(StatusMirror.worthMirroring(bound, unreachable)).isTrue();
  }

  @Test
  void reclaimedNamesClusterNodeAndCause() {
    PodStatus s =
        StatusMirror.reclaimed(
            StatusMirror.mirror(running(), null),
            "c1",
            "node-3",
            "EvictionByEvictionAPI (Eviction API: evicting)",
            NOW);
    assertThat(s.getPhase()).isEqualTo("Failed");
    assertThat(s.getReason()).isEqualTo("Reclaimed");
    assertThat(s.getMessage()).contains("c1", "node-3", "EvictionByEvictionAPI");
    assertThat(StatusMirror.condition(s, "DisruptionTarget").getStatus()).isEqualTo("True");
    assertThat(StatusMirror.condition(s, "Ready").getStatus()).isEqualTo("False");
    var cs = s.getContainerStatuses().get(0);
    assertThat(cs.getState().getTerminated().getReason()).isEqualTo("Reclaimed");
    assertThat(cs.getState().getTerminated().getFinishedAt()).isEqualTo("2025-03-01T10:00:00Z");
    assertThat(cs.getReady()).isFalse();
  }

  @Test
  void pendingConditionKeepsTransitionTimeWhileUnchanged() {
    PodStatus first =
        StatusMirror.pending(null, "NoMemberFit", "largest free node offers 6 CPU", NOW);
    var c = StatusMirror.condition(first, "PodScheduled");
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("NoMemberFit");
    assertThat(c.getMessage()).contains("6 CPU");
    PodStatus later = StatusMirror.pending(first, "NoMemberFit", "other", NOW.plusSeconds(60));
    assertThat(StatusMirror.condition(later, "PodScheduled").getLastTransitionTime())
        .isEqualTo(c.getLastTransitionTime());
    assertThat(later.getPhase()).isEqualTo("Pending");
  }

  @Test
  void failedSetsReasonWithoutDisruptionTarget() {
    PodStatus s = StatusMirror.failed(null, "UnsupportedVolume", "volume 'data' uses PVC", NOW);
    assertThat(s.getPhase()).isEqualTo("Failed");
    assertThat(s.getReason()).isEqualTo("UnsupportedVolume");
    assertThat(StatusMirror.condition(s, "DisruptionTarget")).isNull();
  }

  @Test
  void assessRunningIsActive() {
    assertThat(StatusMirror.assess(running())).isInstanceOf(MemberPodState.Active.class);
    assertThat(StatusMirror.assess(member().build())).isInstanceOf(MemberPodState.Active.class);
  }

  @Test
  void assessUnschedulable() {
    Pod p =
        member()
            .withNewStatus()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage("0/3 nodes: Insufficient cpu")
            .endCondition()
            .endStatus()
            .build();
    assertThat(StatusMirror.assess(p))
        .isEqualTo(new MemberPodState.Unschedulable("Unschedulable (0/3 nodes: Insufficient cpu)"));
    Pod outOf =
        member().withNewStatus().withPhase("Failed").withReason("OutOfcpu").endStatus().build();
    assertThat(StatusMirror.assess(outOf)).isInstanceOf(MemberPodState.Unschedulable.class);
  }

  private static Pod waitingFor(String message) {
    return member()
        .withNewStatus()
        .withPhase("Pending")
        .addNewCondition()
        .withType("PodScheduled")
        .withStatus("False")
        .withReason("Unschedulable")
        .withMessage(message)
        .endCondition()
        .endStatus()
        .build();
  }

  @Test
  void aMemberPodWaitingForItsVolumeClaimStaysAndItsReasonIsMirrored() {
    // kube-scheduler's VolumeBinding messages (v1.31), before the claim exists and while it is
    // unbound: the latter lasts for good when the member lacks the claim's StorageClass
    List<String> waits =
        List.of(
            "0/3 nodes are available: waiting for ephemeral volume controller to create the"
                + " persistentvolumeclaim \"gl-0123456789abcdef-cache\". preemption: 0/3 nodes"
                + " are available: 3 Preemption is not helpful for scheduling.",
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."
                + " preemption: 0/3 nodes are available: 3 Preemption is not helpful for"
                + " scheduling.",
            "0/3 nodes are available: persistentvolumeclaim \"gl-0123456789abcdef-cache\" not"
                + " found.");
    PodStatus meta =
        new PodStatusBuilder()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("True")
            .endCondition()
            .build();
    for (String message : waits) {
      Pod p = waitingFor(message);
      assertThat(StatusMirror.assess(p)).as(message).isEqualTo(new MemberPodState.Active());
      assertThat(StatusMirror.worthMirroring(p, meta)).as(message).isTrue();
      PodCondition mirrored = StatusMirror.mirror(p, meta).getConditions().get(0);
      assertThat(mirrored.getStatus()).isEqualTo("False");
      assertThat(mirrored.getReason()).isEqualTo("Unschedulable");
      assertThat(mirrored.getMessage()).isEqualTo(message);
    }
    // a node that lacks room for the volume is the placement's miss, as for cpu
    assertThat(
            StatusMirror.assess(
                waitingFor("0/3 nodes are available: 1 node(s) did not have enough free storage.")))
        .isInstanceOf(MemberPodState.Unschedulable.class);
  }

  @Test
  void assessEvictions() {
    Pod kubelet =
        member()
            .withNewStatus()
            .withPhase("Failed")
            .withReason("Evicted")
            .withMessage("The node was low on resource: memory.")
            .endStatus()
            .build();
    assertThat(StatusMirror.assess(kubelet))
        .isEqualTo(new MemberPodState.Evicted("Evicted (The node was low on resource: memory.)"));
    Pod api =
        new PodBuilder(running())
            .editStatus()
            .addNewCondition()
            .withType("DisruptionTarget")
            .withStatus("True")
            .withReason("EvictionByEvictionAPI")
            .withMessage("Eviction API: evicting")
            .endCondition()
            .endStatus()
            .build();
    assertThat(StatusMirror.assess(api))
        .isEqualTo(new MemberPodState.Evicted("EvictionByEvictionAPI (Eviction API: evicting)"));
    Pod deleting =
        new PodBuilder(running())
            .editMetadata()
            .withDeletionTimestamp("2025-03-01T10:00:00Z")
            .endMetadata()
            .build();
    assertThat(StatusMirror.assess(deleting)).isInstanceOf(MemberPodState.Evicted.class);
  }

  @Test
  void aGoneMemberPodsFinalStateSaysWhyItWasTaken() {
    Pod evicted =
        new PodBuilder(running())
            .editMetadata()
            .withDeletionTimestamp("2025-03-01T10:00:00Z")
            .endMetadata()
            .editStatus()
            .addNewCondition()
            .withType("DisruptionTarget")
            .withStatus("True")
            .withReason("EvictionByEvictionAPI")
            .withMessage("Eviction API: evicting")
            .endCondition()
            .endStatus()
            .build();
    assertThat(StatusMirror.deletedCause(evicted))
        .contains("EvictionByEvictionAPI (Eviction API: evicting)");
    Pod marked =
        new PodBuilder(evicted)
            .editMetadata()
            .addToAnnotations(GleanerKeys.RECLAIM_REASON, "TeamGuarantee")
            .addToAnnotations(GleanerKeys.RECLAIM_MESSAGE, "room for team ads")
            .endMetadata()
            .build();
    assertThat(StatusMirror.deletedCause(marked)).contains("TeamGuarantee (room for team ads)");
    Pod kubelet =
        member()
            .withNewStatus()
            .withPhase("Failed")
            .withReason("Evicted")
            .withMessage("The node was low on resource: memory.")
            .endStatus()
            .build();
    assertThat(StatusMirror.deletedCause(kubelet))
        .contains("Evicted (The node was low on resource: memory.)");
    Pod deleted =
        new PodBuilder(running())
            .editMetadata()
            .withDeletionTimestamp("2025-03-01T10:00:00Z")
            .endMetadata()
            .build();
    assertThat(StatusMirror.deletedCause(deleted)).isEmpty();
    assertThat(
            StatusMirror.deletedCause(
                member()
                    .withNewStatus()
                    .withPhase("Failed")
                    .withReason("Error")
                    .endStatus()
                    .build()))
        .isEmpty();
  }

  @Test
  void anEvictionForGleanersOwnReasonSaysItsReasonAndWhatItWasFor() {
    Pod guarantee =
        new PodBuilder(running())
            .editMetadata()
            .addToAnnotations(GleanerKeys.RECLAIM_REASON, "TeamGuarantee")
            .addToAnnotations(
                GleanerKeys.RECLAIM_MESSAGE,
                "Gleaner gave the pod's room to team ads, below its guaranteed share")
            .endMetadata()
            .editStatus()
            .addNewCondition()
            .withType("DisruptionTarget")
            .withStatus("True")
            .withReason("EvictionByEvictionAPI")
            .withMessage("Eviction API: evicting")
            .endCondition()
            .endStatus()
            .build();
    MemberPodState state = StatusMirror.assess(guarantee);
    assertThat(state)
        .isEqualTo(
            new MemberPodState.Evicted(
                "TeamGuarantee (Gleaner gave the pod's room to team ads, below its guaranteed"
                    + " share)"));

    PodStatus s =
        StatusMirror.reclaimed(
            StatusMirror.mirror(running(), null),
            "c1",
            "node-3",
            ((MemberPodState.Evicted) state).cause(),
            NOW);
    assertThat(s.getReason()).isEqualTo("Reclaimed");
    assertThat(s.getMessage())
        .isEqualTo(
            "reclaimed on member cluster c1, node node-3: TeamGuarantee (Gleaner gave the pod's"
                + " room to team ads, below its guaranteed share)");
    assertThat(StatusMirror.condition(s, "DisruptionTarget").getMessage())
        .isEqualTo(s.getMessage());
    // the note alone, on a pod that still runs, changes nothing
    assertThat(
            StatusMirror.assess(
                new PodBuilder(guarantee).editStatus().withConditions().endStatus().build()))
        .isEqualTo(new MemberPodState.Active());
  }

  @Test
  void assessFinished() {
    assertThat(
            StatusMirror.assess(
                member().withNewStatus().withPhase("Succeeded").endStatus().build()))
        .isEqualTo(new MemberPodState.Finished("Succeeded"));
    assertThat(
            StatusMirror.assess(
                member()
                    .withNewStatus()
                    .withPhase("Failed")
                    .withReason("Error")
                    .endStatus()
                    .build()))
        .isEqualTo(new MemberPodState.Finished("Failed"));
  }

  @Test
  void timeIsSecondPrecisionRfc3339() {
    assertThat(StatusMirror.time(NOW)).isEqualTo("2025-03-01T10:00:00Z");
  }
}
