package io.gleaner.bench.placement;

/**
 * What the member clusters really have free, node by node (cpu, memory, pod slots, GPU devices in
 * milli): the ground truth a benchmark checks every placement against, and what the member
 * schedulers of the baseline see.
 */
final class Truth {
  final int n;
  final int[] cluster;
  final long[] cpuCap;
  final long[] memCap;
  final long[] cpu;
  final long[] mem;
  final long[] pods;
  final int[][] dev;
  final int clusters;

  Truth(int n, int clusters) {
    this.n = n;
    this.clusters = clusters;
    cluster = new int[n];
    cpuCap = new long[n];
    memCap = new long[n];
    cpu = new long[n];
    mem = new long[n];
    pods = new long[n];
    dev = new int[n][];
  }

  void node(int i, int c, long cpuMilli, long memBytes, long podSlots, int gpus) {
    cluster[i] = c;
    cpuCap[i] = cpuMilli;
    memCap[i] = memBytes;
    cpu[i] = cpuMilli;
    mem[i] = memBytes;
    pods[i] = podSlots;
    dev[i] = new int[gpus];
    java.util.Arrays.fill(dev[i], 1000);
  }

  Truth copy() {
    Truth t = new Truth(n, clusters);
    System.arraycopy(cluster, 0, t.cluster, 0, n);
    System.arraycopy(cpuCap, 0, t.cpuCap, 0, n);
    System.arraycopy(memCap, 0, t.memCap, 0, n);
    System.arraycopy(cpu, 0, t.cpu, 0, n);
    System.arraycopy(mem, 0, t.mem, 0, n);
    System.arraycopy(pods, 0, t.pods, 0, n);
    for (int i = 0; i < n; i++) {
      t.dev[i] = dev[i].clone();
    }
    return t;
  }

  /**
   * Whether the shape fits on node i, as the member's scheduler would check (GPU devices included).
   */
  boolean fits(int i, Shape s) {
    if (cpu[i] < s.cpuMilli() || mem[i] < s.memBytes() || pods[i] < 1) {
      return false;
    }
    if (s.gpus() == 0) {
      return true;
    }
    if (s.sharesGpu()) {
      for (int f : dev[i]) {
        if (f >= s.gpuMilli()) {
          return true;
        }
      }
      return false;
    }
    int whole = 0;
    for (int f : dev[i]) {
      if (f == 1000) {
        whole++;
      }
    }
    return whole >= s.gpus();
  }

  /**
   * Takes the shape on node i: the given devices, or (when null) best-fit ones. Returns the GPU
   * milli taken.
   */
  long take(int i, Shape s, int[] devices) {
    cpu[i] -= s.cpuMilli();
    mem[i] -= s.memBytes();
    pods[i]--;
    if (s.gpus() == 0) {
      return 0;
    }
    int per = s.sharesGpu() ? s.gpuMilli() : 1000;
    int count = s.sharesGpu() ? 1 : s.gpus();
    if (devices == null) {
      devices = pick(i, s);
    }
    for (int k = 0; k < count; k++) {
      dev[i][devices[k]] -= per;
      if (dev[i][devices[k]] < 0) {
        throw new IllegalStateException(
            "GPU device " + devices[k] + " of node " + i + " over-committed");
      }
    }
    return (long) per * count;
  }

  private int[] pick(int i, Shape s) {
    if (s.sharesGpu()) {
      int best = -1;
      for (int d = 0; d < dev[i].length; d++) {
        if (dev[i][d] >= s.gpuMilli() && (best < 0 || dev[i][d] < dev[i][best])) {
          best = d;
        }
      }
      return new int[] {best};
    }
    int[] out = new int[s.gpus()];
    int k = 0;
    for (int d = 0; d < dev[i].length && k < out.length; d++) {
      if (dev[i][d] == 1000) {
        out[k++] = d;
      }
    }
    return out;
  }

  long totalCpu() {
    long t = 0;
    for (long v : cpuCap) {
      t += v;
    }
    return t;
  }

  long usedCpu() {
    long t = 0;
    for (int i = 0; i < n; i++) {
      t += cpuCap[i] - cpu[i];
    }
    return t;
  }

  long totalGpuMilli() {
    long t = 0;
    for (int[] d : dev) {
      t += d.length * 1000L;
    }
    return t;
  }

  long usedGpuMilli() {
    long t = 0;
    for (int[] d : dev) {
      for (int f : d) {
        t += 1000 - f;
      }
    }
    return t;
  }
}
