package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Dimensions.GPU;
import static io.gleaner.broker.placement.Dimensions.PODS;
import static io.gleaner.broker.placement.Dimensions.UNBOUNDED_PODS;

import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The placement state: per member node what it lends (after the source's reserve margin) and what
 * reservations take, per member cluster its health and totals, and the {@link BucketIndex}es over
 * the active nodes. It applies offers, withdrawals and reservations; it decides nothing.
 *
 * <p>Layout: one slot per node, resources in primitive arrays indexed by {@link Dimensions}. Nodes
 * are grouped by (source, has GPUs): group {@code source.ordinal() * 2 + (GPUs ? 1 : 0)}; every
 * group keeps one index per key dimension ({@link #KEY_DIMS}: free cpu, memory and GPU). The arrays
 * are read directly by the engine's hot path, and are replaced when they grow. Not thread-safe.
 */
final class NodeTable {
  /** The dimensions a group is indexed by; a key index {@code k} means {@code KEY_DIMS[k]}. */
  static final int[] KEY_DIMS = {Dimensions.CPU, Dimensions.MEM, GPU};

  /** The key index of free GPU. */
  static final int GPU_KEY = 2;

  static final CapacitySource[] SOURCES = CapacitySource.values();
  static final int GROUPS = SOURCES.length * 2;

  final Dimensions dims = new Dimensions();

  // slots
  int size;
  private int capacity = 16;
  long[][] cap = new long[Dimensions.FIXED][capacity];
  long[][] usable = new long[Dimensions.FIXED][capacity];
  long[][] used = new long[Dimensions.FIXED][capacity];
  long[][] confirmed = new long[Dimensions.FIXED][capacity];
  int[][] devCap = new int[capacity][];
  int[][] devUsed = new int[capacity][];
  NodeKey[] keys = new NodeKey[capacity];

  /** Per slot, the active offer; null while withdrawn or never offered. */
  NodeOffer[] offers = new NodeOffer[capacity];

  int[] clusterOf = new int[capacity];
  int[] groupOf = new int[capacity];
  float[] risk = new float[capacity];
  KubeTaint[][] blockingTaints = new KubeTaint[capacity][];
  final int[][] bucketOf = new int[KEY_DIMS.length][capacity];
  final int[][] posOf = new int[KEY_DIMS.length][capacity];
  private final Map<NodeKey, Integer> slotOf = new HashMap<>();

  /**
   * Per slot, the node's whole allocatable as last offered (kept while withdrawn: the node may come
   * back); {@link Resources#ZERO} when its offers do not report it, null for a node never offered.
   */
  Resources[] allocatableOf = new Resources[capacity];

  // clusters
  private final Map<String, Integer> clusterIdx = new HashMap<>();
  boolean[] clusterHealthy = new boolean[16];
  int[] clusterPods = new int[16];

  /**
   * Per cluster, the slots of its nodes (offered or not; a slot never changes cluster), so that a
   * decision restricted to one member scans that member's nodes instead of the federation's
   * buckets.
   */
  int[][] clusterSlots = new int[16][];

  /** Per cluster, how many entries of {@link #clusterSlots} are used. */
  int[] clusterSlotCount = new int[16];

  /** Per cluster, per dim: lendable capacity of its active non-elastic nodes. */
  private long[][] clusterCap = new long[16][Dimensions.FIXED];

  /** Σ clusterCap over healthy clusters. */
  long[] healthyCap = new long[Dimensions.FIXED];

  /** What offline reservations take, per dim. */
  long[] offlineUsed = new long[Dimensions.FIXED];

  final BucketIndex[][] index = new BucketIndex[GROUPS][KEY_DIMS.length];

  private final long[] freeScratch = new long[BucketIndex.PRUNE_DIMS];

  NodeTable() {
    for (int g = 0; g < GROUPS; g++) {
      for (int k = 0; k < KEY_DIMS.length; k++) {
        index[g][k] = new BucketIndex();
      }
    }
    for (int k = 0; k < KEY_DIMS.length; k++) {
      Arrays.fill(bucketOf[k], -1);
      Arrays.fill(posOf[k], -1);
    }
  }

  /** How many active offers are draining. */
  private int draining;

  // ------------------------------------------------------------------------------------------------------------
  // Changes

  /**
   * Puts a node's offer (a full snapshot) in force with the source's reserve {@code margin} in
   * percent; reservations on the node stay. Returns whether what the node could ever lend changed
   * (its allocatable, or its source).
   */
  boolean put(NodeOffer offer, int margin) {
    int s = slotFor(offer.key());
    if (offers[s] != null) {
      deactivate(s);
      draining -= offers[s].draining() ? 1 : 0;
    }
    draining += offer.draining() ? 1 : 0;
    CapacitySource source = offer.source();
    Resources u = offer.usable();
    if (source == CapacitySource.COLOCATION) {
      u = colocationView(u);
    }
    for (String name : u.names()) {
      dim(name);
    }
    int n = dims.count();
    for (int d = 0; d < n; d++) {
      usable[d][s] = 0;
      cap[d][s] = 0;
    }
    for (Map.Entry<String, Long> e : u.toCanonical().entrySet()) {
      int d = dim(e.getKey());
      if (d == GPU) {
        continue;
      }
      long v = e.getValue();
      usable[d][s] = v;
      cap[d][s] = d == PODS ? v : Math.floorDiv(Math.multiplyExact(v, 100L - margin), 100L);
    }
    if (u.get(Resources.PODS) == 0) {
      usable[PODS][s] = UNBOUNDED_PODS;
      cap[PODS][s] = UNBOUNDED_PODS;
    }
    int[] devices;
    if (!offer.gpuFreeMilli().isEmpty()) {
      devices = offer.gpuFreeMilli().stream().mapToInt(Integer::intValue).toArray();
    } else {
      devices = new int[(int) Math.min(u.gpus(), 1024)];
      Arrays.fill(devices, 1000);
    }
    devCap[s] = devices;
    int[] du = devUsed[s];
    if (du == null || du.length < devices.length) {
      devUsed[s] = du == null ? new int[devices.length] : Arrays.copyOf(du, devices.length);
    }
    long gpuCap = 0;
    for (int m : devices) {
      gpuCap += m;
    }
    cap[GPU][s] = gpuCap;
    usable[GPU][s] = gpuCap;
    offers[s] = offer;
    int group = source.ordinal() * 2 + (gpuCap > 0 ? 1 : 0);
    boolean boundChanged =
        !offer.allocatable().equals(allocatableOf[s])
            || (groupOf[s] / 2 != group / 2 && !offer.allocatable().isZero());
    allocatableOf[s] = offer.allocatable();
    clusterOf[s] = cluster(offer.key().cluster());
    risk[s] = (float) offer.reclaimRisk();
    List<KubeTaint> blocking = new ArrayList<>();
    for (KubeTaint t : offer.taints()) {
      if (t.blocksScheduling()) {
        blocking.add(t);
      }
    }
    blockingTaints[s] = blocking.toArray(new KubeTaint[0]);
    groupOf[s] = group;
    activate(s);
    return boundChanged;
  }

  /** Withdraws a node's offer; its reservations stay. False for a node without an active offer. */
  boolean withdraw(NodeKey key) {
    Integer s = slotOf.get(key);
    if (s == null || offers[s] == null) {
      return false;
    }
    deactivate(s);
    draining -= offers[s].draining() ? 1 : 0;
    offers[s] = null;
    return true;
  }

  /** Active offers that are draining ({@link NodeOffer#draining()}). */
  int drainingCount() {
    return draining;
  }

  /** Marks a member healthy or not; false when it already was. */
  boolean setHealthy(String cluster, boolean healthy) {
    int c = cluster(cluster);
    if (clusterHealthy[c] == healthy) {
      return false;
    }
    clusterHealthy[c] = healthy;
    for (int d = 0; d < dims.count(); d++) {
      healthyCap[d] += healthy ? clusterCap[c][d] : -clusterCap[c][d];
    }
    return true;
  }

  /** How many member clusters have been seen (cluster indexes are below it). */
  int clusterCount() {
    return clusterIdx.size();
  }

  /** Every member cluster seen, by name. */
  java.util.Set<String> clusterNames() {
    return clusterIdx.keySet();
  }

  /** The index of a member cluster, or -1 when no node of it was ever seen. */
  int clusterIndexOf(String name) {
    Integer c = clusterIdx.get(name);
    return c == null ? -1 : c;
  }

  /** Healthy members with at least one active offer, by name. */
  java.util.SortedSet<String> activeClusters() {
    java.util.SortedSet<String> out = new java.util.TreeSet<>();
    for (Map.Entry<String, Integer> e : clusterIdx.entrySet()) {
      int c = e.getValue();
      if (!clusterHealthy[c]) {
        continue;
      }
      int[] slots = clusterSlots[c];
      for (int i = 0; i < clusterSlotCount[c]; i++) {
        if (offers[slots[i]] != null) {
          out.add(e.getKey());
          break;
        }
      }
    }
    return out;
  }

  /** Whether a member is healthy; true for one never seen. */
  boolean isHealthy(String cluster) {
    Integer c = clusterIdx.get(cluster);
    return c == null || clusterHealthy[c];
  }

  /**
   * Adds ({@code sign} +1) or removes (-1) a reservation on slot {@code s}; {@code demand} holds
   * the placement's requests.
   */
  void reserve(int s, Placement p, Demand demand, int sign) {
    boolean active = offers[s] != null;
    if (active) {
      unindex(s);
    }
    for (int i = 0; i < demand.count; i++) {
      int d = demand.dims[i];
      if (d == GPU) {
        continue;
      }
      used[d][s] += sign * demand.v[d];
      if (p.confirmed()) {
        confirmed[d][s] += sign * demand.v[d];
      }
      if (p.workloadClass() == WorkloadClass.OFFLINE) {
        offlineUsed[d] += sign * demand.v[d];
      }
    }
    long gpuMilli = 0;
    int perDevice = p.gpuMilli() > 0 ? p.gpuMilli() : 1000;
    for (int dev : p.gpuDevices()) {
      int[] du = devUsed[s];
      if (du == null || du.length <= dev) {
        devUsed[s] = du = du == null ? new int[dev + 1] : Arrays.copyOf(du, dev + 1);
      }
      du[dev] += sign * perDevice;
      gpuMilli += perDevice;
    }
    used[GPU][s] += sign * gpuMilli;
    if (p.confirmed()) {
      confirmed[GPU][s] += sign * gpuMilli;
    }
    if (p.workloadClass() == WorkloadClass.OFFLINE) {
      offlineUsed[GPU] += sign * gpuMilli;
    }
    clusterPods[cluster(p.node().cluster())] += sign;
    if (active) {
      index(s);
    }
  }

  /** Counts a reservation on slot {@code s} as placed; {@code demand} holds its requests. */
  void confirm(int s, Demand demand) {
    for (int i = 0; i < demand.count; i++) {
      int d = demand.dims[i];
      confirmed[d][s] += demand.v[d];
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Reads

  /** The slot of a node, or -1 when it was never seen. */
  int slot(NodeKey key) {
    Integer s = slotOf.get(key);
    return s == null ? -1 : s;
  }

  /** The slot of a node, created when new. */
  int slotFor(NodeKey key) {
    Integer s = slotOf.get(key);
    if (s != null) {
      return s;
    }
    if (size == capacity) {
      grow();
    }
    int n = size++;
    keys[n] = key;
    int c = cluster(key.cluster());
    clusterOf[n] = c;
    int[] slots = clusterSlots[c];
    if (slots == null) {
      slots = clusterSlots[c] = new int[8];
    } else if (clusterSlotCount[c] == slots.length) {
      slots = clusterSlots[c] = Arrays.copyOf(slots, slots.length * 2);
    }
    slots[clusterSlotCount[c]++] = n;
    blockingTaints[n] = new KubeTaint[0];
    devCap[n] = new int[0];
    devUsed[n] = new int[0];
    slotOf.put(key, n);
    return n;
  }

  /** Free amount of dimension {@code d} on slot {@code s}, never negative. */
  long free(int d, int s) {
    return Math.max(0, cap[d][s] - used[d][s]);
  }

  /** Whether slot {@code s} is offered by a healthy member through a source the class may use. */
  boolean eligible(int s, WorkloadClass cls, PlacementPolicy policy) {
    return offers[s] != null
        && clusterHealthy[clusterOf[s]]
        && policy.allows(cls, offers[s].source());
  }

  /** Number of nodes with an active offer. */
  int activeCount() {
    int n = 0;
    for (int g = 0; g < GROUPS; g++) {
      n += index[g][0].count;
    }
    return n;
  }

  /**
   * Lent capacity of a dimension: over healthy members, else the first active node's; 0 when no
   * node has it (pod slots always count as lent).
   */
  long totalCap(int d) {
    if (d == PODS) {
      return 1;
    }
    long t = healthyCap[d];
    if (t > 0) {
      return t;
    }
    for (int s = 0; s < size; s++) {
      if (offers[s] != null && cap[d][s] > 0) {
        return cap[d][s];
      }
    }
    return 0;
  }

  /** A co-location offer's batch resources serve cpu and memory requests where it has none. */
  static Resources colocationView(Resources u) {
    Resources out = u;
    if (u.get(Resources.BATCH_CPU) > 0 && u.cpuMillis() == 0) {
      out = out.with(Resources.CPU, u.get(Resources.BATCH_CPU)).without(Resources.BATCH_CPU);
    }
    if (u.get(Resources.BATCH_MEMORY) > 0 && u.memoryBytes() == 0) {
      out =
          out.with(Resources.MEMORY, u.get(Resources.BATCH_MEMORY)).without(Resources.BATCH_MEMORY);
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Internals

  private void activate(int s) {
    index(s);
    if (offers[s].source() != CapacitySource.ELASTIC) {
      int c = clusterOf[s];
      for (int d = 0; d < dims.count(); d++) {
        long v = d == PODS ? 0 : cap[d][s];
        clusterCap[c][d] += v;
        if (clusterHealthy[c]) {
          healthyCap[d] += v;
        }
      }
    }
  }

  private void deactivate(int s) {
    unindex(s);
    if (offers[s].source() != CapacitySource.ELASTIC) {
      int c = clusterOf[s];
      for (int d = 0; d < dims.count(); d++) {
        long v = d == PODS ? 0 : cap[d][s];
        clusterCap[c][d] -= v;
        if (clusterHealthy[c]) {
          healthyCap[d] -= v;
        }
      }
    }
  }

  private void index(int s) {
    int g = groupOf[s];
    for (int d = 0; d < BucketIndex.PRUNE_DIMS; d++) {
      freeScratch[d] = cap[d][s] - used[d][s];
    }
    for (int k = 0; k < KEY_DIMS.length; k++) {
      int d = KEY_DIMS[k];
      index[g][k].add(s, cap[d][s] - used[d][s], bucketOf[k], posOf[k], freeScratch);
    }
  }

  private void unindex(int s) {
    int g = groupOf[s];
    for (int k = 0; k < KEY_DIMS.length; k++) {
      if (bucketOf[k][s] >= 0) {
        index[g][k].remove(s, bucketOf[k], posOf[k]);
      }
    }
  }

  private void grow() {
    int c = capacity * 2;
    for (int d = 0; d < dims.count(); d++) {
      cap[d] = Arrays.copyOf(cap[d], c);
      usable[d] = Arrays.copyOf(usable[d], c);
      used[d] = Arrays.copyOf(used[d], c);
      confirmed[d] = Arrays.copyOf(confirmed[d], c);
    }
    devCap = Arrays.copyOf(devCap, c);
    devUsed = Arrays.copyOf(devUsed, c);
    keys = Arrays.copyOf(keys, c);
    offers = Arrays.copyOf(offers, c);
    clusterOf = Arrays.copyOf(clusterOf, c);
    groupOf = Arrays.copyOf(groupOf, c);
    risk = Arrays.copyOf(risk, c);
    blockingTaints = Arrays.copyOf(blockingTaints, c);
    allocatableOf = Arrays.copyOf(allocatableOf, c);
    for (int k = 0; k < KEY_DIMS.length; k++) {
      int[] b = Arrays.copyOf(bucketOf[k], c);
      int[] p = Arrays.copyOf(posOf[k], c);
      Arrays.fill(b, capacity, c, -1);
      Arrays.fill(p, capacity, c, -1);
      bucketOf[k] = b;
      posOf[k] = p;
    }
    capacity = c;
  }

  /** The dimension of a resource, adding a row to every per-dimension array for a new one. */
  private int dim(String name) {
    int before = dims.count();
    int d = dims.intern(name);
    if (dims.count() > before) {
      addRow(d);
    }
    return d;
  }

  private void addRow(int d) {
    int n = dims.count();
    cap = Arrays.copyOf(cap, n);
    usable = Arrays.copyOf(usable, n);
    used = Arrays.copyOf(used, n);
    confirmed = Arrays.copyOf(confirmed, n);
    cap[d] = new long[capacity];
    usable[d] = new long[capacity];
    used[d] = new long[capacity];
    confirmed[d] = new long[capacity];
    // rows past the known clusters are not allocated yet (cluster() makes them at full width)
    for (int c = 0; c < clusterIdx.size(); c++) {
      clusterCap[c] = Arrays.copyOf(clusterCap[c], n);
    }
    healthyCap = Arrays.copyOf(healthyCap, n);
    offlineUsed = Arrays.copyOf(offlineUsed, n);
  }

  private int cluster(String name) {
    Integer c = clusterIdx.get(name);
    if (c != null) {
      return c;
    }
    int n = clusterIdx.size();
    clusterIdx.put(name, n);
    if (n == clusterHealthy.length) {
      int len = n * 2;
      clusterHealthy = Arrays.copyOf(clusterHealthy, len);
      clusterPods = Arrays.copyOf(clusterPods, len);
      clusterCap = Arrays.copyOf(clusterCap, len);
      clusterSlots = Arrays.copyOf(clusterSlots, len);
      clusterSlotCount = Arrays.copyOf(clusterSlotCount, len);
    }
    clusterHealthy[n] = true;
    clusterCap[n] = new long[dims.count()];
    return n;
  }
}
