package io.gleaner.broker.placement;

import static io.gleaner.broker.placement.Dimensions.GPU;

import io.gleaner.broker.model.MemberQuota;
import io.gleaner.broker.model.NoFit;
import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.config.VirtualKubeletConfig;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.kube.KubeNodeAffinity;
import io.gleaner.meta.kube.KubeTaint;
import io.gleaner.meta.kube.KubeToleration;
import io.gleaner.meta.resources.Resources;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Placement: picks the member node for a pod, and keeps the state it picks from current. The one
 * entry point of the {@code placement} package.
 *
 * <p>A decision walks the node groups of the {@link NodeTable} in source-preference order and, in
 * each, the {@link BucketIndex} buckets of the pod's dominant resource upward from the request: the
 * first bucket with a feasible node holds the best fit (least leftover on the dominant resource;
 * ties: lower reclaim risk, raised for a while after a reclaim by {@link ReclaimPenalty}, then
 * fewer pods on the member). On GPU nodes the {@link FragmentationTerm} comes first: the walk
 * compares up to {@link PlacementPolicy#bestFitCandidates()} feasible nodes past the first bucket
 * and takes the one whose GPU fragmentation grows least; a pod that asks for no GPU first compares
 * the GPU nodes with the least free GPU (it can strand no more than is free there, and nothing
 * where none is), not the best fits on cpu, where it strands the most. A pod that declares how long
 * it runs prefers the nodes whose forecast room ({@link NodeOffer#roomUntilMs()}, 0 = not forecast)
 * outlasts it: the walk goes on past a bucket whose feasible nodes all run out too early, and takes
 * the best of those only when no node that lasts is found. A draining node ({@link
 * NodeOffer#draining()}: its room runs out within the source's lead time) takes only a pod whose
 * declared run time ends by then, and such a pod looks at the draining nodes first: their room
 * serves no other pod. That search is here; its collaborators do the rest:
 *
 * <ul>
 *   <li>{@link NodeTable} holds the per-node state and applies offers and reservations;
 *   <li>{@link NoFitExplainer} says why a pod was refused, from the {@link Misses} the search left;
 *   <li>{@link LendingBounds} makes a refusal final when no known node could ever hold the pod;
 *   <li>{@link RefusedShapes} answers a pod larger than one just refused without a search;
 *   <li>{@link CapacityReports} answers what is advertised, free and placed, and estimates.
 *   <li>{@link FragmentationTerm} scores GPU nodes by fragmentation against recent GPU pod shapes.
 * </ul>
 *
 * <p>Not thread-safe: the {@code Ledger} serializes every call.
 */
public final class PlacementEngine {
  private static final int OK = -1;

  private PlacementPolicy policy;
  private final NodeTable t = new NodeTable();
  private final Demand demand = new Demand(t.dims);
  private final Misses misses = new Misses();
  private final RefusedShapes refused = new RefusedShapes();
  private final LendingBounds bounds = new LendingBounds();
  private final CapacityReports reports = new CapacityReports(t, demand);
  private final NoFitExplainer explainer = new NoFitExplainer(t, demand, misses, reports);
  private final long[] pruneScratch = new long[BucketIndex.PRUNE_DIMS];
  // the best candidate of a search, and the best of those whose room runs out before the pod ends
  // (taken only if none lasts); reused by every search, so a decision allocates nothing
  private final Pick lasting = new Pick();
  private final Pick shortLived = new Pick();
  private final FragmentationTerm fragmentation = new FragmentationTerm(this::pickDevices);

  /** While a gang is decided: the only member cluster a pod may go to (-1: any). */
  private int onlyCluster = -1;

  /**
   * Whether a refusal is explained. Off while a gang is tried member by member: only the closest
   * member's refusal is shown, so only it is explained, once the closest is known.
   */
  private boolean explain = true;

  /** The refusal of a decision that was not explained ({@link #explain} off). */
  private static final NoFit UNEXPLAINED =
      new NoFit("no node of the member has room", List.of(), Resources.ZERO, null);

  /** The decision in progress: the room must last until then; MIN_VALUE: no preference. */
  private long lastsUntil = Long.MIN_VALUE;

  /**
   * The decision in progress looks only at draining nodes: a pod that declares a run time goes to
   * one whose room lasts for it before any other node.
   */
  private boolean onlyDraining;

  /** The decision in progress: its time (epoch ms; 0: unknown). */
  private long decidingAt;

  private final ReclaimPenalty reclaims = new ReclaimPenalty();

  /** The members' ResourceQuotas and what is reserved in their namespaces. */
  private final QuotaBook quotas;

  /** Per member index, while a decision runs: why its nodes are out ({@link #OK}: they are not). */
  private int[] clusterBlock = filled(new int[16], OK);

  /** Whether {@link #clusterBlock} holds anything for the decision in progress. */
  private boolean blocking;

  private final List<String> quotaRefusals = new java.util.ArrayList<>();

  /** An engine for member namespaces named {@code gleaner-<metadata namespace>} (the default). */
  public PlacementEngine(PlacementPolicy policy) {
    this(policy, VirtualKubeletConfig.DEFAULTS.namespaceMapping());
  }

  /**
   * An engine whose member quotas are looked up in the member namespaces {@code mapping} gives (the
   * virtual-kubelet's namespace mapping).
   */
  public PlacementEngine(PlacementPolicy policy, VirtualKubeletConfig.NamespaceMapping mapping) {
    this.policy = policy;
    this.quotas =
        new QuotaBook(
            mapping::memberNamespace,
            mapping.mode() == VirtualKubeletConfig.NamespaceMapping.Mode.SINGLE
                ? mapping.namespace()
                : null);
  }

  public PlacementPolicy policy() {
    return policy;
  }

  /**
   * Puts {@code next} in force: every active offer is re-applied with the new margins (reservations
   * stay), so the next decision, the never-fits bounds and the advertised capacity use it. Same
   * threading as every other state change: the caller serializes.
   */
  public void policy(PlacementPolicy next) {
    this.policy = Objects.requireNonNull(next, "policy");
    bounds.invalidate();
    for (int s = 0; s < t.size; s++) {
      if (t.offers[s] != null) {
        offer(t.offers[s]);
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // State changes

  /** Replaces the node's offer (a full snapshot); reservations on the node stay. */
  public void offer(NodeOffer offer) {
    refused.clear();
    if (t.put(offer, policy.margin(offer.source()))) {
      bounds.invalidate();
    }
  }

  /**
   * Withdraws the node's offer; its reservations stay until released. Returns false for an unknown
   * node.
   */
  public boolean withdraw(NodeKey key) {
    return t.withdraw(key);
  }

  /**
   * Records the node's last reclaim (its ledger record): after the cool-down it counts as riskier
   * for as long again ({@link ReclaimPenalty}).
   */
  public void reclaimed(NodeKey key, long reclaimedAtMs, long cooldownUntilMs) {
    if (reclaimedAtMs > 0 || t.slot(key) >= 0) {
      reclaims.set(t.slotFor(key), reclaimedAtMs, cooldownUntilMs);
    }
  }

  /**
   * Marks a member healthy or not; nodes of an unhealthy member are filtered out and not
   * advertised.
   */
  public void setHealthy(String cluster, boolean healthy) {
    if (t.setHealthy(cluster, healthy) && healthy) {
      refused.clear();
    }
  }

  public boolean isHealthy(String cluster) {
    return t.isHealthy(cluster);
  }

  /**
   * Replaces the ResourceQuotas placement knows in member {@code cluster}'s namespace {@code
   * namespace} (those that limit what placement accounts for). {@code reservations} are every
   * reservation applied so far: the first quota of all starts counting those not yet confirmed.
   */
  public void quotas(
      String cluster,
      String namespace,
      List<MemberQuota> list,
      java.util.Collection<Placement> reservations) {
    refused.clear();
    if (quotas.set(cluster, namespace, list)) {
      for (Placement p : reservations) {
        quotas.inFlight(p, +1);
      }
    }
  }

  /** Forgets every ResourceQuota of member {@code cluster} (it left, or its watch restarts). */
  public void clearQuotas(String cluster) {
    refused.clear();
    quotas.clear(cluster);
  }

  /** Applies a reservation (new, or reloaded from the store) to its node. */
  public void reserve(Placement p) {
    quotas.inFlight(p, +1);
    int s = t.slotFor(p.node());
    demand.fill(p.resources(), gpuShare(p));
    t.reserve(s, p, demand, +1);
  }

  /** Removes a reservation that {@link #reserve} applied. */
  public void release(Placement p) {
    quotas.inFlight(p, -1);
    int s = t.slot(p.node());
    if (s < 0) {
      return;
    }
    refused.clear();
    demand.fill(p.resources(), gpuShare(p));
    t.reserve(s, p, demand, -1);
  }

  /** Moves a reservation from reserved to placed (confirmed). */
  public void confirm(Placement p) {
    quotas.inFlight(p, -1); // created: the member's quota counts it now
    int s = t.slot(p.node());
    if (s < 0 || p.confirmed()) {
      return;
    }
    demand.fill(p.resources(), gpuShare(p));
    t.confirm(s, demand);
  }

  private static int gpuShare(Placement p) {
    return p.gpuMilli() > 0 && p.gpuMilli() < 1000 ? p.gpuMilli() : 0;
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
   * Without a clock, a pod's expected run time is not compared with the nodes' forecast room.
   */
  public Decision decide(PodRequest req) {
    return decide(req, 0);
  }

  /**
   * Picks the best node for the pod at {@code nowMs} (epoch ms): as {@link #decide(PodRequest)},
   * and a pod with an expected run time prefers nodes whose forecast room lasts until {@code nowMs}
   * plus that time.
   */
  public Decision decide(PodRequest req, long nowMs) {
    decidingAt = nowMs;
    lastsUntil =
        nowMs > 0 && req.expectedRuntimeMs() > 0 ? nowMs + req.expectedRuntimeMs() : Long.MIN_VALUE;
    if (t.activeCount() == 0) {
      return refuse(req, NoFitExplainer.nothingOffered());
    }
    boolean known = demand.fill(req.requests(), req.sharesGpu() ? req.gpuMilli() : 0);
    if (!known) {
      return refuse(req, explainer.missingResource(req, policy));
    }
    for (int d = 0; d < demand.count; d++) {
      if (t.totalCap(demand.dims[d]) == 0) {
        return refuse(req, explainer.missingResource(req, policy));
      }
    }
    boolean plain =
        onlyCluster < 0
            && req.nodeSelector().isEmpty()
            && req.affinity().isEmpty()
            && req.tolerations().isEmpty()
            && req.exclude().isEmpty()
            // a draining node takes a pod or not by its declared run time and the clock
            && (req.expectedRuntimeMs() == 0 || t.drainingCount() == 0);
    blockMembers(req);
    plain = plain && !blocking;
    if (plain) {
      NoFit smaller = refused.find(req.workloadClass(), demand.v);
      if (smaller != null) {
        return refuse(req, explainer.fromSmaller(req, smaller, policy));
      }
    }
    misses.reset(t.dims.count());
    if (onlyCluster < 0) {
      fragmentation.observe(req, demand);
    }
    int keyIdx = demand.keyIndex(t.healthyCap);
    int key = NodeTable.KEY_DIMS[keyIdx];
    boolean needsGpu = demand.v[GPU] > 0;
    int found = -1;
    if (lastsUntil != Long.MIN_VALUE && t.drainingCount() > 0) {
      // room that runs out soon serves only pods that end before it does; lasting room serves any
      onlyDraining = true;
      found = search(req, needsGpu, keyIdx, key);
      onlyDraining = false;
      if (found < 0) {
        misses.reset(t.dims.count());
      }
    }
    if (found < 0) {
      found = search(req, needsGpu, keyIdx, key);
    }
    if (found < 0) {
      if (!explain) {
        return new Refusal(UNEXPLAINED);
      }
      explainer.quotaRefusals = quotaRefusals;
      NoFit why = explainer.explain(req, key, policy);
      if (plain) {
        refused.remember(req.workloadClass(), demand.v, t.dims.count(), why);
      }
      return refuse(req, why);
    }
    if (req.workloadClass() == WorkloadClass.OFFLINE) {
      NoFit reserve = explainer.nearLineReserve(policy);
      if (reserve != null) {
        return new Refusal(reserve);
      }
    }
    return fit(found, req);
  }

  /** The best node in source-preference order, or -1. */
  private int search(PodRequest req, boolean needsGpu, int keyIdx, int key) {
    for (CapacitySource source : policy.order(req.workloadClass())) {
      int g0 = source.ordinal() * 2;
      if (!needsGpu) {
        int found = onlyCluster >= 0 ? scanMember(g0, key, req) : searchGroup(g0, keyIdx, key, req);
        if (found >= 0) {
          return found;
        }
      }
      int found =
          onlyCluster >= 0 ? scanMember(g0 + 1, key, req) : searchGroup(g0 + 1, keyIdx, key, req);
      if (found >= 0) {
        return found;
      }
    }
    return -1;
  }

  /**
   * Decides, once per member and not per node, which members the pod may not go to: those the
   * request excludes whole (a node name left empty) and those whose ResourceQuota in the pod's
   * member namespace has no room for it. Cheap when no member has a quota and nothing is excluded.
   */
  private void blockMembers(PodRequest req) {
    quotaRefusals.clear();
    if (blocking) {
      java.util.Arrays.fill(clusterBlock, OK);
      blocking = false;
    }
    boolean wholeMember = false;
    if (!req.exclude().isEmpty()) {
      for (NodeKey x : req.exclude()) {
        wholeMember |= x.node().isEmpty();
      }
    }
    if (!wholeMember && !quotas.any()) {
      return;
    }
    if (clusterBlock.length < t.clusterCount()) {
      clusterBlock = filled(new int[Math.max(t.clusterCount(), clusterBlock.length * 2)], OK);
    }
    for (NodeKey x : req.exclude()) {
      int c = x.node().isEmpty() ? t.clusterIndexOf(x.cluster()) : -1;
      if (c >= 0) {
        clusterBlock[c] = Misses.EXCLUDED;
        blocking = true;
      }
    }
    if (quotas.any()) {
      String ns = quotas.memberNamespaceOf(req.namespace());
      for (String cluster : t.clusterNames()) {
        int c = t.clusterIndexOf(cluster);
        if (clusterBlock[c] != OK) {
          continue;
        }
        String why = quotas.refusal(cluster, ns, req.workloadClass(), req.requests());
        if (why != null) {
          clusterBlock[c] = Misses.QUOTA;
          quotaRefusals.add(why);
          blocking = true;
        }
      }
    }
  }

  private static int[] filled(int[] a, int v) {
    java.util.Arrays.fill(a, v);
    return a;
  }

  /** The outcome of {@link #decideGang}: a node per pod, all in one member, or a {@link NoFit}. */
  public sealed interface GangDecision {}

  /** Every pod of the gang fits in {@code cluster}; {@code fits} in the order of the request. */
  public record GangFit(String cluster, List<Fit> fits) implements GangDecision {}

  /** No member cluster holds the whole gang. */
  public record GangRefusal(NoFit noFit) implements GangDecision {}

  /**
   * Picks a node for every pod of a gang, all in one member cluster, without changing anything; the
   * caller then {@link #reserve}s each. Tries {@code onlyCluster} alone when it is not null;
   * otherwise the member the first pod would go to alone, then every other healthy member by name.
   * Within a member the pods are decided one after the other, each seeing the ones before it
   * reserved, so two pods never share the room of one.
   */
  public GangDecision decideGang(List<PodRequest> pods, String onlyCluster) {
    if (pods.isEmpty()) {
      throw new IllegalArgumentException("a gang needs at least one pod");
    }
    List<String> clusters = new java.util.ArrayList<>();
    NoFit firstRefusal = null;
    if (onlyCluster != null) {
      clusters.add(onlyCluster);
    } else {
      Decision lead = decide(pods.get(0));
      if (lead instanceof Refusal r) {
        return new GangRefusal(gangNoFit(pods.size(), 0, null, r.noFit()));
      }
      clusters.add(((Fit) lead).node().cluster());
      for (String c : t.activeClusters()) {
        if (!c.equals(clusters.get(0))) {
          clusters.add(c);
        }
      }
    }
    int bestCount = -1;
    String bestCluster = null;
    List<Fit> fits = new java.util.ArrayList<>(pods.size());
    explain = false;
    try {
      for (String cluster : clusters) {
        int c = t.clusterIndexOf(cluster);
        if (c < 0 || !t.clusterHealthy[c]) {
          continue;
        }
        fits.clear();
        if (tryMember(c, pods, fits) == null) {
          return new GangFit(cluster, List.copyOf(fits));
        }
        if (fits.size() > bestCount) {
          bestCount = fits.size();
          bestCluster = cluster;
        }
      }
    } finally {
      explain = true;
    }
    if (bestCluster != null) {
      // the closest member again, this time explaining the pod it has no room for
      fits.clear();
      firstRefusal = tryMember(t.clusterIndexOf(bestCluster), pods, fits);
    }
    return new GangRefusal(
        gangNoFit(pods.size(), Math.max(0, bestCount), bestCluster, firstRefusal));
  }

  /**
   * Decides the gang's pods one after the other in member {@code c}, each seeing the ones before it
   * reserved, and puts the fits in {@code fits}; null when every pod fits, else the refusal of the
   * first that does not. Changes nothing.
   */
  private NoFit tryMember(int c, List<PodRequest> pods, List<Fit> fits) {
    List<Placement> tentative = new java.util.ArrayList<>(pods.size());
    this.onlyCluster = c;
    try {
      for (PodRequest req : pods) {
        Decision d = decide(req);
        if (d instanceof Refusal r) {
          return r.noFit();
        }
        Fit f = (Fit) d;
        fits.add(f);
        Placement p = tentative(req, f);
        reserve(p);
        tentative.add(p);
      }
      return null;
    } finally {
      this.onlyCluster = -1;
      for (Placement p : tentative) {
        release(p);
      }
    }
  }

  private static Placement tentative(PodRequest req, Fit f) {
    return new Placement(
        req.podUid(),
        req.namespace(),
        req.name(),
        f.node(),
        f.source(),
        req.workloadClass(),
        req.requests(),
        java.util.Arrays.stream(f.gpuDevices()).boxed().toList(),
        f.gpuMilli(),
        0,
        false);
  }

  private static NoFit gangNoFit(int size, int best, String bestCluster, NoFit why) {
    String message =
        bestCluster == null
            ? "no member cluster can hold all "
                + size
                + " pods of the gang together"
                + (why == null ? "" : ": " + why.message())
            : "no member cluster can hold all "
                + size
                + " pods of the gang together; the closest, "
                + bestCluster
                + ", holds "
                + best
                + (why == null ? "" : ", then: " + why.message());
    return why == null
        ? new NoFit(message, List.of(), Resources.ZERO, null)
        : new NoFit(message, why.reasons(), why.largestFree(), why.never());
  }

  /** The refusal, final when no known node could ever hold the pod (see {@link LendingBounds}). */
  private Refusal refuse(PodRequest req, NoFit why) {
    return new Refusal(bounds.judge(req.requests(), why, t, policy));
  }

  /**
   * The best-fit feasible node of group {@code g}, walking the buckets of key dimension {@code key}
   * upward from the demand; -1 when none. Counts the nodes it passes over in {@link #misses}.
   */
  private int searchGroup(int g, int keyIdx, int key, PodRequest req) {
    // GPU nodes: least fragmentation growth first (FragmentationTerm), over all the candidates
    boolean fgd = fragmentation.applies(g);
    if (fgd && demand.v[GPU] == 0) {
      int s = leastFreeGpu(g, key, req);
      if (s >= 0) {
        return s;
      }
    }
    BucketIndex ix = t.index[g][keyIdx];
    if (ix.count == 0) {
      return -1;
    }
    long[][] cap = t.cap;
    long[][] used = t.used;
    long[] want = demand.v;
    float[] risk = t.risk;
    int[] clusterPods = t.clusterPods;
    int[] clusterOf = t.clusterOf;
    int limit = policy.bestFitCandidates();
    lasting.reset();
    shortLived.reset();
    int feasible = 0;
    int examined = 0;
    long need = want[key];
    long[] exact = pruneScratch;
    for (int b = ix.nextNonEmpty(BucketIndex.bucket(need)); b >= 0; b = ix.nextNonEmpty(b + 1)) {
      int[] m = ix.members[b];
      int n = ix.sizes[b];
      long[] bound = ix.maxFree[b];
      int short_ = -1;
      for (int d = 0; d < BucketIndex.PRUNE_DIMS; d++) {
        if (bound[d] < want[d]) {
          short_ = d;
          break;
        }
      }
      if (short_ >= 0) {
        examined += n;
        misses.add(Misses.DIM + short_, n);
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
          misses.add(r, 1);
          continue;
        }
        feasible++;
        double frag = fgd ? fragmentation.score(t, s, demand, req) : 0;
        long left = cap[key][s] - used[key][s] - need;
        float rk = risk[s] + reclaims.of(s, decidingAt);
        consider(s, frag, left, rk, clusterPods[clusterOf[s]]);
      }
      if (i == n) {
        System.arraycopy(exact, 0, bound, 0, BucketIndex.PRUNE_DIMS);
      }
      if (lasting.slot >= 0
          && (!fgd
              || feasible >= limit
              || examined >= FragmentationTerm.EXAMINED_PER_CANDIDATE * limit)) {
        return lasting.slot;
      }
    }
    int chosen = chosen();
    if (chosen >= 0) {
      return chosen;
    }
    misses.add(Misses.DIM + key, ix.count - examined);
    return -1;
  }

  /**
   * How many nodes {@link #leastFreeGpu} examines per candidate it may compare: most GPU nodes with
   * every GPU taken also have their cpu taken, and the ones with room must still be met (100,000
   * nodes, docs/figures.md: GPU allocation 62.05 % with 4, 62.15 % with 16, 63.02 % with 64).
   */
  static final int EXAMINED_PER_CANDIDATE_WITHOUT_GPU = 64;

  /**
   * For a pod that asks for no GPU, on the GPU nodes of group {@code g}: the best candidate (by
   * {@link #better}, leftover on key dimension {@code key}) among the first nodes by free GPU,
   * least first, whose room lasts for the pod; -1 when none of them takes it. Such a pod strands at
   * most a node's free GPU, and nothing where none is free, so these are the nodes it fragments
   * least; the walk by free cpu would meet first the best fits, where it strands the most. Bounded:
   * at most {@link PlacementPolicy#bestFitCandidates()} candidates and {@link
   * #EXAMINED_PER_CANDIDATE_WITHOUT_GPU} times as many nodes examined; when it finds none the walk
   * by free cpu decides (and explains a refusal), so no node is missed. Counts no misses.
   */
  private int leastFreeGpu(int g, int key, PodRequest req) {
    BucketIndex ix = t.index[g][NodeTable.GPU_KEY];
    int limit = policy.bestFitCandidates();
    int budget = EXAMINED_PER_CANDIDATE_WITHOUT_GPU * limit;
    long[] want = demand.v;
    lasting.reset();
    shortLived.reset();
    int feasible = 0;
    for (int b = ix.nextNonEmpty(0); b >= 0 && budget > 0; b = ix.nextNonEmpty(b + 1)) {
      long[] bound = ix.maxFree[b];
      boolean fits = true;
      for (int d = 0; d < BucketIndex.PRUNE_DIMS && fits; d++) {
        fits = bound[d] >= want[d];
      }
      if (!fits) {
        continue;
      }
      int[] m = ix.members[b];
      int n = ix.sizes[b];
      for (int i = 0; i < n && budget > 0 && feasible < limit; i++, budget--) {
        int s = m[i];
        if (check(s, req) != OK) {
          continue;
        }
        feasible++;
        consider(
            s,
            fragmentation.score(t, s, demand, req),
            t.cap[key][s] - t.used[key][s] - want[key],
            t.risk[s] + reclaims.of(s, decidingAt),
            t.clusterPods[t.clusterOf[s]]);
      }
      if (feasible >= limit) {
        break;
      }
    }
    // a node whose room runs out too early is taken only when the walk finds none that lasts
    return lasting.slot;
  }

  /**
   * The best feasible node of group {@code g} among the nodes of the member the decision is
   * restricted to ({@link #onlyCluster}, a gang's), by the same order as {@link #searchGroup}; -1
   * when none. Scans that member's nodes rather than the federation's buckets, which would pass
   * every other member's nodes on the way: a gang no member holds is tried in each member in turn.
   * Every node of the member is compared (a member's nodes are few), so the fit is the best in the
   * member.
   */
  private int scanMember(int g, int key, PodRequest req) {
    int c = onlyCluster;
    int[] slots = t.clusterSlots[c];
    int n = t.clusterSlotCount[c];
    if (slots == null || n == 0) {
      return -1;
    }
    long need = demand.v[key];
    boolean fgd = fragmentation.applies(g);
    lasting.reset();
    shortLived.reset();
    int spread = t.clusterPods[c];
    for (int i = 0; i < n; i++) {
      int s = slots[i];
      if (t.offers[s] == null || t.groupOf[s] != g) {
        continue;
      }
      int r = check(s, req);
      if (r != OK) {
        misses.add(r, 1);
        continue;
      }
      double frag = fgd ? fragmentation.score(t, s, demand, req) : 0;
      long left = t.cap[key][s] - t.used[key][s] - need;
      consider(s, frag, left, t.risk[s] + reclaims.of(s, decidingAt), spread);
    }
    return chosen();
  }

  /**
   * A feasible candidate of the current search: kept as {@link #lasting} or, when its room runs out
   * before the pod's expected end ({@link #lastsUntil}), as {@link #shortLived}.
   */
  private void consider(int s, double frag, long left, float risk, int spread) {
    long until = lastsUntil == Long.MIN_VALUE ? 0 : t.offers[s].roomUntilMs();
    (until > 0 && until < lastsUntil ? shortLived : lasting).offer(s, frag, left, risk, spread);
  }

  /** The search's choice: the best lasting candidate, else the best short-lived one; -1 if none. */
  private int chosen() {
    return lasting.slot >= 0 ? lasting.slot : shortLived.slot;
  }

  /** The best candidate seen, by {@link #better}. */
  private static final class Pick {
    int slot;
    double frag;
    long left;
    float risk;
    int spread;

    void reset() {
      slot = -1;
      frag = Double.MAX_VALUE;
      left = Long.MAX_VALUE;
      risk = Float.MAX_VALUE;
      spread = Integer.MAX_VALUE;
    }

    void offer(int s, double f, long l, float r, int sp) {
      if (better(f, l, r, sp, frag, left, risk, spread)) {
        slot = s;
        frag = f;
        left = l;
        risk = r;
        spread = sp;
      }
    }
  }

  /**
   * The order of candidates: less GPU fragmentation growth, then less leftover of the key resource
   * (best fit), then lower reclaim risk, then fewer pods on the member.
   */
  private static boolean better(
      double frag,
      long left,
      float risk,
      int spread,
      double bestFrag,
      long bestLeft,
      float bestRisk,
      int bestSpread) {
    return frag < bestFrag
        || frag == bestFrag
            && (left < bestLeft
                || (left == bestLeft
                    && (risk < bestRisk || (risk == bestRisk && spread < bestSpread))));
  }

  /**
   * Whether slot {@code s} takes the pod: {@link #OK}, or the {@link Misses} reason it does not.
   */
  private int check(int s, PodRequest req) {
    if (onlyDraining && !t.offers[s].draining()) {
      return Misses.EXCLUDED;
    }
    if (!t.clusterHealthy[t.clusterOf[s]]) {
      return Misses.UNHEALTHY;
    }
    if (onlyCluster >= 0 && t.clusterOf[s] != onlyCluster) {
      return Misses.EXCLUDED;
    }
    if (blocking && clusterBlock[t.clusterOf[s]] != OK) {
      return clusterBlock[t.clusterOf[s]];
    }
    long[] want = demand.v;
    int[] dims = demand.dims;
    for (int i = 0; i < demand.count; i++) {
      int d = dims[i];
      long free = t.cap[d][s] - t.used[d][s];
      if (free < want[d]) {
        return misses.lacks(d, want[d] - free);
      }
    }
    if (want[GPU] > 0 && pickDevices(s, req, null) < 0) {
      return Misses.DEVICE;
    }
    KubeTaint[] taints = t.blockingTaints[s];
    if (taints.length > 0 && !tolerated(taints, req.tolerations())) {
      return Misses.TAINT;
    }
    if (!matches(t.offers[s].labels(), req)) {
      return Misses.SELECTOR;
    }
    if (!req.exclude().isEmpty() && req.exclude().contains(t.keys[s])) {
      return Misses.EXCLUDED;
    }
    if (t.offers[s].draining() && !endsBefore(req, t.offers[s].roomUntilMs())) {
      return Misses.DRAINING;
    }
    return OK;
  }

  /**
   * Whether the pod, decided at {@link #decidingAt}, declares a run time that ends by {@code
   * untilMs}: what a draining node asks of the pods it takes. False without a clock or a declared
   * run time.
   */
  private boolean endsBefore(PodRequest req, long untilMs) {
    return decidingAt > 0
        && req.expectedRuntimeMs() > 0
        && decidingAt + req.expectedRuntimeMs() <= untilMs;
  }

  /**
   * Chooses GPU devices on slot s: best-fit device for a share, whole free devices otherwise; -1 if
   * none.
   */
  private int pickDevices(int s, PodRequest req, int[] out) {
    int[] dc = t.devCap[s];
    int[] du = t.devUsed[s];
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
    if (demand.v[GPU] > 0) {
      devices = new int[req.sharesGpu() ? 1 : (int) req.requests().gpus()];
      pickDevices(s, req, devices);
      milli = req.sharesGpu() ? req.gpuMilli() : 1000;
    }
    return new Fit(t.keys[s], t.offers[s].source(), devices, milli);
  }

  static boolean tolerated(KubeTaint[] taints, List<KubeToleration> tolerations) {
    for (KubeTaint taint : taints) {
      if (!KubeToleration.tolerated(taint, tolerations)) {
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

  // ------------------------------------------------------------------------------------------------------------
  // Reports (see CapacityReports)

  /** How many pods of this shape fit, node by node, per cluster (sorted by cluster name). */
  public Map<String, Long> estimate(PodRequest shape) {
    Map<String, Long> byCluster = reports.estimate(shape, policy);
    if (!quotas.any()) {
      return byCluster;
    }
    String ns =
        shape.namespace().isEmpty() ? quotas.shared() : quotas.memberNamespaceOf(shape.namespace());
    if (ns == null) {
      return byCluster;
    }
    Map<String, Long> out = new java.util.TreeMap<>();
    byCluster.forEach(
        (cluster, n) -> {
          long capped =
              Math.min(n, quotas.count(cluster, ns, shape.workloadClass(), shape.requests()));
          if (capped > 0) {
            out.put(cluster, capped);
          }
        });
    return out;
  }

  /**
   * The free vector of the node with the most free cpu (then memory) a pod of this class may use;
   * where every metadata namespace maps to one member namespace, within what its quotas leave in
   * the node's member.
   */
  public Resources largestFree(WorkloadClass cls) {
    if (quotas.any() && quotas.shared() != null) {
      return reports.largestFree(cls, policy, c -> quotas.room(c, quotas.shared(), cls));
    }
    return reports.largestFree(cls, policy);
  }

  /**
   * What one node has free for new pods (GPU as whole free devices), or zero for an unknown node.
   */
  public Resources freeOf(NodeKey key) {
    return reports.freeOf(key);
  }

  /**
   * What the virtual node advertises for a class: Σ usable × (1 − margin) over active nodes of
   * healthy members whose source the class may use; for offline, less the near-line reserve. GPU in
   * whole devices. Never negative.
   */
  public Resources advertised(WorkloadClass cls) {
    return reports.advertised(cls, policy);
  }

  /**
   * Offered, reserved (unconfirmed), placed (confirmed) and free per cluster and source, sorted.
   */
  public List<CapacityTotals> totals() {
    return reports.totals();
  }

  /** Number of nodes with an active offer. */
  public int activeNodes() {
    return t.activeCount();
  }

  /** The current offer of a node, or null when it has none. */
  public NodeOffer offerOf(NodeKey key) {
    int s = t.slot(key);
    return s < 0 ? null : t.offers[s];
  }
}
