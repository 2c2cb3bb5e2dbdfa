package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Dimensions.GPU;
import static io.gleaner.broker.placement.Dimensions.MEM;
import static io.gleaner.broker.placement.Dimensions.PODS;
import static io.gleaner.broker.placement.Dimensions.UNBOUNDED_PODS;

import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the placement state says about capacity, outside of a decision: what the virtual node
 * advertises, the largest free node, how many pods of a shape fit, and per (cluster, source)
 * totals. Reads the {@link NodeTable}; changes nothing but the {@link Demand} scratch. Not
 * thread-safe.
 */
final class CapacityReports {
  private final NodeTable t;
  private final Demand demand;

  CapacityReports(NodeTable t, Demand demand) {
    this.t = t;
    this.demand = demand;
  }

  /** How many pods of this shape fit, node by node, per cluster (sorted by cluster name). */
  Map<String, Long> estimate(PodRequest shape, PlacementPolicy policy) {
    Map<String, Long> out = new TreeMap<>();
    boolean known = demand.fill(shape.requests(), shape.sharesGpu() ? shape.gpuMilli() : 0);
    if (!known) {
      return out;
    }
    for (int s = 0; s < t.size; s++) {
      if (!t.eligible(s, shape.workloadClass(), policy)) {
        continue;
      }
      if (t.blockingTaints[s].length > 0
          && !PlacementEngine.tolerated(t.blockingTaints[s], shape.tolerations())) {
        continue;
      }
      if (!PlacementEngine.matches(t.offers[s].labels(), shape)) {
        continue;
      }
      long n = Long.MAX_VALUE;
      for (int i = 0; i < demand.count; i++) {
        int d = demand.dims[i];
        if (d == GPU) {
          continue;
        }
        n = Math.min(n, Math.max(0, t.cap[d][s] - t.used[d][s]) / demand.v[d]);
      }
      if (demand.v[GPU] > 0) {
        int[] dc = t.devCap[s];
        int[] du = t.devUsed[s];
        long g = 0;
        if (shape.sharesGpu()) {
          for (int i = 0; i < dc.length; i++) {
            g += Math.max(0, dc[i] - du[i]) / shape.gpuMilli();
          }
        } else {
          long whole = 0;
          for (int i = 0; i < dc.length; i++) {
            if (dc[i] - du[i] >= 1000) {
              whole++;
            }
          }
          g = whole / shape.requests().gpus();
        }
        n = Math.min(n, g);
      }
      if (n > 0) {
        out.merge(t.keys[s].cluster(), n, Long::sum);
      }
    }
    return out;
  }

  /**
   * The free vector of the node with the most free cpu (then memory) a pod of this class may use.
   */
  Resources largestFree(WorkloadClass cls, PlacementPolicy policy) {
    int best = topSlot(0, cls, policy);
    return best < 0 ? Resources.ZERO : freeOf(best);
  }

  /**
   * As {@link #largestFree(WorkloadClass, PlacementPolicy)}, each node's free vector cut to what
   * {@code room} (per member: resource → what its quotas leave) allows.
   */
  Resources largestFree(
      WorkloadClass cls,
      PlacementPolicy policy,
      java.util.function.Function<String, Map<String, Long>> room) {
    Map<String, Map<String, Long>> byCluster = new HashMap<>();
    Resources best = null;
    for (int s = 0; s < t.size; s++) {
      if (!t.eligible(s, cls, policy)) {
        continue;
      }
      Map<String, Long> r = byCluster.computeIfAbsent(t.keys[s].cluster(), room);
      Resources free = freeOf(s);
      for (Map.Entry<String, Long> e : r.entrySet()) {
        if (e.getKey().equals(Resources.PODS)) {
          if (e.getValue() == 0) {
            free = Resources.ZERO;
            break;
          }
        } else if (free.get(e.getKey()) > e.getValue()) {
          free = free.with(e.getKey(), e.getValue());
        }
      }
      if (free.cpuMillis() == 0) {
        continue;
      }
      if (best == null
          || free.cpuMillis() > best.cpuMillis()
          || (free.cpuMillis() == best.cpuMillis() && free.memoryBytes() > best.memoryBytes())) {
        best = free;
      }
    }
    return best == null ? Resources.ZERO : best;
  }

  /**
   * What one node has free for new pods (GPU as whole free devices), or zero for an unknown node.
   */
  Resources freeOf(NodeKey key) {
    int s = t.slot(key);
    return s < 0 ? Resources.ZERO : freeOf(s);
  }

  /** What slot {@code s} has free for new pods, GPU as whole free devices. */
  Resources freeOf(int s) {
    Resources.Builder b = Resources.builder();
    for (int d = 0; d < t.dims.count(); d++) {
      if (d == GPU) {
        b.putCanonical(Resources.GPU, wholeFree(s));
      } else if (!(d == PODS && t.cap[d][s] >= UNBOUNDED_PODS)) {
        b.putCanonical(t.dims.name(d), t.free(d, s));
      }
    }
    return b.build();
  }

  /** Whole free GPU devices on slot {@code s}. */
  int wholeFree(int s) {
    int whole = 0;
    int[] dc = t.devCap[s];
    for (int i = 0; i < dc.length; i++) {
      if (dc[i] - t.devUsed[s][i] >= 1000) {
        whole++;
      }
    }
    return whole;
  }

