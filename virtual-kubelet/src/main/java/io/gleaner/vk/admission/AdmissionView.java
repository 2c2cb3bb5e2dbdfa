package io.gleaner.vk.admission;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSchedulingGate;
import io.fabric8.kubernetes.api.model.Toleration;
import io.gleaner.meta.fair.Candidate;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.kube.PodRequests;
import io.gleaner.meta.resources.Resources;
import io.gleaner.vk.translate.Gangs;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a round of fair admission starts from (pure): the metadata pods waiting at {@link
 * GleanerKeys#FAIR_SHARE_GATE}, the gated pods that are not the virtual node's to rank (released at
 * once), and what the pods bound to the virtual node or admitted to it and not yet bound take, in
 * all and per team.
 *
 * @param gated the pods to rank, as candidates (id: the pod's UID)
 * @param release the gated pods to ungate without ranking, with why
 * @param taken what the bound and admitted pods request, with a pod slot each
 * @param usage what each team's bound and admitted pods request, by team name
 */
public record AdmissionView(
    List<Candidate> gated,
    Map<String, String> release,
    Resources taken,
    Map<String, Resources> usage) {

  /** Why a gated pod is released without a turn: it does not tolerate the virtual node's taint. */
  public static final String NOT_FOR_VIRTUAL_NODE = "not-for-virtual-node";

  /** ... it is part of a gang (a PodGroup): gangs wait whole at placement instead. */
  public static final String GANG = "gang";

  /** ... its requests cannot be counted: the pod controller fails it with the reason. */
  public static final String INVALID_REQUESTS = "invalid-requests";

  /**
   * @param unbound the metadata pods bound to no node (the gated and the admitted among them)
   * @param bound the metadata pods bound to the virtual node that are not finished ({@link
   *     BoundPod#of})
   * @param teams the policy's teams
   * @param taint the virtual node's taint: a pod that does not tolerate it is not for the node
   * @param justAdmitted the UIDs of pods admitted by an earlier round whose gate the cache may
   *     still show: they count as admitted, never as gated
   */
  public static AdmissionView of(
      Collection<Pod> unbound,
      Collection<BoundPod> bound,
      Teams teams,
      KubeTaint taint,
      Set<String> justAdmitted) {
    List<Candidate> gated = new ArrayList<>();
    Map<String, String> release = new HashMap<>();
    Resources taken = Resources.ZERO;
    Map<String, Resources> usage = new HashMap<>();
    for (Pod p : unbound) {
      if (finished(p) || p.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      String uid = p.getMetadata().getUid();
      if (hasGate(p) && !justAdmitted.contains(uid)) {
        if (!forVirtualNode(p, taint)) {
          release.put(uid, NOT_FOR_VIRTUAL_NODE);
        } else if (inGang(p)) {
          release.put(uid, GANG);
        } else {
          Resources request = requests(p);
          if (request == null) {
            release.put(uid, INVALID_REQUESTS);
          } else {
            gated.add(candidate(p, request));
          }
        }
      } else if (admitted(p) || justAdmitted.contains(uid)) {
        Resources request = requests(p);
        if (request != null) {
          Resources slot = AdmissionRound.slot(request);
          taken = taken.plus(slot);
          usage.merge(teams.of(p.getMetadata().getNamespace()).name(), slot, Resources::plus);
        }
      }
    }
    for (BoundPod p : bound) {
      if (p.request() != null) {
        Resources slot = AdmissionRound.slot(p.request());
        taken = taken.plus(slot);
        usage.merge(teams.of(p.namespace()).name(), slot, Resources::plus);
      }
    }
    return new AdmissionView(List.copyOf(gated), Map.copyOf(release), taken, Map.copyOf(usage));
  }

  /** True when the pod still carries {@link GleanerKeys#FAIR_SHARE_GATE}. */
  public static boolean hasGate(Pod p) {
    List<PodSchedulingGate> gates = p.getSpec() == null ? null : p.getSpec().getSchedulingGates();
    if (gates == null) {
      return false;
    }
    for (PodSchedulingGate g : gates) {
      if (GleanerKeys.FAIR_SHARE_GATE.equals(g.getName())) {
        return true;
      }
    }
    return false;
  }

  /** True when Gleaner removed the pod's gate ({@link GleanerKeys#ADMITTED_AT}). */
  public static boolean admitted(Pod p) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    return a != null && a.containsKey(GleanerKeys.ADMITTED_AT);
  }

  private static boolean forVirtualNode(Pod p, KubeTaint taint) {
    List<Toleration> tolerations = p.getSpec().getTolerations();
    if (tolerations == null) {
      return false;
    }
    List<KubeToleration> parsed = new ArrayList<>();
    for (Toleration t : tolerations) {
      try {
        parsed.add(KubeToleration.from(t));
      } catch (IllegalArgumentException e) {
        // an invalid toleration tolerates nothing
      }
    }
    return KubeToleration.tolerated(taint, parsed);
  }

  private static boolean inGang(Pod p) {
    return Gangs.of(p).isPresent();
  }

  private static boolean finished(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  private static Resources requests(Pod p) {
    try {
      return PodRequests.effective(p.getSpec());
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Candidate candidate(Pod p, Resources request) {
    Instant since;
    try {
      since = Instant.parse(p.getMetadata().getCreationTimestamp());
    } catch (RuntimeException e) {
      since = Instant.EPOCH;
    }
    Map<String, String> labels = p.getMetadata().getLabels();
    boolean nearLine =
        labels != null && GleanerKeys.CLASS_NEAR_LINE.equals(labels.get(GleanerKeys.CLASS));
    return new Candidate(
        p.getMetadata().getUid(), p.getMetadata().getNamespace(), request, nearLine, since);
  }
}
