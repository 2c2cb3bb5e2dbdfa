package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminatedBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.gleaner.meta.kube.GleanerKeys;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Pure functions from member pod state to the metadata pod's status (ARCHITECTURE.md §4 step 5).
 * The virtual-kubelet is the only writer of a metadata pod's status; these functions give the whole
 * desired status, which is then written through the {@code pods/status} subresource when it differs
 * from the current one.
 */
public final class StatusMirror {
  public static final String REASON_RECLAIMED = "Reclaimed";
  public static final String REASON_MEMBER_UNREACHABLE = "MemberUnreachable";
  public static final String REASON_MEMBER_REMOVED = "MemberRemoved";
  public static final String CONDITION_POD_SCHEDULED = "PodScheduled";
  public static final String CONDITION_DISRUPTION_TARGET = "DisruptionTarget";
  public static final String CONDITION_READY = "Ready";

  /** The pod condition types a kubelet owns: a metadata pod's are the member kubelet's. */
  public static final Set<String> KUBELET_CONDITIONS =
      Set.of(
          CONDITION_POD_SCHEDULED,
          "PodReadyToStartContainers",
          "Initialized",
          "ContainersReady",
          CONDITION_READY);

  /** The kubelet's reason for {@code Ready=False} when a readiness gate is not True. */
  public static final String REASON_READINESS_GATES_NOT_READY = "ReadinessGatesNotReady";

  private static final String GLEANER_CONDITION_PREFIX = "gleaner.io/";

  private static final Set<String> EVICTION_REASONS =
      Set.of(
          "Evicted",
          "Preempting",
          "Shutdown",
          "NodeShutdown",
          "Terminated",
          "Terminating",
          "NodeLost");

  private StatusMirror() {}

  /**
   * Classifies a member pod; see {@link MemberPodState}. An evicted pod that the descheduler marked
   * with a reason of Gleaner's own ({@link GleanerKeys#RECLAIM_REASON}, e.g. room for a team's
   * guarantee) has that reason and its message as cause, not the member's words for the eviction.
   */
  public static MemberPodState assess(Pod member) {
    MemberPodState state = assessStatus(member);
    if (state instanceof MemberPodState.Evicted) {
      return gleanerCause(member).<MemberPodState>map(MemberPodState.Evicted::new).orElse(state);
    }
    return state;
  }