  /** The most free of dimension {@code d} on one node a pod of this class may use. */
  long maxFree(int d, WorkloadClass cls, PlacementPolicy policy) {
    for (int k = 0; k < NodeTable.KEY_DIMS.length; k++) {
      if (NodeTable.KEY_DIMS[k] == d) {
        int s = topSlot(k, cls, policy);
        return s < 0 ? 0 : t.free(d, s);
      }
    }
    long max = 0;
    for (int s = 0; s < t.size; s++) {
      if (t.eligible(s, cls, policy)) {
        max = Math.max(max, t.cap[d][s] - t.used[d][s]);
      }
    }
    return max;
  }

  /**
   * The eligible slot with the most free on key dimension {@code k} (ties: more free memory), found
   * from the top buckets of each allowed group's index; -1 when none.
   */
  int topSlot(int k, WorkloadClass cls, PlacementPolicy policy) {
    int d = NodeTable.KEY_DIMS[k];
    int best = -1;
    for (int g = 0; g < NodeTable.GROUPS; g++) {
      if (!policy.allows(cls, NodeTable.SOURCES[g / 2])) {
        continue;
      }
      BucketIndex ix = t.index[g][k];
      for (int b = ix.previousNonEmpty(BucketIndex.BUCKETS - 1);
          b >= 0;
          b = ix.previousNonEmpty(b - 1)) {
        if (best >= 0 && b < t.bucketOf[k][best]) {
          break;
        }
        boolean found = false;
        for (int i = 0; i < ix.sizes[b]; i++) {
          int s = ix.members[b][i];
          if (!t.clusterHealthy[t.clusterOf[s]]) {
            continue;
          }
          found = true;
          if (best < 0
              || t.free(d, s) > t.free(d, best)
              || (t.free(d, s) == t.free(d, best) && t.free(MEM, s) > t.free(MEM, best))) {
            best = s;
          }
        }
        if (found) {
          break;
        }
      }
    }
    return best;
  }

  /**
   * What the virtual node advertises for a class: Σ usable × (1 − margin) over active nodes of
   * healthy members whose source the class may use; for offline, less the near-line reserve. GPU in
   * whole devices. Never negative.
   */
  Resources advertised(WorkloadClass cls, PlacementPolicy policy) {
    int dims = t.dims.count();
    long[] sum = new long[dims];
    for (int s = 0; s < t.size; s++) {
      if (t.eligible(s, cls, policy)) {
        for (int d = 0; d < dims; d++) {
          if (!(d == PODS && t.cap[d][s] >= UNBOUNDED_PODS)) {
            sum[d] += t.cap[d][s];
          }
        }
      }
    }
    int pct = cls == WorkloadClass.OFFLINE ? policy.nearLineReservePercent() : 0;
    Resources.Builder b = Resources.builder();
    for (int d = 0; d < dims; d++) {
      long v = sum[d];
      if (pct > 0 && d != PODS) {
        v -= Math.floorDiv(Math.multiplyExact(t.healthyCap[d], (long) pct), 100L);
      }
      if (d == GPU) {
        v = v / 1000;
      }
      b.putCanonical(t.dims.name(d), Math.max(0, v));
    }
    return b.build();
  }

  /**
   * Offered, reserved (unconfirmed), placed (confirmed) and free per cluster and source, sorted.
   */
  List<CapacityTotals> totals() {
    int dims = t.dims.count();
    Map<String, long[][]> acc = new TreeMap<>();
    Map<String, Integer> nodes = new HashMap<>();
    for (int s = 0; s < t.size; s++) {
      if (t.offers[s] == null) {
        continue;
      }
      String k = t.keys[s].cluster() + "\u0000" + t.offers[s].source().name();
      long[][] a = acc.computeIfAbsent(k, x -> new long[4][dims]);
      nodes.merge(k, 1, Integer::sum);
      for (int d = 0; d < dims; d++) {
        long used = t.used[d][s];
        long confirmed = t.confirmed[d][s];
        if (d == PODS && t.cap[d][s] >= UNBOUNDED_PODS) {
          a[0][d] += used;
          a[1][d] += used - confirmed;
          a[2][d] += confirmed;
          continue;
        }
        a[0][d] += t.usable[d][s];
        a[1][d] += used - confirmed;
        a[2][d] += confirmed;
        a[3][d] += t.free(d, s);
      }
    }
    List<CapacityTotals> out = new ArrayList<>();
    acc.forEach(
        (k, a) -> {
          String[] parts = k.split("\u0000");
          String cluster = parts[0];
          out.add(
              new CapacityTotals(
                  cluster,
                  CapacitySource.valueOf(parts[1]),
                  t.isHealthy(cluster),
                  nodes.get(k),
                  toResources(a[0]),
                  toResources(a[1]),
                  toResources(a[2]),
                  toResources(a[3])));
        });
    return out;
  }

  private Resources toResources(long[] v) {
    Resources.Builder b = Resources.builder();
    for (int d = 0; d < v.length; d++) {
      b.putCanonical(t.dims.name(d), d == GPU ? (v[d] + 999) / 1000 : Math.max(0, v[d]));
    }
    return b.build();
  }
}
