package io.gleaner.vk.translate;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpec;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimTemplate;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.gleaner.api.v1.WorkloadClass;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.PodSecurityLevel;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.kube.PodRequests;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.gleaner.meta.resources.Resources;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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
 * refused with reason {@link PodSecurityStandard#REASON} and the rules it breaks; one whose
 * requests cannot be accounted (a malformed quantity, or requests that overflow a {@code long} once
 * summed) with reason {@link #REASON_INVALID_RESOURCES} and the field or resource.
 */
public final class PodValidator {
  public static final String REASON_UNKNOWN_CLASS = "UnknownWorkloadClass";
  public static final String REASON_UNSUPPORTED_VOLUME = "UnsupportedVolume";
  public static final String REASON_DAEMONSET = "DaemonSetNotSupported";
  public static final String REASON_NO_FIT = "NoMemberFit";
  public static final String REASON_INVALID_RESOURCES = "InvalidResources";

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
    Optional<String> badResources = resourceProblem(pod.getSpec());
    if (badResources.isPresent()) {
      return new PodAdmission.Refused(REASON_INVALID_RESOURCES, badResources.get());
    }
    List<String> problems = new ArrayList<>();
    for (Volume v : PodShapes.nullSafe(pod.getSpec().getVolumes())) {
      volumeProblem(v).ifPresent(problems::add);
    }
    if (!problems.isEmpty()) {
      return new PodAdmission.Refused(
          REASON_UNSUPPORTED_VOLUME,
          String.join("; ", problems)
              + ": data cannot follow a pod across member clusters, so Gleaner runs only pods whose "
              + "volumes live and die with the pod (emptyDir, generic ephemeral volumes without a "
              + "data source, ConfigMaps, Secrets, projected and downward API volumes)");
    }
    Optional<String> insecure = PodSecurityStandard.refusal(pod, podSecurity.get());
    if (insecure.isPresent()) {
      return new PodAdmission.Refused(PodSecurityStandard.REASON, insecure.get());
    }
    return new PodAdmission.Accepted(cls.get());
  }

  /**
   * Why a volume cannot move, empty when it can. A generic ephemeral volume moves: the member's
   * ephemeral volume controller creates its claim, named after the member pod and owned by it, and
   * deletes it with the pod. One that clones a claim or restores a snapshot does not: its data
   * source names an object of the metadata namespace, absent in the member.
   */
  static Optional<String> volumeProblem(Volume v) {
    if (v.getPersistentVolumeClaim() != null) {
      return Optional.of(
          "volume '"
              + v.getName()
              + "' uses PersistentVolumeClaim '"
              + v.getPersistentVolumeClaim().getClaimName()
              + "'");
    }
    if (v.getHostPath() != null) {
      return Optional.of(
          "volume '" + v.getName() + "' uses hostPath '" + v.getHostPath().getPath() + "'");
    }
    if (v.getEphemeral() != null) {
      PersistentVolumeClaimTemplate template = v.getEphemeral().getVolumeClaimTemplate();
      if (template == null || template.getSpec() == null) {
        return Optional.of(
            "volume '"
                + v.getName()
                + "' is a generic ephemeral volume without a volumeClaimTemplate");
      }
      PersistentVolumeClaimSpec spec = template.getSpec();
      String source =
          spec.getDataSourceRef() != null
              ? spec.getDataSourceRef().getKind() + " '" + spec.getDataSourceRef().getName() + "'"
              : spec.getDataSource() != null
                  ? spec.getDataSource().getKind() + " '" + spec.getDataSource().getName() + "'"
                  : null;
      if (source != null) {
        return Optional.of(
            "generic ephemeral volume '" + v.getName() + "' is filled from " + source);
      }
    }
    return Optional.empty();
  }

  /**
   * Why the pod's requests cannot be accounted: a quantity that does not parse or does not fit a
   * {@code long} in its canonical unit, or requests that only overflow once summed (over the
   * containers, or cpu with {@code batch-cpu} when the pod becomes a best-effort pod).
   */
  static Optional<String> resourceProblem(PodSpec spec) {
    try {
      PodRequests.effective(spec);
    } catch (InvalidQuantityException e) {
      return Optional.of(e.getMessage());
    } catch (ArithmeticException e) {
      return Optional.of(
          "the requests of "
              + overflowing(spec)
              + " sum to more than "
              + Long.MAX_VALUE
              + " canonical units (too large to account)");
    }
    for (Container c : allContainers(spec)) {
      Resources r = PodRequests.container(c);
      if (overflows(r.cpuMillis(), r.get(Resources.BATCH_CPU))
          || overflows(r.memoryBytes(), r.get(Resources.BATCH_MEMORY))) {
        return Optional.of(
            "container "
                + c.getName()
                + ": its cpu and memory, counted as best-effort batch resources, are too large to"
                + " account");
      }
    }
    return Optional.empty();
  }

  private static boolean overflows(long a, long b) {
    try {
      Math.addExact(a, b);
      return false;
    } catch (ArithmeticException e) {
      return true;
    }
  }

  /** The resources whose requests, summed over every container and the overhead, overflow. */
  private static String overflowing(PodSpec spec) {
    Map<String, BigInteger> sums = new TreeMap<>();
    for (Container c : allContainers(spec)) {
      PodRequests.container(c)
          .toCanonical()
          .forEach((name, v) -> sums.merge(name, BigInteger.valueOf(v), BigInteger::add));
    }
    Resources.fromQuantities(spec.getOverhead())
        .toCanonical()
        .forEach((name, v) -> sums.merge(name, BigInteger.valueOf(v), BigInteger::add));
    List<String> out = new ArrayList<>();
    sums.forEach(
        (name, sum) -> {
          if (sum.bitLength() > 63) {
            out.add(name);
          }
        });
    return out.isEmpty() ? "its containers" : String.join(", ", out);
  }

  private static List<Container> allContainers(PodSpec spec) {
    List<Container> all = new ArrayList<>(PodShapes.nullSafe(spec.getContainers()));
    all.addAll(PodShapes.nullSafe(spec.getInitContainers()));
    return all;
  }
}
