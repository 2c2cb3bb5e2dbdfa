package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Dimensions.CPU;
import static io.gleaner.broker.placement.Dimensions.GPU;
import static io.gleaner.broker.placement.Dimensions.MEM;
import static io.gleaner.broker.placement.Dimensions.PODS;

import io.gleaner.meta.resources.Resources;
import java.util.Arrays;
import java.util.Map;

/**
 * A pod's requests as a vector over the {@link Dimensions}, the scratch of one decision: GPU in
 * milli-GPU (the share, or 1000 per whole device), at least one pod slot. Filling it again with the
 * same {@link Resources} instance (decide, then reserve) reuses the vector. Not thread-safe.
 */
final class Demand {
  private final Dimensions names;

  /** The amount per dimension. */
  long[] v = new long[Dimensions.FIXED];

  /** The dimensions with a non-zero amount, in index order; the first {@link #count} are valid. */
  int[] dims = new int[Dimensions.FIXED];

  int count;

  private Resources lastRequests;
  private int lastShare;
  private int lastDims;
  private boolean lastKnown;

  Demand(Dimensions names) {
    this.names = names;
  }

  /**
   * Fills the vector from a pod's requests; {@code gpuShare} is the milli-GPU of a shared device (0
   * when the pod takes whole devices). False when the requests name a resource no offer ever had
   * (the known ones are filled all the same).
   */
  boolean fill(Resources requests, int gpuShare) {
    int n = names.count();
    if (requests == lastRequests && gpuShare == lastShare && n == lastDims) {
      return lastKnown;
    }
    if (v.length != n) {
      v = new long[n];
      dims = new int[n];
    }
    lastKnown = compute(requests, gpuShare);
    lastRequests = requests;
    lastShare = gpuShare;
    lastDims = n;
    return lastKnown;
  }

  private boolean compute(Resources requests, int gpuShare) {
    Arrays.fill(v, 0);
    boolean known = true;
    for (Map.Entry<String, Long> e : requests.toCanonical().entrySet()) {
      Integer d = names.find(e.getKey());
      if (d == null) {
        known = false;
        continue;
      }
      v[d] = e.getValue();
    }
    v[GPU] = gpuShare > 0 ? gpuShare : Math.multiplyExact(requests.gpus(), 1000L);
    v[PODS] = Math.max(1, requests.pods());
    count = 0;
    for (int d = 0; d < v.length; d++) {
      if (v[d] > 0) {
        dims[count++] = d;
      }
    }
    return known;
  }

  /**
   * The dominant key resource, as an index into {@link NodeTable#KEY_DIMS}: GPU when requested,
   * else the larger share of the healthy lent cpu or memory ({@code healthyCap}, per dimension).
   */
  int keyIndex(long[] healthyCap) {
    if (v[GPU] > 0) {
      return 2;
    }
    return share(MEM, healthyCap) > share(CPU, healthyCap) ? 1 : 0;
  }

  private double share(int d, long[] healthyCap) {
    long total = healthyCap[d];
    if (v[d] == 0) {
      return 0;
    }
    return total <= 0 ? Double.POSITIVE_INFINITY : (double) v[d] / (double) total;
  }
}
