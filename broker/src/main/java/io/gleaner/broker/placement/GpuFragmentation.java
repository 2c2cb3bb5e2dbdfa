package io.gleaner.broker.placement;

import java.util.Arrays;

/**
 * How much of a node's free GPU the pods of a {@link GpuShapeMix} could not use, and how much a
 * placement would add to it: the fragmentation-aware score (after the idea of Weng et al., ATC'23).
 *
 * <p>For one shape, the fragment of a node is
 *
 * <ul>
 *   <li>all its free GPU when a pod of the shape does not fit on it (too little free cpu or memory,
 *       or fewer devices with the shape's amount free than it takes);
 *   <li>otherwise the free GPU of the devices that have less free than the shape takes of one
 *       device (for a shape of whole devices: every partly used device).
 * </ul>
 *
 * <p>The fragmentation of a node is the mean of its fragments over the mix, each shape weighted by
 * its share, in milli-GPU. A placement's growth is the fragmentation after it less the one before.
 * Pods without GPUs are left out of the mix: for them every free GPU is a fragment on every node,
 * which moves the growth of every node by the same amount. Not thread-safe (scratch arrays).
 */
final class GpuFragmentation {
  private int[] sorted = new int[16];
  private int[] after = new int[16];

  /**
   * The fragmentation of a node whose devices have {@code free[0..n)} milli-GPU free, with {@code
   * cpuFree} millicores and {@code memFree} bytes free; 0 for an empty mix.
   */
  double of(GpuShapeMix mix, int[] free, int n, long cpuFree, long memFree) {
    if (mix.size == 0 || mix.total <= 0) {
      return 0;
    }
    if (sorted.length < n) {
      sorted = new int[Math.max(n, sorted.length * 2)];
    }
    System.arraycopy(free, 0, sorted, 0, n);
    Arrays.sort(sorted, 0, n);
    long all = 0;
    for (int i = 0; i < n; i++) {
      all += Math.max(0, sorted[i]);
    }
    double sum = 0;
    int j = 0;
    long below = 0;
    for (int m = 0; m < mix.size; m++) {
      int need = mix.perDevice[m];
      while (j < n && sorted[j] < need) {
        below += Math.max(0, sorted[j++]);
      }
      boolean fits = n - j >= mix.devices[m] && cpuFree >= mix.cpu[m] && memFree >= mix.mem[m];
      sum += mix.weight[m] * (fits ? below : all);
    }
    return sum / mix.total;
  }

  /**
   * The growth of a node's fragmentation when a pod takes {@code cpu} millicores, {@code mem} bytes
   * and {@code perDevice} milli-GPU of each device in {@code take[0..takeCount)}. The node's
   * devices have {@code devCap[i] - devUsed[i]} free ({@code devCap.length} devices).
   */
  double growth(
      GpuShapeMix mix,
      int[] devCap,
      int[] devUsed,
      long cpuFree,
      long memFree,
      long cpu,
      long mem,
      int[] take,
      int takeCount,
      int perDevice) {
    int n = devCap.length;
    if (after.length < n) {
      after = new int[Math.max(n, after.length * 2)];
    }
    for (int i = 0; i < n; i++) {
      after[i] = devCap[i] - (i < devUsed.length ? devUsed[i] : 0);
    }
    double before = of(mix, after, n, cpuFree, memFree);
    for (int k = 0; k < takeCount; k++) {
      after[take[k]] -= perDevice;
    }
    return of(mix, after, n, cpuFree - cpu, memFree - mem) - before;
  }
}