  /**
   * The reason of Gleaner's own the descheduler marked a member pod with before evicting it ({@link
   * GleanerKeys#RECLAIM_REASON}, {@link GleanerKeys#RECLAIM_MESSAGE}), as a cause.
   */
  public static Optional<String> gleanerCause(Pod member) {
    Map<String, String> a = member.getMetadata().getAnnotations();
    String reason = a == null ? null : a.get(GleanerKeys.RECLAIM_REASON);
    if (reason == null || reason.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(describe(reason, a.get(GleanerKeys.RECLAIM_MESSAGE)));
  }

  /**
   * Why a member pod that is gone was taken, from its final state: Gleaner's own reason ({@link
   * #gleanerCause}), else the member's for a disruption (a DisruptionTarget condition: an eviction,
   * a preemption; a kubelet's eviction); empty for a plain deletion.
   */
  public static Optional<String> deletedCause(Pod member) {
    Optional<String> own = gleanerCause(member);
    if (own.isPresent()) {
      return own;
    }
    PodStatus s = member.getStatus();
    PodCondition disruption = condition(s, CONDITION_DISRUPTION_TARGET);
    if (disruption != null && "True".equals(disruption.getStatus())) {
      return Optional.of(describe(disruption.getReason(), disruption.getMessage()));
    }
    if (s != null
        && "Failed".equals(s.getPhase())
        && EVICTION_REASONS.contains(Objects.toString(s.getReason(), ""))) {
      return Optional.of(describe(s.getReason(), s.getMessage()));
    }
    return Optional.empty();
  }

  private static MemberPodState assessStatus(Pod member) {
    PodStatus s = member.getStatus();
    PodCondition disruption = condition(s, CONDITION_DISRUPTION_TARGET);
    if (disruption != null && "True".equals(disruption.getStatus())) {
      return new MemberPodState.Evicted(describe(disruption.getReason(), disruption.getMessage()));
    }
    if (member.getMetadata().getDeletionTimestamp() != null) {
      return new MemberPodState.Evicted("member pod deleted in the member cluster");
    }
    if (s == null || s.getPhase() == null) {
      return new MemberPodState.Active();
    }
    String reason = Objects.toString(s.getReason(), "");
    switch (s.getPhase()) {
      case "Succeeded":
        return new MemberPodState.Finished("Succeeded");
      case "Failed":
        if (EVICTION_REASONS.contains(reason)) {
          return new MemberPodState.Evicted(describe(reason, s.getMessage()));
        }
        if (reason.startsWith("OutOf")) {
          return new MemberPodState.Unschedulable(describe(reason, s.getMessage()));
        }
        return new MemberPodState.Finished("Failed");
      case "Pending":
        PodCondition scheduled = condition(s, CONDITION_POD_SCHEDULED);
        if (scheduled != null
            && "False".equals(scheduled.getStatus())
            && "Unschedulable".equals(scheduled.getReason())
            && !waitsForVolume(scheduled.getMessage())) {
          return new MemberPodState.Unschedulable(
              describe(scheduled.getReason(), scheduled.getMessage()));
        }
        return new MemberPodState.Active();
      default:
        return new MemberPodState.Active();
    }
  }

  /**
   * kube-scheduler's words for a pod whose claims are not ready yet: the ephemeral volume
   * controller has not created a generic ephemeral volume's claim, or an immediate-binding claim is
   * not bound yet (also for good when the claim's StorageClass does not exist in the member). The
   * scheduler retries when the claim changes, so the pod is not the node's fault and is left to
   * wait; its condition is mirrored, and the claim's own events ({@code ProvisioningFailed}) follow
   * it to the metadata pod.
   */
  static boolean waitsForVolume(String message) {
    return message != null
        && (message.contains("waiting for ephemeral volume controller")
            || message.contains("unbound immediate PersistentVolumeClaims")
            || (message.contains("persistentvolumeclaim \"") && message.contains("not found")));
  }

  /**
   * The metadata pod status that mirrors a member pod of a metadata pod without readiness gates,
   * see {@link #mirror(Pod, PodStatus, List, Instant)}.
   */
  public static PodStatus mirror(Pod member, PodStatus meta) {
    return mirror(member, meta, List.of(), Instant.EPOCH);
  }

  /**
   * The metadata pod status that mirrors the member pod: phase, reason/message, container statuses,
   * pod/host IPs, start time, and the conditions the kubelet owns ({@link #KUBELET_CONDITIONS}) and
   * any the member pod carries. As a kubelet's status manager does, the metadata pod keeps the
   * conditions others set on it (a readiness gate's controller, the metadata cluster's {@code
   * DisruptionTarget}, Gleaner's admission once True); Gleaner's own conditions that are not True
   * (no fit, member unreachable, a turn waited for) are over once the member reports, and cleared.
   * With readiness gates, {@code Ready} is True only when the member's containers are ready and
   * every gate's condition on the metadata pod is True, in the kubelet's words otherwise; the
   * gates' controllers run in the metadata cluster, so member pods carry no gates ({@link
   * MemberPodTranslator}). The metadata pod's own QoS class is kept (co-location translation
   * changes the member's).
   *
   * @param gates the metadata pod's {@code spec.readinessGates}
   * @param now when {@code Ready} changes because of a gate
   */
  public static PodStatus mirror(
      Pod member, PodStatus meta, List<PodReadinessGate> gates, Instant now) {
    PodStatus m = member.getStatus() == null ? new PodStatus() : member.getStatus();
    PodStatusBuilder b = meta == null ? new PodStatusBuilder() : new PodStatusBuilder(meta);
    List<PodCondition> conditions = new ArrayList<>();
    Set<String> types = new HashSet<>();
    for (PodCondition c : PodShapes.nullSafe(m.getConditions())) {
      conditions.add(new PodConditionBuilder(c).build());
      types.add(c.getType());
    }
    if (meta != null) {
      for (PodCondition c : PodShapes.nullSafe(meta.getConditions())) {
        if (!types.contains(c.getType()) && !clearedByMirror(c)) {
          conditions.add(new PodConditionBuilder(c).build());
        }
      }
    }
    conditions = gateReady(conditions, gates, meta, now);
    return b.withPhase(m.getPhase() == null ? "Pending" : m.getPhase())
        .withReason(m.getReason())
        .withMessage(m.getMessage())
        .withConditions(conditions)
        .withContainerStatuses(copy(m.getContainerStatuses()))
        .withInitContainerStatuses(copy(m.getInitContainerStatuses()))
        .withEphemeralContainerStatuses(copy(m.getEphemeralContainerStatuses()))
        .withPodIP(m.getPodIP())
        .withPodIPs(m.getPodIPs() == null ? null : new ArrayList<>(m.getPodIPs()))
        .withHostIP(m.getHostIP())
        .withHostIPs(m.getHostIPs() == null ? null : new ArrayList<>(m.getHostIPs()))
        .withStartTime(
            m.getStartTime() != null ? m.getStartTime() : meta == null ? null : meta.getStartTime())
        .withNominatedNodeName(null)
        .build();
  }

  /**
   * A condition of the metadata pod the mirror replaces or clears: the kubelet's own (the member's
   * kubelet reports them), and Gleaner's own while not True.
   */
  private static boolean clearedByMirror(PodCondition c) {
    return KUBELET_CONDITIONS.contains(c.getType())
        || (c.getType() != null
            && c.getType().startsWith(GLEANER_CONDITION_PREFIX)
            && !"True".equals(c.getStatus()));
  }

  /** {@code Ready} as a kubelet computes it with readiness gates, once the containers are ready. */
  private static List<PodCondition> gateReady(
      List<PodCondition> conditions, List<PodReadinessGate> gates, PodStatus meta, Instant now) {
    if (gates == null || gates.isEmpty()) {
      return conditions;
    }
    PodCondition ready = find(conditions, CONDITION_READY);
    if (ready == null || !"True".equals(ready.getStatus())) {
      return conditions; // the containers are not ready: the member's words stand
    }
    List<String> unready = new ArrayList<>();
    for (PodReadinessGate g : gates) {
      PodCondition c = find(conditions, g.getConditionType());
      if (c == null) {
        unready.add(
            "corresponding condition of pod readiness gate \""
                + g.getConditionType()
                + "\" does not exist.");
      } else if (!"True".equals(c.getStatus())) {
        unready.add(
            "the status of pod readiness gate \""
                + g.getConditionType()
                + "\" is not \"True\", but "
                + c.getStatus());
      }
    }
    // the metadata pod's Ready so far, so its transition time is kept while its status is
    PodCondition previous = condition(meta, CONDITION_READY);
    List<PodCondition> base = previous == null ? List.of() : List.of(previous);
    PodCondition gated =
        unready.isEmpty()
            ? setCondition(base, CONDITION_READY, "True", null, null, now).get(0)
            : setCondition(
                    base,
                    CONDITION_READY,
                    "False",
                    REASON_READINESS_GATES_NOT_READY,
                    String.join(", ", unready),
                    now)
                .get(0);
    List<PodCondition> out = new ArrayList<>(conditions);
    out.set(out.indexOf(ready), gated);
    return out;
  }

  /**
   * Whether mirroring this member pod can change what the metadata pod shows. A member pod that is
   * only created or bound (Pending, no reason, no container statuses yet) adds nothing: the
   * metadata pod is already Pending and scheduled to the virtual node, so that write is skipped,
   * unless the metadata pod still carries a condition that is not True and that the mirror clears
   * (no fit, member unreachable). A member pod the member cannot schedule yet (its volume claim is
   * not ready, {@link #waitsForVolume}) is worth it: its reason is news.
   */
  public static boolean worthMirroring(Pod member, PodStatus meta) {
    PodStatus m = member.getStatus();
    boolean progressed =
        m != null
            && ((m.getPhase() != null && !"Pending".equals(m.getPhase()))
                || m.getReason() != null
                || !PodShapes.nullSafe(m.getContainerStatuses()).isEmpty()
                || !PodShapes.nullSafe(m.getInitContainerStatuses()).isEmpty()
                || PodShapes.nullSafe(m.getConditions()).stream()
                    .anyMatch(
                        c ->
                            CONDITION_POD_SCHEDULED.equals(c.getType())
                                && "False".equals(c.getStatus())));
    if (progressed || meta == null) {
      return true;
    }
    return PodShapes.nullSafe(meta.getConditions()).stream()
        .anyMatch(c -> !"True".equals(c.getStatus()) && clearedByMirror(c));
  }

  /**
   * The member, or Gleaner for a team's guarantee, took the pod back: phase Failed, reason {@code
   * Reclaimed} (what a Job's podFailurePolicy and the sandbox's pod fates count as designed), a
   * message naming cluster, node and cause, {@code DisruptionTarget=True} (so a Job's
   * podFailurePolicy can ignore reclaims) and every unfinished container terminated.
   */
  public static PodStatus reclaimed(
      PodStatus meta, String cluster, String node, String cause, Instant now) {
    String message = "reclaimed on member cluster " + cluster + ", node " + node + ": " + cause;
    return terminal(meta, REASON_RECLAIMED, message, now, true);
  }

  /**
   * The member left the federation (its MemberCluster was deleted): phase Failed, reason {@code
   * MemberRemoved}, {@code DisruptionTarget=True} (the pod did nothing wrong: a Job replaces it and
   * its podFailurePolicy can ignore it, as for a reclaim).
   */
  public static PodStatus memberRemoved(PodStatus meta, String cluster, Instant now) {
    String message =
        "member cluster "
            + cluster
            + " left the federation (its MemberCluster was deleted); the member pod was deleted";
    return terminal(meta, REASON_MEMBER_REMOVED, message, now, true);
  }

  /**
   * A terminal failure decided by the virtual-kubelet (refused pod, member unreachable past the
   * policy timeout).
   */
  public static PodStatus failed(PodStatus meta, String reason, String message, Instant now) {
    return terminal(meta, reason, message, now, false);
  }

  /**
   * Pending with {@code PodScheduled=False} carrying the reason and message (no fit, held DaemonSet
   * pod).
   */
  public static PodStatus pending(PodStatus meta, String reason, String message, Instant now) {
    PodStatusBuilder b = meta == null ? new PodStatusBuilder() : new PodStatusBuilder(meta);
    List<PodCondition> conditions =
        withCondition(meta, CONDITION_POD_SCHEDULED, "False", reason, message, now);
    return b.withPhase("Pending").withConditions(conditions).build();
  }

  /**
   * The status with one condition set and everything else kept (a pod not yet given a status is
   * Pending), e.g. why a pod waiting for room waits.
   */
  public static PodStatus withPodCondition(
      PodStatus meta, String type, String status, String reason, String message, Instant now) {
    PodStatusBuilder b =
        meta == null ? new PodStatusBuilder().withPhase("Pending") : new PodStatusBuilder(meta);
    return b.withConditions(withCondition(meta, type, status, reason, message, now)).build();
  }

  /** Keeps the last mirrored status and says that the member cluster does not answer. */
  public static PodStatus unreachable(PodStatus meta, String cluster, Instant now) {
    PodStatusBuilder b = meta == null ? new PodStatusBuilder() : new PodStatusBuilder(meta);
    return b.withConditions(
            withCondition(
                meta,
                GleanerKeys.CONDITION_MEMBER_REACHABLE,
                "False",
                REASON_MEMBER_UNREACHABLE,
                "member cluster " + cluster + " does not answer; last known status kept",
                now))
        .build();
  }

  private static PodStatus terminal(
      PodStatus meta, String reason, String message, Instant now, boolean disruption) {
    PodStatusBuilder b = meta == null ? new PodStatusBuilder() : new PodStatusBuilder(meta);
    List<PodCondition> conditions =
        meta == null
            ? new ArrayList<>()
            : new ArrayList<>(PodShapes.nullSafe(meta.getConditions()));
    conditions = setCondition(conditions, "Ready", "False", reason, message, now);
    conditions = setCondition(conditions, "ContainersReady", "False", reason, message, now);
    if (disruption) {
      conditions =
          setCondition(conditions, CONDITION_DISRUPTION_TARGET, "True", reason, message, now);
    }
    return b.withPhase("Failed")
        .withReason(reason)
        .withMessage(message)
        .withConditions(conditions)
        .withContainerStatuses(
            terminated(meta == null ? null : meta.getContainerStatuses(), reason, message, now))
        .build();
  }

  private static List<ContainerStatus> terminated(
      List<ContainerStatus> statuses, String reason, String message, Instant now) {
    if (statuses == null) {
      return null;
    }
    List<ContainerStatus> out = new ArrayList<>();
    for (ContainerStatus cs : statuses) {
      ContainerState state = cs.getState();
      if (state != null && state.getTerminated() != null) {
        out.add(cs);
        continue;
      }
      out.add(
          new ContainerStatusBuilder(cs)
              .withReady(false)
              .withStarted(false)
              .withNewState()
              .withTerminated(
                  new ContainerStateTerminatedBuilder()
                      .withExitCode(137)
                      .withReason(reason)
                      .withMessage(message)
                      .withFinishedAt(time(now))
                      .build())
              .endState()
              .build());
    }
    return out;
  }

  static List<PodCondition> withCondition(
      PodStatus meta, String type, String status, String reason, String message, Instant now) {
    List<PodCondition> conditions =
        meta == null
            ? new ArrayList<>()
            : new ArrayList<>(PodShapes.nullSafe(meta.getConditions()));
    return setCondition(conditions, type, status, reason, message, now);
  }

  /** Sets a condition, keeping lastTransitionTime when its status did not change. */
  static List<PodCondition> setCondition(
      List<PodCondition> conditions,
      String type,
      String status,
      String reason,
      String message,
      Instant now) {
    List<PodCondition> out = new ArrayList<>();
    boolean found = false;
    for (PodCondition c : conditions) {
      if (type.equals(c.getType())) {
        found = true;
        String transition =
            status.equals(c.getStatus()) && c.getLastTransitionTime() != null
                ? c.getLastTransitionTime()
                : time(now);
        out.add(
            new PodConditionBuilder(c)
                .withStatus(status)
                .withReason(reason)
                .withMessage(message)
                .withLastTransitionTime(transition)
                .build());
      } else {
        out.add(c);
      }
    }
    if (!found) {
      out.add(
          new PodConditionBuilder()
              .withType(type)
              .withStatus(status)
              .withReason(reason)
              .withMessage(message)
              .withLastTransitionTime(time(now))
              .build());
    }
    return out;
  }

  public static PodCondition condition(PodStatus s, String type) {
    return s == null ? null : find(PodShapes.nullSafe(s.getConditions()), type);
  }

  private static PodCondition find(List<PodCondition> conditions, String type) {
    for (PodCondition c : conditions) {
      if (type.equals(c.getType())) {
        return c;
      }
    }
    return null;
  }

  /** RFC 3339 with second precision, as Kubernetes serializes metav1.Time. */
  public static String time(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String describe(String reason, String message) {
    String r = reason == null || reason.isBlank() ? "" : reason;
    String m = message == null || message.isBlank() ? "" : message;
    if (r.isEmpty()) {
      return m.isEmpty() ? "no reason given" : m;
    }
    return m.isEmpty() ? r : r + " (" + m + ")";
  }

  private static List<ContainerStatus> copy(List<ContainerStatus> statuses) {
    if (statuses == null) {
      return null;
    }
    List<ContainerStatus> out = new ArrayList<>();
    for (ContainerStatus cs : statuses) {
      out.add(new ContainerStatusBuilder(cs).build());
    }
    return out;
  }
}
