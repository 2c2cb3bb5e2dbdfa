package io.gleaner.broker.placement;

import io.gleaner.broker.model.NeverFits;
import io.gleaner.broker.model.NoFit;
import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.kube.KubeNodeAffinity;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.resources.Quantities;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The in-memory placement state and its pure decision logic: per member node what it lends (after
 * the source's reserve margin) and what reservations take, indexed so that a decision visits only
 * nodes that can hold the pod.
 *
 * <p>Layout: one slot per node, resources in primitive arrays indexed by dimension ({@link #CPU},
 * {@link #MEM}, {@link #PODS}, {@link #GPU} in milli-GPU, then extended resources as they appear).
 * Nodes are grouped by (source, has GPUs); every group keeps three {@link BucketIndex}es, on free
 * cpu, memory and GPU. A decision walks the groups in source-preference order and, in each, the
 * buckets of the pod's dominant resource upward from the request: the first bucket with a feasible
 * node holds the best fit (least leftover on the dominant resource).
 *
 * <p>Not thread-safe: the {@code Ledger} serializes every call.
 */
public final class PlacementEngine {
  public static final int CPU = 0;
  public static final int MEM = 1;
  public static final int PODS = 2;
  public static final int GPU = 3;
  private static final int FIXED_DIMS = 4;
  private static final int[] KEY_DIMS = {CPU, MEM, GPU};

  /** Pod slots of an offer that does not state them. */
  static final long UNBOUNDED_PODS = 1L << 40;

  private static final int OK = -1;
  private static final int R_UNHEALTHY = 0;
  private static final int R_EXCLUDED = 1;
  private static final int R_TAINT = 2;
  private static final int R_SELECTOR = 3;
  private static final int R_DEVICE = 4;
  private static final int R_SOURCE = 5;
  private static final int R_DIM = 6;

  private static final CapacitySource[] SOURCES = CapacitySource.values();
  private static final int GROUPS = SOURCES.length * 2;

  private PlacementPolicy policy;

  // dimensions
  private final Map<String, Integer> dimOf = new HashMap<>();
  private final List<String> dimNames =
      new ArrayList<>(List.of(Resources.CPU, Resources.MEMORY, Resources.PODS, Resources.GPU));
  private int dims = FIXED_DIMS;

  // slots
  private int size;
  private int capacity = 16;
  private long[][] cap = new long[FIXED_DIMS][capacity];
  private long[][] usable = new long[FIXED_DIMS][capacity];
  private long[][] used = new long[FIXED_DIMS][capacity];
  private long[][] confirmed = new long[FIXED_DIMS][capacity];
  private int[][] devCap = new int[capacity][];
  private int[][] devUsed = new int[capacity][];
  private NodeKey[] keys = new NodeKey[capacity];
  private NodeOffer[] offers = new NodeOffer[capacity];
  private int[] clusterOf = new int[capacity];
  private int[] groupOf = new int[capacity];
  private float[] risk = new float[capacity];
  private KubeTaint[][] blockingTaints = new KubeTaint[capacity][];
  private final int[][] bucketOf = new int[KEY_DIMS.length][capacity];
  private final int[][] posOf = new int[KEY_DIMS.length][capacity];
  private final Map<NodeKey, Integer> slotOf = new HashMap<>();

  /**
   * Per slot, the node's whole allocatable as last offered (kept while withdrawn: the node may come
   * back); {@link Resources#ZERO} when its offers do not report it, null for a node never offered.
   */
  private Resources[] allocatableOf = new Resources[capacity];

  /** Per known node, the most it could ever lend; rebuilt when an allocatable changes. */
  private Map<String, Resources> bounds;

  // clusters
  private final Map<String, Integer> clusterIdx = new HashMap<>();
  private final List<String> clusterNames = new ArrayList<>();
  private boolean[] clusterHealthy = new boolean[16];
  private int[] clusterPods = new int[16];

  /** Per cluster, per dim: lendable capacity of its active non-elastic nodes. */
  private long[][] clusterCap = new long[16][FIXED_DIMS];

  /** Σ clusterCap over healthy clusters. */
  private long[] healthyCap = new long[FIXED_DIMS];

  /** What offline reservations take, per dim. */
  private long[] offlineUsed = new long[FIXED_DIMS];

  private final BucketIndex[][] index = new BucketIndex[GROUPS][KEY_DIMS.length];

  // scratch for one decision (callers serialize)
  private long[] demand = new long[FIXED_DIMS];
  private int[] demandDims = new int[FIXED_DIMS];
  private int demandCount;
  private int[] reasonCounts = new int[R_DIM + FIXED_DIMS];
  private long[] bestShortOf = new long[FIXED_DIMS];
  private final long[] pruneScratch = new long[BucketIndex.PRUNE_DIMS];

  /**
   * Demand vectors of plain pods (no selector, affinity, tolerations or exclusions) refused since
   * capacity last grew, per class. Capacity only shrinks in between, so a pod whose demand
   * dominates one of them cannot fit either; this keeps a storm of large pods from rescanning the
   * federation.
   */
  private static final int REFUSED_CACHE = 128;

  private final long[][][] refused = new long[WorkloadClass.values().length][REFUSED_CACHE][];
  private final NoFit[][] refusedWhy = new NoFit[WorkloadClass.values().length][REFUSED_CACHE];
  private final int[] refusedCount = new int[WorkloadClass.values().length];
  private final int[] refusedNext = new int[WorkloadClass.values().length];

  public PlacementEngine(PlacementPolicy policy) {
    this.policy = policy;
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

  public PlacementPolicy policy() {
    return policy;
  }

  /**
   * Puts {@code next} in force: every active offer is re-applied with the new margins (reservations
   * stay), so the next decision and the advertised capacity use it. Same threading as every other
   * state change: the caller serializes.
   */
  public void policy(PlacementPolicy next) {
    this.policy = java.util.Objects.requireNonNull(next, "policy");
    for (int s = 0; s < size; s++) {
      if (offers[s] != null) {
        offer(offers[s]);
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // State changes

  /** Replaces the node's offer (a full snapshot); reservations on the node stay. */
  public void offer(NodeOffer offer) {
    capacityGrew();
    int s = slot(offer.key(), true);
    if (offers[s] != null) {
      deactivate(s);
    }
    CapacitySource source = offer.source();
    Resources u = offer.usable();
    if (source == CapacitySource.COLOCATION) {
      u = colocationView(u);
    }
    int margin = policy.margin(source);
    for (String name : u.names()) {
      dim(name);
    }
    for (int d = 0; d < dims; d++) {
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
    if (!offer.allocatable().equals(allocatableOf[s])
        || (groupOf[s] / 2 != group / 2 && !offer.allocatable().isZero())) {
      bounds = null;
    }
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
  }

  /**
   * Withdraws the node's offer; its reservations stay until released. Returns false for an unknown
   * node.
   */
  public boolean withdraw(NodeKey key) {
    Integer s = slotOf.get(key);
    if (s == null || offers[s] == null) {
      return false;
    }
    deactivate(s);
    offers[s] = null;
    return true;
  }

  /**
   * Marks a member healthy or not; nodes of an unhealthy member are filtered out and not
   * advertised.
   */
  public void setHealthy(String cluster, boolean healthy) {
    int c = cluster(cluster);
    if (clusterHealthy[c] == healthy) {
      return;
    }
    clusterHealthy[c] = healthy;
    if (healthy) {
      capacityGrew();
    }
    for (int d = 0; d < dims; d++) {
      healthyCap[d] += healthy ? clusterCap[c][d] : -clusterCap[c][d];
    }
  }

  public boolean isHealthy(String cluster) {
    Integer c = clusterIdx.get(cluster);
    return c == null || clusterHealthy[c];
  }

  /** Applies a reservation (new, or reloaded from the store) to its node. */
  public void reserve(Placement p) {
    int s = slot(p.node(), true);
    applyReservation(s, p, +1);
  }

  /** Removes a reservation that {@link #reserve} applied. */
  public void release(Placement p) {
    Integer s = slotOf.get(p.node());
    if (s == null) {
      return;
    }
    capacityGrew();
    applyReservation(s, p, -1);
  }

  /** Moves a reservation from reserved to placed (confirmed). */
  public void confirm(Placement p) {
    Integer s = slotOf.get(p.node());
    if (s == null || p.confirmed()) {
      return;
    }
    fillDemand(p.resources(), p.gpuMilli() > 0 && p.gpuMilli() < 1000 ? p.gpuMilli() : 0);
    for (int i = 0; i < demandCount; i++) {
      int d = demandDims[i];
      confirmed[d][s] += demand[d];
    }
  }

  private void applyReservation(int s, Placement p, int sign) {
    boolean active = offers[s] != null;
    if (active) {
      unindex(s);
    }
    int share = p.gpuMilli() > 0 && p.gpuMilli() < 1000 ? p.gpuMilli() : 0;
    fillDemand(p.resources(), share);
    for (int i = 0; i < demandCount; i++) {
      int d = demandDims[i];
      if (d == GPU) {
        continue;
      }
      used[d][s] += sign * demand[d];
      if (p.confirmed()) {
        confirmed[d][s] += sign * demand[d];
      }
      if (p.workloadClass() == WorkloadClass.OFFLINE) {
        offlineUsed[d] += sign * demand[d];
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

  // ------------------------------------------------------------------------------------------------------------
  // Decisions

  /** The outcome of {@link #decide}: a node (with the GPU devices to take) or a {@link NoFit}. */
  public sealed interface Decision {}

  /**
   * The chosen node; {@code gpuDevices} the devices to take, {@code gpuMilli} per device (0 when
   * none).
   */
  public record Fit(NodeKey node, CapacitySource source, int[] gpuDevices, int gpuMilli)
      implements Decision {}

  /** No node takes the pod. */
  public record Refusal(NoFit noFit) implements Decision {}

  /**
   * Picks the best node for the pod without changing anything; the caller then {@link #reserve}s.
   */
  public Decision decide(PodRequest req) {
    if (slotCountActive() == 0) {
      return refuse(
          req,
          new NoFit(
              "no member node lends capacity right now; the pod waits until an offer arrives",
              List.of("0 nodes offered"),
              Resources.ZERO));
    }
    boolean known = fillDemand(req.requests(), req.sharesGpu() ? req.gpuMilli() : 0);
    if (!known) {
      return refuse(req, missingResource(req));
    }
    for (int d = 0; d < demandCount; d++) {
      int dim = demandDims[d];
      if (totalCap(dim) == 0) {
        return refuse(req, missingResource(req));
      }
    }
    boolean plain =
        req.nodeSelector().isEmpty()
            && req.affinity().isEmpty()
            && req.tolerations().isEmpty()
            && req.exclude().isEmpty();
    int cls = req.workloadClass().ordinal();
    if (plain) {
      for (int i = 0; i < refusedCount[cls]; i++) {
        if (dominates(demand, refused[cls][i])) {
          return refuse(req, cachedRefusal(req, refusedWhy[cls][i]));
        }
      }
    }
    Arrays.fill(reasonCounts, 0);
    Arrays.fill(bestShortOf, 0);
    int keyIdx = keyDimIndex();
    int key = KEY_DIMS[keyIdx];
    boolean needsGpu = demand[GPU] > 0;
    int found = -1;
    for (CapacitySource source : policy.order(req.workloadClass())) {
      int g0 = source.ordinal() * 2;
      if (!needsGpu) {
        found = searchGroup(g0, keyIdx, key, req);
        if (found >= 0) {
          break;
        }
      }
      found = searchGroup(g0 + 1, keyIdx, key, req);
      if (found >= 0) {
        break;
      }
    }
    if (found < 0) {
      NoFit why = explain(req, keyIdx, key);
      if (plain) {
        remember(cls, why);
      }
      return refuse(req, why);
    }
    if (req.workloadClass() == WorkloadClass.OFFLINE) {
      NoFit reserve = nearLineReserveBlocks();
      if (reserve != null) {
        return new Refusal(reserve);
      }
    }
    return fit(found, req);
  }

  /**
   * The refusal, final when no known node could ever hold the pod (see {@link NeverFits}): each
   * node's allocatable less its source's reserve margin, which the broker never lends.
   */
  private Refusal refuse(PodRequest req, NoFit why) {
    return new Refusal(NeverFits.check(req.requests(), bounds()).map(why::neverFits).orElse(why));
  }

  private Map<String, Resources> bounds() {
    if (bounds == null) {
      Map<String, Resources> m = new HashMap<>();
      for (int s = 0; s < size; s++) {
        Resources a = allocatableOf[s];
        if (a == null) {
          continue;
        }
        CapacitySource source = SOURCES[groupOf[s] / 2];
        if (source == CapacitySource.COLOCATION) {
          a = colocationView(a);
        }
        int margin = policy.margin(source);
        Resources.Builder b = Resources.builder();
        for (Map.Entry<String, Long> e : a.toCanonical().entrySet()) {
          String name = e.getKey();
          long v = e.getValue();
          boolean kept = name.equals(Resources.PODS) || name.equals(Resources.GPU);
          b.putCanonical(
              name, kept ? v : Math.floorDiv(Math.multiplyExact(v, 100L - margin), 100L));
        }
        m.put(keys[s].toString(), b.build());
      }
      bounds = m;
    }
    return bounds;
  }

  /**
   * Adds the current demand to the refused set, dropping entries it makes redundant (those that
   * dominate it).
   */
  private void remember(int cls, NoFit why) {
    long[][] r = refused[cls];
    NoFit[] w = refusedWhy[cls];
    int n = refusedCount[cls];
    int kept = 0;
    for (int i = 0; i < n; i++) {
      if (!dominates(r[i], demand)) {
        r[kept] = r[i];
        w[kept] = w[i];
        kept++;
      }
    }
    if (kept == REFUSED_CACHE) {
      kept = refusedNext[cls];
      refusedNext[cls] = (kept + 1) % REFUSED_CACHE;
    } else {
      refusedCount[cls] = kept + 1;
    }
    r[kept] = Arrays.copyOf(demand, dims);
    w[kept] = why;
  }

  private void capacityGrew() {
    Arrays.fill(refusedCount, 0);
    Arrays.fill(refusedNext, 0);
  }

  /** Whether {@code d >= r} in every dimension (a missing entry is zero). */
  private static boolean dominates(long[] d, long[] r) {
    int n = Math.max(d.length, r.length);
    for (int i = 0; i < n; i++) {
      long a = i < d.length ? d[i] : 0;
      long b = i < r.length ? r[i] : 0;
      if (a < b) {
        return false;
      }
    }
    return true;
  }

  /**
   * The answer for a pod refused because a smaller one was: exact when the dominant resource is
   * short.
   */
  private NoFit cachedRefusal(PodRequest req, NoFit smaller) {
    int keyIdx = keyDimIndex();
    int key = KEY_DIMS[keyIdx];
    int top = topSlot(keyIdx, req.workloadClass());
    long maxKey = top < 0 ? 0 : free(key, top);
    Resources largest = top < 0 ? Resources.ZERO : freeOf(top);
    String message =
        maxKey < demand[key]
            ? "largest free node offers "
                + fmt(key, maxKey)
                + " "
                + unit(key)
                + ", pod requests "
                + fmt(key, demand[key])
                + " "
                + unit(key)
            : "no node has the pod's requests "
                + req.requests()
                + " free at once (a smaller pod was just refused: "
                + smaller.message()
                + ")";
    return new NoFit(message, smaller.reasons(), largest);
  }

  private int searchGroup(int g, int keyIdx, int key, PodRequest req) {
    BucketIndex ix = index[g][keyIdx];
    if (ix.count == 0) {
      return -1;
    }
    int limit = policy.bestFitCandidates();
    int best = -1;
    long bestLeft = Long.MAX_VALUE;
    float bestRisk = Float.MAX_VALUE;
    int bestSpread = Integer.MAX_VALUE;
    int feasible = 0;
    int examined = 0;
    long need = demand[key];
    long[] exact = pruneScratch;
    for (int b = ix.nextNonEmpty(BucketIndex.bucket(need)); b >= 0; b = ix.nextNonEmpty(b + 1)) {
      int[] m = ix.members[b];
      int n = ix.sizes[b];
      long[] bound = ix.maxFree[b];
      int short_ = -1;
      for (int d = 0; d < BucketIndex.PRUNE_DIMS; d++) {
        if (bound[d] < demand[d]) {
          short_ = d;
          break;
        }
      }
      if (short_ >= 0) {
        examined += n;
        reasonCounts[R_DIM + short_] += n;
        continue;
      }
      java.util.Arrays.fill(exact, Long.MIN_VALUE);
      int i = 0;
      for (; i < n && feasible < limit; i++) {
        int s = m[i];
        examined++;
        for (int d = 0; d < BucketIndex.PRUNE_DIMS; d++) {
          long f = cap[d][s] - used[d][s];
          if (f > exact[d]) {
            exact[d] = f;
          }
        }
        int r = check(s, req);
        if (r != OK) {
          reasonCounts[r]++;
          continue;
        }
        feasible++;
        long left = cap[key][s] - used[key][s] - need;
        float rk = risk[s];
        int spread = clusterPods[clusterOf[s]];
        if (left < bestLeft
            || (left == bestLeft && (rk < bestRisk || (rk == bestRisk && spread < bestSpread)))) {
          best = s;
          bestLeft = left;
          bestRisk = rk;
          bestSpread = spread;
        }
      }
      if (i == n) {
        System.arraycopy(exact, 0, bound, 0, BucketIndex.PRUNE_DIMS);
      }
      if (best >= 0) {
        return best;
      }
    }
    reasonCounts[R_DIM + key] += ix.count - examined;
    return -1;
  }

  private int check(int s, PodRequest req) {
    if (!clusterHealthy[clusterOf[s]]) {
      return R_UNHEALTHY;
    }
    for (int i = 0; i < demandCount; i++) {
      int d = demandDims[i];
      long free = cap[d][s] - used[d][s];
      if (free < demand[d]) {
        long shortOf = demand[d] - free;
        if (bestShortOf[d] == 0 || shortOf < bestShortOf[d]) {
          bestShortOf[d] = shortOf;
        }
        return R_DIM + d;
      }
    }
    if (demand[GPU] > 0 && pickDevices(s, req, null) < 0) {
      return R_DEVICE;
    }
    if (blockingTaints[s].length > 0 && !tolerated(blockingTaints[s], req.tolerations())) {
      return R_TAINT;
    }
    if (!matches(offers[s].labels(), req)) {
      return R_SELECTOR;
    }
    if (!req.exclude().isEmpty() && req.exclude().contains(keys[s])) {
      return R_EXCLUDED;
    }
    return OK;
  }

  /**
   * Chooses GPU devices on slot s: best-fit device for a share, whole free devices otherwise; -1 if
   * none.
   */
  private int pickDevices(int s, PodRequest req, int[] out) {
    int[] dc = devCap[s];
    int[] du = devUsed[s];
    if (req.sharesGpu()) {
      int best = -1;
      int bestFree = Integer.MAX_VALUE;
      for (int i = 0; i < dc.length; i++) {
        int free = dc[i] - du[i];
        if (free >= req.gpuMilli() && free < bestFree) {
          best = i;
          bestFree = free;
        }
      }
      if (best >= 0 && out != null) {
        out[0] = best;
      }
      return best;
    }
    long want = req.requests().gpus();
    int found = 0;
    for (int i = 0; i < dc.length && found < want; i++) {
      if (dc[i] - du[i] >= 1000) {
        if (out != null) {
          out[found] = i;
        }
        found++;
      }
    }
    return found >= want ? found : -1;
  }

  private Fit fit(int s, PodRequest req) {
    int[] devices = new int[0];
    int milli = 0;
    if (demand[GPU] > 0) {
      devices = new int[req.sharesGpu() ? 1 : (int) req.requests().gpus()];
      pickDevices(s, req, devices);
      milli = req.sharesGpu() ? req.gpuMilli() : 1000;
    }
    return new Fit(keys[s], offers[s].source(), devices, milli);
  }

  static boolean tolerated(KubeTaint[] taints, List<KubeToleration> tolerations) {
    for (KubeTaint t : taints) {
      if (!KubeToleration.tolerated(t, tolerations)) {
        return false;
      }
    }
    return true;
  }

  /**
   * nodeSelector and required node affinity. The broker's terms carry no {@code matchFields} (the
   * virtual-kubelet drops them: they name the virtual node), so the node name is not needed.
   */
  static boolean matches(Map<String, String> labels, PodRequest req) {
    return KubeNodeAffinity.selectorMatches(req.nodeSelector(), labels)
        && KubeNodeAffinity.termsMatch(req.affinity(), null, labels);
  }

  /**
   * The dominant key resource of the current demand: GPU when requested, else the larger share of
   * cpu/memory.
   */
  private int keyDimIndex() {
    if (demand[GPU] > 0) {
      return 2;
    }
    double cpuShare = share(CPU);
    double memShare = share(MEM);
    return memShare > cpuShare ? 1 : 0;
  }

  private double share(int d) {
    long total = healthyCap[d];
    if (demand[d] == 0) {
      return 0;
    }
    return total <= 0 ? Double.POSITIVE_INFINITY : (double) demand[d] / (double) total;
  }

  /** Fills {@link #demand}; false when the request names a resource no offer ever had. */
  private boolean fillDemand(Resources requests, int gpuShare) {
    if (requests == lastRequests && gpuShare == lastShare && dims == lastDims) {
      return lastKnown;
    }
    lastKnown = computeDemand(requests, gpuShare);
    lastRequests = requests;
    lastShare = gpuShare;
    lastDims = dims;
    return lastKnown;
  }

  // the demand of the last request, reused when the same Resources instance comes back (decide,
  // then reserve)
  private Resources lastRequests;
  private int lastShare;
  private int lastDims;
  private boolean lastKnown;

  private boolean computeDemand(Resources requests, int gpuShare) {
    Arrays.fill(demand, 0);
    boolean known = true;
    for (Map.Entry<String, Long> e : requests.toCanonical().entrySet()) {
      Integer d = dimOf.get(e.getKey());
      if (d == null) {
        known = false;
        continue;
      }
      demand[d] = e.getValue();
    }
    demand[GPU] = gpuShare > 0 ? gpuShare : Math.multiplyExact(requests.gpus(), 1000L);
    demand[PODS] = Math.max(1, requests.pods());
    demandCount = 0;
    for (int d = 0; d < dims; d++) {
      if (demand[d] > 0) {
        demandDims[demandCount++] = d;
      }
    }
    return known;
  }

  private NoFit nearLineReserveBlocks() {
    int pct = policy.nearLineReservePercent();
    if (pct == 0) {
      return null;
    }
    for (int i = 0; i < demandCount; i++) {
      int d = demandDims[i];
      if (d == PODS) {
        continue;
      }
      long total = healthyCap[d];
      long allowed = total - Math.floorDiv(Math.multiplyExact(total, (long) pct), 100L);
      if (offlineUsed[d] + demand[d] > allowed) {
        String name = dimNames.get(d);
        return new NoFit(
            "offline pods may use at most "
                + (100 - pct)
                + "% of the lent "
                + name
                + " (the rest is the near-line"
                + " reserve): offline pods hold "
                + fmt(d, offlineUsed[d])
                + " of "
                + fmt(d, allowed)
                + ", pod requests "
                + fmt(d, demand[d])
                + "; retry later or run it as near-line",
            List.of("near-line reserve " + pct + "% of " + name),
            largestFree(WorkloadClass.OFFLINE));
      }
    }
    return null;
  }

  private NoFit missingResource(PodRequest req) {
    List<String> missing = new ArrayList<>();
    for (String name : req.requests().names()) {
      if (name.equals(Resources.PODS)) {
        continue;
      }
      Integer d = dimOf.get(name);
      if (d == null || totalCap(d) == 0) {
        missing.add(name);
      }
    }
    String what = String.join(", ", missing);
    return new NoFit(
        "pod requests " + what + " but no lent node has it",
        List.of(slotCountActive() + " nodes: none offers " + what),
        largestFree(req.workloadClass()));
  }

  private NoFit explain(PodRequest req, int keyIdx, int key) {
    WorkloadClass cls = req.workloadClass();
    int disallowed = 0;
    int gpuless = 0;
    for (int g = 0; g < GROUPS; g++) {
      int count = index[g][0].count;
      if (!policy.allows(cls, SOURCES[g / 2])) {
        disallowed += count;
      } else if (demand[GPU] > 0 && g % 2 == 0) {
        gpuless += count;
      }
    }
    List<String> reasons = new ArrayList<>();
    int active = slotCountActive();
    if (active == 0) {
      return new NoFit(
          "no member node lends capacity right now; the pod waits until an offer arrives",
          List.of("0 nodes offered"),
          Resources.ZERO);
    }
    int resourceFails = 0;
    for (int d = 0; d < dims; d++) {
      int n = reasonCounts[R_DIM + d] + (d == GPU ? gpuless : 0);
      if (n > 0) {
        reasons.add(n + " nodes: insufficient " + dimNames.get(d));
        resourceFails += n;
      }
    }
    if (reasonCounts[R_DEVICE] > 0) {
      reasons.add(
          reasonCounts[R_DEVICE]
              + " nodes: no GPU device with "
              + (req.sharesGpu()
                  ? req.gpuMilli() + "m free"
                  : req.requests().gpus() + " whole free GPUs"));
      resourceFails += reasonCounts[R_DEVICE];
    }
    if (reasonCounts[R_TAINT] > 0) {
      reasons.add(reasonCounts[R_TAINT] + " nodes: taints not tolerated");
    }
    if (reasonCounts[R_SELECTOR] > 0) {
      reasons.add(reasonCounts[R_SELECTOR] + " nodes: do not match nodeSelector/affinity");
    }
    if (reasonCounts[R_UNHEALTHY] > 0) {
      reasons.add(reasonCounts[R_UNHEALTHY] + " nodes: member cluster unhealthy");
    }
    if (reasonCounts[R_EXCLUDED] > 0) {
      reasons.add(reasonCounts[R_EXCLUDED] + " nodes: excluded by the request");
    }
    if (disallowed > 0) {
      reasons.add(disallowed + " nodes: source not allowed for class " + cls.label());
    }
    Resources largest = largestFree(cls);
    String message;
    if (disallowed == active) {
      message =
          "only "
              + String.join("/", sourcesOfActive())
              + " capacity is lent now, and "
              + cls.label()
              + " pods may not use it";
    } else if (resourceFails == 0 && reasonCounts[R_TAINT] > 0 && reasonCounts[R_SELECTOR] == 0) {
      message = "no node tolerates the pod: untolerated taints " + untoleratedTaints(req);
    } else if (resourceFails == 0 && reasonCounts[R_SELECTOR] > 0) {
      message =
          "no lent node matches the pod's nodeSelector/required affinity " + describeSelector(req);
    } else if (resourceFails == 0 && reasonCounts[R_UNHEALTHY] > 0) {
      message =
          "the only nodes that would fit belong to unhealthy member clusters; the pod waits for them";
    } else if (demand[GPU] > 0
        && resourceFails == reasonCounts[R_DIM + GPU] + gpuless + reasonCounts[R_DEVICE]) {
      int top = topSlot(2, cls);
      message =
          req.sharesGpu()
              ? "no GPU device has " + req.gpuMilli() + "m free for the pod's GPU share"
              : "no node has "
                  + req.requests().gpus()
                  + " whole free GPUs; the most on one node is "
                  + (top < 0 ? 0 : wholeFree(top));
    } else {
      message = resourceMessage(req, key, largest);
    }
    return new NoFit(message, reasons, largest);
  }

  private String resourceMessage(PodRequest req, int key, Resources largest) {
    long maxKey = maxFree(key, req.workloadClass());
    if (maxKey < demand[key]) {
      return "largest free node offers "
          + fmt(key, maxKey)
          + " "
          + unit(key)
          + ", pod requests "
          + fmt(key, demand[key])
          + " "
          + unit(key);
    }
    int worst = -1;
    int worstCount = 0;
    for (int d = 0; d < dims; d++) {
      if (d != key && reasonCounts[R_DIM + d] > worstCount) {
        worst = d;
        worstCount = reasonCounts[R_DIM + d];
      }
    }
    if (worst < 0) {
      return "no node has room for the pod's requests "
          + req.requests()
          + " with the reserve margins kept free";
    }
    return "nodes with "
        + fmt(key, demand[key])
        + " "
        + unit(key)
        + " free lack "
        + unit(worst)
        + ": closest is "
        + fmt(worst, bestShortOf[worst])
        + " short, pod requests "
        + fmt(worst, demand[worst])
        + " "
        + unit(worst);
  }

  private String untoleratedTaints(PodRequest req) {
    Set<String> out = new LinkedHashSet<>();
    for (int s = 0; s < size && out.size() < 3; s++) {
      if (offers[s] == null) {
        continue;
      }
      for (KubeTaint t : blockingTaints[s]) {
        if (!KubeToleration.tolerated(t, req.tolerations())) {
          out.add(t.toString());
        }
      }
    }
    return String.join(", ", out);
  }

  private static String describeSelector(PodRequest req) {
    List<String> parts = new ArrayList<>();
    req.nodeSelector().forEach((k, v) -> parts.add(k + "=" + v));
    req.affinity().forEach(t -> parts.add(t.toString()));
    return String.join(" or ", parts);
  }

  private String unit(int d) {
    return d == CPU ? "CPU" : d == GPU ? "GPU" : dimNames.get(d);
  }

  private String fmt(int d, long v) {
    if (d == GPU) {
      return v % 1000 == 0 ? Long.toString(v / 1000) : v + "m";
    }
    if (d == PODS && v >= UNBOUNDED_PODS) {
      return "unbounded";
    }
    return Quantities.format(dimNames.get(d), v);
  }

  private long maxFree(int d, WorkloadClass cls) {
    for (int k = 0; k < KEY_DIMS.length; k++) {
      if (KEY_DIMS[k] == d) {
        int s = topSlot(k, cls);
        return s < 0 ? 0 : free(d, s);
      }
    }
    long max = 0;
    for (int s = 0; s < size; s++) {
      if (eligible(s, cls)) {
        max = Math.max(max, cap[d][s] - used[d][s]);
      }
    }
    return max;
  }

  /**
   * The eligible slot with the most free on key dimension {@code k} (ties: more free memory), found
   * from the top buckets of each allowed group's index; -1 when none.
   */
  private int topSlot(int k, WorkloadClass cls) {
    int d = KEY_DIMS[k];
    int best = -1;
    for (int g = 0; g < GROUPS; g++) {
      if (!policy.allows(cls, SOURCES[g / 2])) {
        continue;
      }
      BucketIndex ix = index[g][k];
      for (int b = ix.previousNonEmpty(BucketIndex.BUCKETS - 1);
          b >= 0;
          b = ix.previousNonEmpty(b - 1)) {
        if (best >= 0 && b < bucketOf[k][best]) {
          break;
        }
        boolean found = false;
        for (int i = 0; i < ix.sizes[b]; i++) {
          int s = ix.members[b][i];
          if (!clusterHealthy[clusterOf[s]]) {
            continue;
          }
          found = true;
          if (best < 0
              || free(d, s) > free(d, best)
              || (free(d, s) == free(d, best) && free(MEM, s) > free(MEM, best))) {
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

  private boolean eligible(int s, WorkloadClass cls) {
    return offers[s] != null
        && clusterHealthy[clusterOf[s]]
        && policy.allows(cls, offers[s].source());
  }

  private Set<String> sourcesOfActive() {
    Set<String> out = new java.util.TreeSet<>();
    for (int s = 0; s < size; s++) {
      if (offers[s] != null) {
        out.add(offers[s].source().name());
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Estimates and reports

  /** How many pods of this shape fit, node by node, per cluster (sorted by cluster name). */
  public Map<String, Long> estimate(PodRequest shape) {
    Map<String, Long> out = new TreeMap<>();
    boolean known = fillDemand(shape.requests(), shape.sharesGpu() ? shape.gpuMilli() : 0);
    if (!known) {
      return out;
    }
    for (int s = 0; s < size; s++) {
      if (!eligible(s, shape.workloadClass())) {
        continue;
      }
      if (blockingTaints[s].length > 0 && !tolerated(blockingTaints[s], shape.tolerations())) {
        continue;
      }
      if (!matches(offers[s].labels(), shape)) {
        continue;
      }
      long n = Long.MAX_VALUE;
      for (int i = 0; i < demandCount; i++) {
        int d = demandDims[i];
        if (d == GPU) {
          continue;
        }
        n = Math.min(n, Math.max(0, cap[d][s] - used[d][s]) / demand[d]);
      }
      if (demand[GPU] > 0) {
        int[] dc = devCap[s];
        int[] du = devUsed[s];
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
        out.merge(keys[s].cluster(), n, Long::sum);
      }
    }
    return out;
  }

  /**
   * The free vector of the node with the most free cpu (then memory) a pod of this class may use.
   */
  public Resources largestFree(WorkloadClass cls) {
    int best = topSlot(0, cls);
    return best < 0 ? Resources.ZERO : freeOf(best);
  }

  /**
   * What one node has free for new pods (GPU as whole free devices), or zero for an unknown node.
   */
  public Resources freeOf(NodeKey key) {
    Integer s = slotOf.get(key);
    return s == null ? Resources.ZERO : freeOf(s);
  }

  private Resources freeOf(int s) {
    Resources.Builder b = Resources.builder();
    for (int d = 0; d < dims; d++) {
      if (d == GPU) {
        long whole = 0;
        int[] dc = devCap[s];
        for (int i = 0; dc != null && i < dc.length; i++) {
          if (dc[i] - devUsed[s][i] >= 1000) {
            whole++;
          }
        }
        b.putCanonical(Resources.GPU, whole);
      } else if (!(d == PODS && cap[d][s] >= UNBOUNDED_PODS)) {
        b.putCanonical(dimNames.get(d), free(d, s));
      }
    }
    return b.build();
  }

  private int wholeFree(int s) {
    int whole = 0;
    int[] dc = devCap[s];
    for (int i = 0; i < dc.length; i++) {
      if (dc[i] - devUsed[s][i] >= 1000) {
        whole++;
      }
    }
    return whole;
  }

  private long free(int d, int s) {
    return Math.max(0, cap[d][s] - used[d][s]);
  }

  /**
   * What the virtual node advertises for a class: Σ usable × (1 − margin) over active nodes of
   * healthy members whose source the class may use; for offline, less the near-line reserve. GPU in
   * whole devices. Never negative.
   */
  public Resources advertised(WorkloadClass cls) {
    long[] sum = new long[dims];
    for (int s = 0; s < size; s++) {
      if (eligible(s, cls)) {
        for (int d = 0; d < dims; d++) {
          if (!(d == PODS && cap[d][s] >= UNBOUNDED_PODS)) {
            sum[d] += cap[d][s];
          }
        }
      }
    }
    int pct = cls == WorkloadClass.OFFLINE ? policy.nearLineReservePercent() : 0;
    Resources.Builder b = Resources.builder();
    for (int d = 0; d < dims; d++) {
      long v = sum[d];
      if (pct > 0 && d != PODS) {
        v -= Math.floorDiv(Math.multiplyExact(healthyCap[d], (long) pct), 100L);
      }
      if (d == GPU) {
        v = v / 1000;
      }
      b.putCanonical(dimNames.get(d), Math.max(0, v));
    }
    return b.build();
  }

  /** Per (cluster, source) totals over active nodes, for capacity reports. */
  public record Totals(
      String cluster,
      CapacitySource source,
      boolean healthy,
      int nodes,
      Resources offered,
      Resources reserved,
      Resources placed,
      Resources free) {}

  /**
   * Offered, reserved (unconfirmed), placed (confirmed) and free per cluster and source, sorted.
   */
  public List<Totals> totals() {
    Map<String, long[][]> acc = new TreeMap<>();
    Map<String, Integer> nodes = new HashMap<>();
    for (int s = 0; s < size; s++) {
      if (offers[s] == null) {
        continue;
      }
      String k = keys[s].cluster() + "\u0000" + offers[s].source().name();
      long[][] a = acc.computeIfAbsent(k, x -> new long[4][dims]);
      nodes.merge(k, 1, Integer::sum);
      for (int d = 0; d < dims; d++) {
        if (d == PODS && cap[d][s] >= UNBOUNDED_PODS) {
          a[0][d] += used[d][s];
          a[1][d] += used[d][s] - confirmed[d][s];
          a[2][d] += confirmed[d][s];
          continue;
        }
        a[0][d] += usable[d][s];
        a[1][d] += used[d][s] - confirmed[d][s];
        a[2][d] += confirmed[d][s];
        a[3][d] += free(d, s);
      }
    }
    List<Totals> out = new ArrayList<>();
    acc.forEach(
        (k, a) -> {
          String[] parts = k.split("\u0000");
          String cluster = parts[0];
          out.add(
              new Totals(
                  cluster,
                  CapacitySource.valueOf(parts[1]),
                  isHealthy(cluster),
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
      b.putCanonical(dimNames.get(d), d == GPU ? (v[d] + 999) / 1000 : Math.max(0, v[d]));
    }
    return b.build();
  }

  /** Number of nodes with an active offer. */
  public int activeNodes() {
    return slotCountActive();
  }

  private int slotCountActive() {
    int n = 0;
    for (int g = 0; g < GROUPS; g++) {
      n += index[g][0].count;
    }
    return n;
  }

  /** The current offer of a node, or null when it has none. */
  public NodeOffer offerOf(NodeKey key) {
    Integer s = slotOf.get(key);
    return s == null ? null : offers[s];
  }

  // ------------------------------------------------------------------------------------------------------------
  // Internals

  private static Resources colocationView(Resources u) {
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

  private long totalCap(int d) {
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

  private void activate(int s) {
    index(s);
    if (offers[s].source() != CapacitySource.ELASTIC) {
      int c = clusterOf[s];
      for (int d = 0; d < dims; d++) {
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
      for (int d = 0; d < dims; d++) {
        long v = d == PODS ? 0 : cap[d][s];
        clusterCap[c][d] -= v;
        if (clusterHealthy[c]) {
          healthyCap[d] -= v;
        }
      }
    }
  }

  private final long[] freeScratch = new long[BucketIndex.PRUNE_DIMS];

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

  private int slot(NodeKey key, boolean create) {
    Integer s = slotOf.get(key);
    if (s != null) {
      return s;
    }
    if (!create) {
      return -1;
    }
    if (size == capacity) {
      grow();
    }
    int n = size++;
    keys[n] = key;
    clusterOf[n] = cluster(key.cluster());
    blockingTaints[n] = new KubeTaint[0];
    devCap[n] = new int[0];
    devUsed[n] = new int[0];
    slotOf.put(key, n);
    return n;
  }

  private void grow() {
    int c = capacity * 2;
    for (int d = 0; d < dims; d++) {
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

  private int dim(String name) {
    Integer d = dimOf.get(name);
    if (d != null) {
      return d;
    }
    d =
        switch (name) {
          case Resources.CPU -> CPU;
          case Resources.MEMORY -> MEM;
          case Resources.PODS -> PODS;
          case Resources.GPU -> GPU;
          default -> addDim(name);
        };
    dimOf.put(name, d);
    return d;
  }

  private int addDim(String name) {
    int d = dims++;
    dimNames.add(name);
    cap = Arrays.copyOf(cap, dims);
    usable = Arrays.copyOf(usable, dims);
    used = Arrays.copyOf(used, dims);
    confirmed = Arrays.copyOf(confirmed, dims);
    cap[d] = new long[capacity];
    usable[d] = new long[capacity];
    used[d] = new long[capacity];
    confirmed[d] = new long[capacity];
    for (int c = 0; c < clusterCap.length; c++) {
      clusterCap[c] = Arrays.copyOf(clusterCap[c], dims);
    }
    healthyCap = Arrays.copyOf(healthyCap, dims);
    offlineUsed = Arrays.copyOf(offlineUsed, dims);
    demand = new long[dims];
    demandDims = new int[dims];
    lastRequests = null;
    reasonCounts = new int[R_DIM + dims];
    bestShortOf = new long[dims];
    return d;
  }

  private int cluster(String name) {
    Integer c = clusterIdx.get(name);
    if (c != null) {
      return c;
    }
    int n = clusterNames.size();
    clusterNames.add(name);
    clusterIdx.put(name, n);
    if (n == clusterHealthy.length) {
      int len = n * 2;
      clusterHealthy = Arrays.copyOf(clusterHealthy, len);
      clusterPods = Arrays.copyOf(clusterPods, len);
      clusterCap = Arrays.copyOf(clusterCap, len);
    }
    clusterHealthy[n] = true;
    clusterCap[n] = new long[dims];
    return n;
  }

  /** The dimension names in index order (cpu, memory, pods, nvidia.com/gpu, then extended ones). */
  List<String> dimNames() {
    return List.copyOf(dimNames);
  }

  /** Debug view of a node: lendable and used per dimension. */
  Map<String, long[]> debug(NodeKey key) {
    Integer s = slotOf.get(key);
    Map<String, long[]> out = new LinkedHashMap<>();
    if (s != null) {
      for (int d = 0; d < dims; d++) {
        out.put(dimNames.get(d), new long[] {cap[d][s], used[d][s]});
      }
    }
    return out;
  }
}
