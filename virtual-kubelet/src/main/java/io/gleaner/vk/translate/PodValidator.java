package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.PodSecurityLevel;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Decides whether a metadata pod can move to a member cluster (ARCHITECTURE.md §5, §6 "bad input").
 * Pure.
 *
 * <p>Refusals fail the pod like a kubelet admission rejection, so the owning controller sees a
 * clear terminal reason instead of a pod that pends forever. DaemonSet pods are the exception:
 * failing them would make the DaemonSet controller recreate them in a hot loop, so they are held
 * Pending.
 *
 * <p>A pod that breaks the policy's Pod Security Standard level ({@link PodSecurityStandard}) is
 * refused with reason {@link PodSecurityStandard#REASON} and the rules it breaks.
 */
public final class PodValidator {
  public static final String REASON_UNKNOWN_CLASS = "UnknownWorkloadClass";
  public static final String REASON_UNSUPPORTED_VOLUME = "UnsupportedVolume";
  public static final String REASON_DAEMONSET = "DaemonSetNotSupported";
  public static final String REASON_NO_FIT = "NoMemberFit";

  /**
   * The reason of a pod no member node could ever hold, as a kubelet names its admission failures:
   * {@code OutOfcpu}, {@code OutOfmemory}, {@code OutOfnvidia.com/gpu}.
   */
  public static String reasonOutOf(String resource) {
    return "OutOf" + resource;
  }

  private final Supplier<PodSecurityLevel> podSecurity;

  /** A validator with the built-in policy's Pod Security Standard level. */
  public PodValidator() {
    this(() -> EffectivePolicy.DEFAULTS.podSecurity());
  }

  /**
   * @param podSecurity the level pods must meet, read at every validation (the policy's, live)
   */
  public PodValidator(Supplier<PodSecurityLevel> podSecurity) {
    this.podSecurity = podSecurity;
  }

  public PodAdmission validate(Pod pod) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    for (OwnerReference o : PodShapes.nullSafe(pod.getMetadata().getOwnerReferences())) {
      if ("DaemonSet".equals(o.getKind()) && Boolean.TRUE.equals(o.getController())) {
        return new PodAdmission.Held(
            REASON_DAEMONSET,
            "pod "
                + ns
                + "/"
                + name
                + " belongs to DaemonSet "
                + o.getName()
                + "; DaemonSet pods are never run on the Gleaner virtual node (add a nodeAffinity excluding "
                + "type=virtual-kubelet to the DaemonSet)");
      }
    }
    String label =
        pod.getMetadata().getLabels() == null
            ? null
            : pod.getMetadata().getLabels().get(GleanerKeys.CLASS);
    Optional<WorkloadClass> cls = WorkloadClasses.parse(label);
    if (cls.isEmpty()) {
      return new PodAdmission.Refused(
          REASON_UNKNOWN_CLASS,
          "label "
              + GleanerKeys.CLASS
              + "='"
              + label
              + "' is not a workload class; use '"
              + GleanerKeys.CLASS_NEAR_LINE
              + "' or '"
              + GleanerKeys.CLASS_OFFLINE
              + "' (default "
              + GleanerKeys.CLASS_OFFLINE
              + ")");
    }
    List<String> problems = new ArrayList<>();
    for (Volume v : PodShapes.nullSafe(pod.getSpec().getVolumes())) {
      if (v.getPersistentVolumeClaim() != null) {
        problems.add(
            "volume '"
                + v.getName()
                + "' uses PersistentVolumeClaim '"
                + v.getPersistentVolumeClaim().getClaimName()
                + "'");
      }
      if (v.getEphemeral() != null) {
        problems.add(
            "volume '" + v.getName() + "' is a generic ephemeral volume (a PersistentVolumeClaim)");
      }
      if (v.getHostPath() != null) {
        problems.add(
            "volume '" + v.getName() + "' uses hostPath '" + v.getHostPath().getPath() + "'");
      }
    }
    if (!problems.isEmpty()) {
      return new PodAdmission.Refused(
          REASON_UNSUPPORTED_VOLUME,
          String.join("; ", problems)
              + ": data cannot follow a pod across member clusters, so Gleaner does not run pods with "
              + "PersistentVolumeClaim or hostPath volumes");
    }
    Optional<String> insecure = PodSecurityStandard.refusal(pod, podSecurity.get());
    if (insecure.isPresent()) {
      return new PodAdmission.Refused(PodSecurityStandard.REASON, insecure.get());
    }
    return new PodAdmission.Accepted(cls.get());
  }
}
