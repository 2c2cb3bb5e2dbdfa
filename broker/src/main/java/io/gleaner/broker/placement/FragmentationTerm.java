package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Dimensions.CPU;
import static io.gleaner.broker.placement.Dimensions.GPU;
import static io.gleaner.broker.placement.Dimensions.MEM;

import io.gleaner.broker.model.PodRequest;

/**
 * The fragmentation term of placement on GPU nodes. It keeps the {@link GpuShapeMix} of the GPU
 * pods recently asked for, and scores a node the pod fits on (lower is better) by
 *
 * <ol>
 *   <li>how much placing the pod there grows the node's {@link GpuFragmentation} against that mix,
 *       in whole steps of {@link #STEP_MILLI} milli-GPU (finer differences are noise of the mix);
 *   <li>within a step, how far apart the node's free cpu and free GPU would be, each as a share of
 *       what the node lends: a node left with GPUs but no cpu (or the reverse) strands them.
 * </ol>
 *
 * <p>The score is {@code steps + imbalance / 2}, so the imbalance (0..1) only orders nodes of equal
 * steps. The search takes the lowest score before best fit. Not thread-safe.
 */
final class FragmentationTerm {
  /** Fragmentation growth is compared in steps of this many milli-GPU. */
  static final int STEP_MILLI = 50;

  /**
   * The search stops past the first bucket with a feasible node once it has examined this many
   * nodes per best-fit candidate, so GPU decisions stay bounded on large federations.
   */
  static final int EXAMINED_PER_CANDIDATE = 4;

  /** How the engine picks a pod's devices on a slot (fills {@code out}). */
  @FunctionalInterface
  interface DevicePicker {
    int pick(int slot, PodRequest req, int[] out);
  }

  private final GpuShapeMix mix;
  private final GpuFragmentation fragmentation = new GpuFragmentation();
  private final DevicePicker picker;
  private int[] take = new int[8];

  FragmentationTerm(DevicePicker picker) {
    this(picker, new GpuShapeMix());
  }

  FragmentationTerm(DevicePicker picker, GpuShapeMix mix) {
    this.picker = picker;
    this.mix = mix;
  }

  /** Counts a pod that asks for GPUs in the mix ({@code demand} holds its requests). */
  void observe(PodRequest req, Demand demand) {
    if (demand.v[GPU] <= 0) {
      return;
    }
    int devices = req.sharesGpu() ? 1 : (int) req.requests().gpus();
    int perDevice = req.sharesGpu() ? req.gpuMilli() : 1000;
    mix.observe(req.podUid(), devices, perDevice, demand.v[CPU], demand.v[MEM]);
  }

  /** Whether the term scores the nodes of group {@code g}: GPU nodes, once a GPU pod was seen. */
  boolean applies(int group) {
    return (group & 1) == 1 && mix.size > 0;
  }

  /** The score of slot {@code s} for the pod in {@code demand} (it fits there): lower is better. */
  double score(NodeTable t, int s, Demand demand, PodRequest req) {
    int takeCount = 0;
    int perDevice = 0;
    if (demand.v[GPU] > 0) {
      takeCount = req.sharesGpu() ? 1 : (int) req.requests().gpus();
      if (take.length < takeCount) {
        take = new int[takeCount];
      }
      picker.pick(s, req, take);
      perDevice = req.sharesGpu() ? req.gpuMilli() : 1000;
    }
    long cpuFree = t.cap[CPU][s] - t.used[CPU][s];
    long gpuFree = t.cap[GPU][s] - t.used[GPU][s];
    // no free GPU: nothing to strand, before or after (exact, and cheap)
    double growth =
        gpuFree <= 0
            ? 0
            : fragmentation.growth(
                mix,
                t.devCap[s],
                t.devUsed[s],
                cpuFree,
                t.cap[MEM][s] - t.used[MEM][s],
                demand.v[CPU],
                demand.v[MEM],
                take,
                takeCount,
                perDevice);
    return score(
        growth,
        share(cpuFree - demand.v[CPU], t.cap[CPU][s]),
        share(gpuFree - demand.v[GPU], t.cap[GPU][s]));
  }

  /**
   * The score of a growth (milli-GPU) that leaves {@code cpuShare} of the node's cpu and {@code
   * gpuShare} of its GPU free.
   */
  static double score(double growth, double cpuShare, double gpuShare) {
    return Math.rint(growth / STEP_MILLI) + Math.abs(cpuShare - gpuShare) / 2;
  }

  private static double share(long free, long cap) {
    return cap <= 0 ? 0 : Math.max(0, Math.min(1, (double) free / cap));
  }
}
