package io.gleaner.bench.placement;

/**
 * The aggregate-capacity approach of tensile-kube and Liqo: the virtual node accepts a pod when the
 * summed free capacity of the federation covers its request, and sends it to the member cluster
 * with the most free capacity of the pod's main resource (GPU for GPU pods, else cpu). The member's
 * own scheduler then looks for a node (the one with the most free cpu that fits, like
 * LeastAllocated); when none fits the pod was accepted but pends there.
 */
final class AggregateBaseline {
  /** What happened to one pod. */
  enum Outcome {
    PLACED,
    ACCEPTED_UNFIT,
    REJECTED
  }

  private final Truth t;
  private final long[] clusterCpu;
  private final long[] clusterMem;
  private final long[] clusterGpu;
  private final int[][] nodesOf;
  private long totalCpu;
  private long totalMem;
  private long totalGpu;

  AggregateBaseline(Truth truth) {
    this.t = truth;
    clusterCpu = new long[t.clusters];
    clusterMem = new long[t.clusters];
    clusterGpu = new long[t.clusters];
    int[] counts = new int[t.clusters];
    for (int i = 0; i < t.n; i++) {
      counts[t.cluster[i]]++;
    }
    nodesOf = new int[t.clusters][];
    for (int c = 0; c < t.clusters; c++) {
      nodesOf[c] = new int[counts[c]];
      counts[c] = 0;
    }
    for (int i = 0; i < t.n; i++) {
      int c = t.cluster[i];
      nodesOf[c][counts[c]++] = i;
      clusterCpu[c] += t.cpu[i];
      clusterMem[c] += t.mem[i];
      long g = 0;
      for (int f : t.dev[i]) {
        g += f;
      }
      clusterGpu[c] += g;
    }
    for (int c = 0; c < t.clusters; c++) {
      totalCpu += clusterCpu[c];
      totalMem += clusterMem[c];
      totalGpu += clusterGpu[c];
    }
  }

  Outcome place(Shape s) {
    if (totalCpu < s.cpuMilli() || totalMem < s.memBytes() || totalGpu < s.gpuDemandMilli()) {
      return Outcome.REJECTED;
    }
    int best = -1;
    for (int c = 0; c < t.clusters; c++) {
      long v = s.gpus() > 0 ? clusterGpu[c] : clusterCpu[c];
      long bv = best < 0 ? -1 : (s.gpus() > 0 ? clusterGpu[best] : clusterCpu[best]);
      if (v > bv) {
        best = c;
      }
    }
    int node = -1;
    for (int i : nodesOf[best]) {
      if (t.fits(i, s) && (node < 0 || t.cpu[i] > t.cpu[node])) {
        node = i;
      }
    }
    if (node < 0) {
      return Outcome.ACCEPTED_UNFIT;
    }
    long gpu = t.take(node, s, null);
    clusterCpu[best] -= s.cpuMilli();
    clusterMem[best] -= s.memBytes();
    clusterGpu[best] -= gpu;
    totalCpu -= s.cpuMilli();
    totalMem -= s.memBytes();
    totalGpu -= gpu;
    return Outcome.PLACED;
  }

  /**
   * Whether any node of the federation could hold the shape (to tell unfit pods from unlucky ones).
   */
  boolean fitsAnywhere(Shape s) {
    for (int i = 0; i < t.n; i++) {
      if (t.fits(i, s)) {
        return true;
      }
    }
    return false;
  }
}
