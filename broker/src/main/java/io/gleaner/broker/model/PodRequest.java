package io.gleaner.broker.model;

import io.gleaner.meta.kube.KubeNodeSelectorTerm;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a metadata pod asks of the broker: effective requests, class, node selector, required node
 * affinity, tolerations, and GPU sharing (openb model: one GPU with {@code gpuMilli < 1000} takes
 * that share of one device).
 *
 * @param exclude nodes not to use (e.g. the member pod pended there)
 * @param expectedRuntimeMs how long the pod expects to run; 0 when it does not say
 */
public record PodRequest(
    String podUid,
    String namespace,
    String name,
    WorkloadClass workloadClass,
    Resources requests,
    Map<String, String> nodeSelector,
    List<KubeNodeSelectorTerm> affinity,
    List<KubeToleration> tolerations,
    int gpuMilli,
    Set<NodeKey> exclude,
    long expectedRuntimeMs) {

  /** A pod that declares no expected run time. */
  public PodRequest(
      String podUid,
      String namespace,
      String name,
      WorkloadClass workloadClass,
      Resources requests,
      Map<String, String> nodeSelector,
      List<KubeNodeSelectorTerm> affinity,
      List<KubeToleration> tolerations,
      int gpuMilli,
      Set<NodeKey> exclude) {
    this(
        podUid,
        namespace,
        name,
        workloadClass,
        requests,
        nodeSelector,
        affinity,
        tolerations,
        gpuMilli,
        exclude,
        0);
  }

  public PodRequest {
    if (podUid == null || podUid.isBlank()) {
      throw new IllegalArgumentException("pod_uid must not be empty");
    }
    namespace = namespace == null ? "" : namespace;
    name = name == null ? "" : name;
    workloadClass = workloadClass == null ? WorkloadClass.OFFLINE : workloadClass;
    requests = Objects.requireNonNullElse(requests, Resources.ZERO);
    if (requests.hasNegative()) {
      throw new IllegalArgumentException(
          "requests of pod " + podUid + " must not be negative, got " + requests);
    }
    nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
    affinity = affinity == null ? List.of() : List.copyOf(affinity);
    tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    exclude = exclude == null ? Set.of() : Set.copyOf(exclude);
    if (expectedRuntimeMs < 0) {
      throw new IllegalArgumentException(
          "shape.expected_runtime_seconds must not be negative, got " + expectedRuntimeMs / 1000);
    }
    if (gpuMilli < 0 || gpuMilli > 1000) {
      throw new IllegalArgumentException("shape.gpu_milli must be within 0..1000, got " + gpuMilli);
    }
    long gpus = requests.gpus();
    if (gpuMilli > 0 && gpuMilli < 1000) {
      if (gpus > 1) {
        throw new IllegalArgumentException(
            "shape.gpu_milli="
                + gpuMilli
                + " shares one GPU, but requests ask for nvidia.com/gpu="
                + gpus);
      }
      if (gpus == 0) {
        requests = requests.with(Resources.GPU, 1);
      }
    }
  }

  /** A pod with only requests and a class. */
  public static PodRequest of(String podUid, WorkloadClass cls, Resources requests) {
    return new PodRequest(
        podUid, "", "", cls, requests, Map.of(), List.of(), List.of(), 0, Set.of());
  }

  /** Whether the pod takes a share of one GPU device rather than whole devices. */
  public boolean sharesGpu() {
    return gpuMilli > 0 && gpuMilli < 1000;
  }

  /** The GPU demand in milli-GPU: the share for a sharing pod, else 1000 per whole device. */
  public long gpuDemandMilli() {
    return sharesGpu() ? gpuMilli : Math.multiplyExact(requests.gpus(), 1000L);
  }

  public PodRequest withGpuMilli(int milli) {
    return new PodRequest(
        podUid,
        namespace,
        name,
        workloadClass,
        requests,
        nodeSelector,
        affinity,
        tolerations,
        milli,
        exclude,
        expectedRuntimeMs);
  }

  public PodRequest withUid(String uid) {
    return new PodRequest(
        uid,
        namespace,
        name,
        workloadClass,
        requests,
        nodeSelector,
        affinity,
        tolerations,
        gpuMilli,
        exclude,
        expectedRuntimeMs);
  }

  /** This pod, expecting to run for {@code ms} (0: not declared). */
  public PodRequest withExpectedRuntimeMs(long ms) {
    return new PodRequest(
        podUid,
        namespace,
        name,
        workloadClass,
        requests,
        nodeSelector,
        affinity,
        tolerations,
        gpuMilli,
        exclude,
        ms);
  }
}
