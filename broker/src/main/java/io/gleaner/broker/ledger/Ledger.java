package io.gleaner.broker.ledger;

import io.gleaner.broker.model.BrokerException;
import io.gleaner.broker.model.GangOutcome;
import io.gleaner.broker.model.MemberQuota;
import io.gleaner.broker.model.NodeKey;
import io.gleaner.broker.model.NodeOffer;
import io.gleaner.broker.model.PlaceOutcome;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.model.PodRequest;
import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.broker.placement.CapacityTotals;
import io.gleaner.broker.placement.PlacementEngine;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.meta.config.VirtualKubeletConfig;
import io.gleaner.meta.resources.Resources;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's capacity ledger (ARCHITECTURE.md §4 step 2): per member node its current offer,
 * reservations and placed pods; durable through a {@link LedgerStore} with optimistic concurrency,
 * so replicas sharing one store never double-book a node: every change is a compare-and-set on the
 * node's record, and on a conflict the ledger reloads that node and decides again. A new ledger on
 * the same store rebuilds exactly the same state.
 *
 * <p>Offers are full snapshots per node; an offer not refreshed within the TTL is withdrawn by
 * {@link #expireOffers()}; a withdrawal may set a cool-down during which offers for the node are
 * ignored. Nodes of unhealthy members are neither placed on nor advertised. All time comes from the
 * injected {@link Clock}.
 *
 * <p>Thread-safe: every method holds the ledger's lock, including the store write of a change.
 */
public final class Ledger {
  private static final Logger log = LoggerFactory.getLogger(Ledger.class);
  private static final int MAX_ATTEMPTS = 64;

  /** The outcome of an offer. */
  public sealed interface OfferResult {
    /** Stored: the node's offer changed. */
    record Accepted() implements OfferResult {}

    /** Same content as before: only the TTL was refreshed. */
    record Refreshed() implements OfferResult {}

    /** Not applied, for a transient reason (cool-down). */
    record Ignored(String reason) implements OfferResult {}

    /** Bad input: not applied. */
    record Rejected(String message) implements OfferResult {}
  }

  private static final class NodeState {
    NodeRecord record;
    int version;
    long lastSeenMs;
    String sourceId = "";

    NodeState(NodeRecord record, int version, long lastSeenMs) {
      this.record = record;
      this.version = version;
      this.lastSeenMs = lastSeenMs;
    }
  }

  private final LedgerStore store;
  private final PlacementEngine engine;
  private final Clock clock;
  private final Duration offerTtl;

  /** Per cluster: when this replica last marked it fresh in the store. */
  private final Map<String, Long> sharedFreshnessAt = new HashMap<>();

  /** Per cluster: the store's freshness token when this replica last looked. */
  private final Map<String, Long> seenFreshness = new HashMap<>();

  private final Supplier<Set<String>> knownClusters;
  private final Map<NodeKey, NodeState> nodes = new HashMap<>();
  private final Map<String, Placement> placements = new HashMap<>();
  private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();
  private long changes;
  private long conflicts;

  /**
   * Loads every record from the store.
   *
   * @param knownClusters the member clusters offers may come from, or null to accept any cluster
   */
  public Ledger(
      LedgerStore store,
      PlacementPolicy policy,
      Clock clock,
      Duration offerTtl,
      Supplier<Set<String>> knownClusters) {
    this(
        store,
        policy,
        clock,
        offerTtl,
        knownClusters,
        VirtualKubeletConfig.DEFAULTS.namespaceMapping());
  }

  /**
   * As {@link #Ledger(LedgerStore, PlacementPolicy, Clock, Duration, Supplier)}, with member
   * ResourceQuotas looked up in the member namespaces {@code mapping} gives.
   */
  public Ledger(
      LedgerStore store,
      PlacementPolicy policy,
      Clock clock,
      Duration offerTtl,
      Supplier<Set<String>> knownClusters,
      VirtualKubeletConfig.NamespaceMapping mapping) {
    this.store = store;
    this.engine = new PlacementEngine(policy, mapping);
    this.clock = clock;
    if (offerTtl.isNegative() || offerTtl.isZero()) {
      throw new IllegalArgumentException("offerTtl must be positive, got " + offerTtl);
    }
    this.offerTtl = offerTtl;
    this.knownClusters = knownClusters;
    store.addListener(this::storeChanged);
    synchronized (this) {
      store.loadAll().forEach((k, v) -> apply(k, v.record(), v.version()));
    }
  }

  /**
   * Called, under the ledger lock, after every change of state; must be cheap and must not block.
   */
  public void addChangeListener(Runnable listener) {
    changeListeners.add(listener);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Offers

  /** Applies a node's offer (a full snapshot), reported by source {@code sourceId}. */
  public synchronized OfferResult offer(NodeOffer offer, String sourceId) {
    NodeKey key = offer.key();
    if (knownClusters != null) {
      Set<String> known = knownClusters.get();
      if (!known.contains(key.cluster())) {
        return new OfferResult.Rejected(
            "offer for node "
                + key
                + ": cluster \""
                + key.cluster()
                + "\" is not a known member cluster (known: "
                + String.join(", ", new java.util.TreeSet<>(known))
                + ")");
      }
    }
    long now = clock.millis();
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      NodeState st = nodes.get(key);
      if (st != null && st.record.cooldownUntilMs() > now) {
        return new OfferResult.Ignored(
            "node "
                + key
                + " is cooling down after a reclaim until "
                + Instant.ofEpochMilli(st.record.cooldownUntilMs()));
      }
      if (st != null && offer.sameContent(st.record.offer())) {
        st.lastSeenMs = now;
        st.sourceId = sourceId;
        shareFreshness(key.cluster(), now);
        return new OfferResult.Refreshed();
      }
      NodeRecord next = (st == null ? NodeRecord.EMPTY : st.record).withOffer(offer);
      LedgerStore.WriteResult w = store.write(key, next, st == null ? -1 : st.version, null);
      if (w instanceof LedgerStore.WriteResult.Written written) {
        engine.offer(offer);
        NodeState ns = st == null ? new NodeState(next, written.version(), now) : st;
        ns.record = next;
        ns.version = written.version();
        ns.lastSeenMs = now;
        ns.sourceId = sourceId;
        nodes.put(key, ns);
        shareFreshness(key.cluster(), now);
        changed();
        return new OfferResult.Accepted();
      }
      reload(key);
    }
    throw contention("offer for node " + key);
  }

  /**
   * Withdraws every node {@code sourceId} offered that is not in {@code keep} (a source's full
   * resync).
   */
  public synchronized int resync(String sourceId, Set<NodeKey> keep) {
    List<NodeKey> gone = new ArrayList<>();
    nodes.forEach(
        (k, st) -> {
          if (st.record.offer() != null && st.sourceId.equals(sourceId) && !keep.contains(k)) {
            gone.add(k);
          }
        });
    gone.forEach(k -> withdraw(k, "not in the full resync of source " + sourceId, 0));
    return gone.size();
  }

  /**
   * Withdraws the offer of every node of member {@code cluster} at once (it left the federation);
   * reservations stay until released. Returns how many offers were withdrawn.
   */
  public synchronized int withdrawMember(String cluster, String reason) {
    List<NodeKey> offered = new ArrayList<>();
    nodes.forEach(
        (k, st) -> {
          if (st.record.offer() != null && k.cluster().equals(cluster)) {
            offered.add(k);
          }
        });
    int n = 0;
    for (NodeKey k : offered) {
      if (withdraw(k, reason, 0)) {
        n++;
      }
    }
    return n;
  }

  /**
   * Withdraws a node's offer at once; offers for it are ignored until {@code cooldownUntilMs}.
   * Reservations stay until released. Returns whether an offer was withdrawn.
   */
  public synchronized boolean withdraw(NodeKey key, String reason, long cooldownUntilMs) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      NodeState st = nodes.get(key);
      if (st == null && cooldownUntilMs <= clock.millis()) {
        return false;
      }
      if (st != null
          && st.record.offer() == null
          && st.record.cooldownUntilMs() >= cooldownUntilMs) {
        return false;
      }
      NodeRecord next =
          (st == null ? NodeRecord.EMPTY : st.record)
              .withdrawn(reason, cooldownUntilMs, clock.millis());
      LedgerStore.WriteResult w = store.write(key, next, st == null ? -1 : st.version, null);
      if (w instanceof LedgerStore.WriteResult.Written written) {
        boolean had = st != null && st.record.offer() != null;
        engine.withdraw(key);
        engine.reclaimed(key, next.reclaimedAtMs(), next.cooldownUntilMs());
        NodeState ns = st == null ? new NodeState(next, written.version(), clock.millis()) : st;
        ns.record = next;
        ns.version = written.version();
        nodes.put(key, ns);
        log.info("withdrew offer of node {}: {}", key, reason);
        changed();
        return had;
      }
      reload(key);
    }
    throw contention("withdrawal of node " + key);
  }

  /**
   * Withdraws offers not refreshed within the TTL; returns how many.
   *
   * <p>With several broker replicas, a source's stream reaches one of them, and an unchanged offer
   * is refreshed in that replica's memory only. So before withdrawing, a replica asks the store
   * whether any replica has marked the offer's cluster fresh since it last looked ({@link
   * LedgerStore#freshness}); if so the cluster's offers count as refreshed now. A replica that
   * looks for the first time gives the cluster one more TTL: a dead stream's offers are withdrawn
   * within two TTLs by every replica.
   */
  public synchronized int expireOffers() {
    long now = clock.millis();
    long deadline = now - offerTtl.toMillis();
    Map<String, List<NodeKey>> stale = new HashMap<>();
    nodes.forEach(
        (k, st) -> {
          if (st.record.offer() != null && st.lastSeenMs <= deadline) {
            stale.computeIfAbsent(k.cluster(), c -> new ArrayList<>()).add(k);
          }
        });
    int withdrawn = 0;
    for (Map.Entry<String, List<NodeKey>> e : stale.entrySet()) {
      OptionalLong token = store.freshness(e.getKey());
      if (token.isPresent()
          && !Long.valueOf(token.getAsLong()).equals(seenFreshness.get(e.getKey()))) {
        seenFreshness.put(e.getKey(), token.getAsLong());
        e.getValue().forEach(k -> nodes.get(k).lastSeenMs = now);
        continue;
      }
      for (NodeKey k : e.getValue()) {
        withdraw(k, "offer not refreshed within " + offerTtl.toSeconds() + "s", 0);
        withdrawn++;
      }
    }
    return withdrawn;
  }

  /** Marks {@code cluster} fresh for the other replicas, at most four times per TTL. */
  private void shareFreshness(String cluster, long now) {
    Long last = sharedFreshnessAt.get(cluster);
    if (last == null || now - last >= offerTtl.toMillis() / 4) {
      sharedFreshnessAt.put(cluster, now);
      store.markFresh(cluster);
    }
  }

  /**
   * Records a member's health; an unhealthy member's nodes are excluded from placement and
   * capacity.
   */
  public synchronized void memberHealth(String cluster, boolean healthy) {
    if (engine.isHealthy(cluster) != healthy) {
      engine.setHealthy(cluster, healthy);
      log.info("member {} is now {}", cluster, healthy ? "healthy" : "unhealthy");
      changed();
    }
  }

  /**
   * Replaces the ResourceQuotas of member {@code cluster}'s namespace {@code namespace} that
   * placement accounts for (from the broker's watch of the member).
   */
  public synchronized void quotas(String cluster, String namespace, List<MemberQuota> quotas) {
    engine.quotas(cluster, namespace, quotas, placements.values());
    changed();
  }

  /** Forgets member {@code cluster}'s ResourceQuotas (it left). */
  public synchronized void clearQuotas(String cluster) {
    engine.clearQuotas(cluster);
    changed();
  }

  // ------------------------------------------------------------------------------------------------------------
  // Placement

  /**
   * Places a pod: the best node by class, source preference and fit, reserved durably. Idempotent:
   * a pod already placed gets its existing placement back.
   */
  public synchronized PlaceOutcome place(PodRequest req) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Placement existing = placements.get(req.podUid());
      if (existing != null) {
        return new PlaceOutcome.Placed(existing, true);
      }
      PlacementEngine.Decision d = engine.decide(req, clock.millis());
      if (d instanceof PlacementEngine.Refusal r) {
        return new PlaceOutcome.Unplaceable(r.noFit());
      }
      PlacementEngine.Fit f = (PlacementEngine.Fit) d;
      NodeState st = nodes.get(f.node());
      Placement p =
          new Placement(
              req.podUid(),
              req.namespace(),
              req.name(),
              f.node(),
              f.source(),
              req.workloadClass(),
              req.requests(),
              Arrays.stream(f.gpuDevices()).boxed().toList(),
              f.gpuMilli(),
              clock.millis(),
              false);
      NodeRecord next = st.record.with(p);
      LedgerStore.WriteResult w =
          store.write(f.node(), next, st.version, LedgerStore.PodOp.add(p.podUid()));
      if (w instanceof LedgerStore.WriteResult.Written written) {
        engine.reserve(p);
        placements.put(p.podUid(), p);
        st.record = next;
        st.version = written.version();
        changed();
        return new PlaceOutcome.Placed(p, false);
      }
      conflicts++;
      if (w instanceof LedgerStore.WriteResult.PodTaken taken) {
        reload(taken.node());
        Placement other = placements.get(req.podUid());
        if (other != null) {
          return new PlaceOutcome.Placed(other, true);
        }
      } else {
        reload(f.node());
      }
    }
    throw contention("placement of pod " + req.podUid());
  }

  /**
   * Places a gang: every pod in one member cluster, or none. Pods already reserved keep their
   * reservation, and the others go to the member those are in; when every pod is reserved the
   * existing reservations are the answer (idempotent). New reservations carry the gang id and
   * expire {@code ttl} from now unless confirmed ({@link #expireReservations()}).
   *
   * <p>Each reservation is its own compare-and-set on its node's record, as for {@link #place}; a
   * conflict part-way gives back the ones written and decides again. A broker that dies part-way
   * leaves unconfirmed reservations that expire with the TTL, so no part of a gang holds room for
   * long.
   */
  public synchronized GangOutcome placeGang(String gangId, List<PodRequest> pods, Duration ttl) {
    if (gangId == null || gangId.isBlank()) {
      throw BrokerException.invalid("gang_id must not be empty");
    }
    if (pods.isEmpty()) {
      throw BrokerException.invalid("pods of gang " + gangId + " must not be empty");
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw BrokerException.invalid("ttl_ms of gang " + gangId + " must be positive");
    }
    Set<String> uids = new HashSet<>();
    for (PodRequest r : pods) {
      if (!uids.add(r.podUid())) {
        throw BrokerException.invalid("pod " + r.podUid() + " is listed twice in gang " + gangId);
      }
    }
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      List<PodRequest> missing = new ArrayList<>();
      String cluster = null;
      for (PodRequest r : pods) {
        Placement p = placements.get(r.podUid());
        if (p == null) {
          missing.add(r);
        } else if (cluster == null) {
          cluster = p.node().cluster();
        }
      }
      if (missing.isEmpty()) {
        return new GangOutcome.Placed(inOrder(pods), true);
      }
      PlacementEngine.GangDecision d = engine.decideGang(missing, cluster);
      if (d instanceof PlacementEngine.GangRefusal r) {
        return new GangOutcome.Unplaceable(r.noFit());
      }
      List<PlacementEngine.Fit> fits = ((PlacementEngine.GangFit) d).fits();
      long now = clock.millis();
      long expires = now + ttl.toMillis();
      List<Placement> written = new ArrayList<>();
      boolean conflict = false;
      for (int i = 0; i < missing.size() && !conflict; i++) {
        PodRequest req = missing.get(i);
        PlacementEngine.Fit f = fits.get(i);
        Placement p =
            new Placement(
                req.podUid(),
                req.namespace(),
                req.name(),
                f.node(),
                f.source(),
                req.workloadClass(),
                req.requests(),
                Arrays.stream(f.gpuDevices()).boxed().toList(),
                f.gpuMilli(),
                now,
                false,
                gangId,
                expires);
        NodeState st = nodes.get(f.node());
        NodeRecord next = st.record.with(p);
        LedgerStore.WriteResult w =
            store.write(f.node(), next, st.version, LedgerStore.PodOp.add(p.podUid()));
        if (w instanceof LedgerStore.WriteResult.Written ok) {
          engine.reserve(p);
          placements.put(p.podUid(), p);
          st.record = next;
          st.version = ok.version();
          written.add(p);
        } else {
          conflicts++;
          conflict = true;
          reload(w instanceof LedgerStore.WriteResult.PodTaken taken ? taken.node() : f.node());
        }
      }
      if (!conflict) {
        changed();
        return new GangOutcome.Placed(inOrder(pods), false);
      }
      for (Placement p : written) {
        release(p.podUid());
      }
    }
    throw contention("placement of gang " + gangId);
  }

  private List<Placement> inOrder(List<PodRequest> pods) {
    return pods.stream().map(r -> placements.get(r.podUid())).toList();
  }

  /**
   * Releases every unconfirmed reservation past its expiry (gang reservations whose member pods
   * were never created); returns how many.
   */
  public synchronized int expireReservations() {
    long now = clock.millis();
    List<Placement> expired = placements.values().stream().filter(p -> p.expired(now)).toList();
    int released = 0;
    for (Placement p : expired) {
      if (placements.get(p.podUid()) == p) {
        try {
          release(p.podUid());
        } catch (BrokerException e) {
          if (e.code() != BrokerException.Code.NOT_FOUND) {
            throw e;
          }
          continue; // another replica released it first
        }
        released++;
        log.info(
            "released the reservation of pod {} of gang {}: not confirmed in time",
            p.podUid(),
            p.gangId());
      }
    }
    return released;
  }

  /** Marks a reservation placed (the member pod exists). Unknown pod: NOT_FOUND. */
  public synchronized Placement confirm(String podUid) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Placement p = require(podUid);
      if (p.confirmed()) {
        return p;
      }
      NodeState st = nodes.get(p.node());
      Placement c = p.confirm();
      NodeRecord next = st.record.with(c);
      LedgerStore.WriteResult w = store.write(p.node(), next, st.version, null);
      if (w instanceof LedgerStore.WriteResult.Written written) {
        engine.confirm(p);
        placements.put(podUid, c);
        st.record = next;
        st.version = written.version();
        changed();
        return c;
      }
      conflicts++;
      reload(p.node());
    }
    throw contention("confirmation of pod " + podUid);
  }

  /** Releases a pod's reservation or placement. Unknown pod: NOT_FOUND. */
  public synchronized Placement release(String podUid) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Placement p = require(podUid);
      NodeState st = nodes.get(p.node());
      NodeRecord next = st.record.without(podUid);
      LedgerStore.WriteResult w =
          store.write(p.node(), next, st.version, LedgerStore.PodOp.remove(podUid));
      if (w instanceof LedgerStore.WriteResult.Written written) {
        engine.release(p);
        placements.remove(podUid);
        st.record = next;
        st.version = written.version();
        changed();
        return p;
      }
      conflicts++;
      reload(p.node());
    }
    throw contention("release of pod " + podUid);
  }

  private Placement require(String podUid) {
    if (podUid == null || podUid.isBlank()) {
      throw BrokerException.invalid("pod_uid must not be empty");
    }
    Placement p = placements.get(podUid);
    if (p == null) {
      throw BrokerException.notFound(
          "no placement for pod " + podUid + ": it was never placed or is released");
    }
    return p;
  }

  /**
   * Placements, optionally of one cluster (null or empty: all), sorted by cluster, node, pod UID.
   */
  public synchronized List<Placement> placements(String cluster) {
    List<Placement> out = new ArrayList<>();
    for (Placement p : placements.values()) {
      if (cluster == null || cluster.isEmpty() || p.node().cluster().equals(cluster)) {
        out.add(p);
      }
    }
    out.sort(Comparator.comparing(Placement::node).thenComparing(Placement::podUid));
    return out;
  }

  public synchronized Placement placement(String podUid) {
    return placements.get(podUid);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Capacity

  /** What the broker advertises and holds, per class, cluster and source. */
  public record CapacitySnapshot(
      Resources advertisedNearLine,
      Resources advertisedOffline,
      Resources offered,
      Resources reserved,
      Resources placed,
      List<CapacityTotals> clusters,
      Resources largestShape,
      int nodes,
      long generatedAtMs,
      Map<String, Long> placementsByClass,
      Map<String, Long> placementsBySource) {

    /** What the virtual node advertises: everything some class may use. */
    public Resources advertised() {
      return advertisedNearLine;
    }
  }

  public synchronized CapacitySnapshot capacity() {
    List<CapacityTotals> totals = engine.totals();
    Resources offered = Resources.ZERO;
    Resources reserved = Resources.ZERO;
    Resources placed = Resources.ZERO;
    for (CapacityTotals t : totals) {
      offered = offered.plus(t.offered());
      reserved = reserved.plus(t.reserved());
      placed = placed.plus(t.placed());
    }
    Map<String, Long> byClass = new TreeMap<>();
    Map<String, Long> bySource = new TreeMap<>();
    for (Placement p : placements.values()) {
      byClass.merge(p.workloadClass().label(), 1L, Long::sum);
      bySource.merge(p.source().name(), 1L, Long::sum);
    }
    return new CapacitySnapshot(
        engine.advertised(WorkloadClass.NEAR_LINE),
        engine.advertised(WorkloadClass.OFFLINE),
        offered,
        reserved,
        placed,
        totals,
        engine.largestFree(WorkloadClass.NEAR_LINE),
        engine.activeNodes(),
        clock.millis(),
        byClass,
        bySource);
  }

  /** How many pods of this shape fit, node by node, per cluster. */
  public synchronized Map<String, Long> estimate(PodRequest shape) {
    return engine.estimate(shape);
  }

  public synchronized Resources largestShape(WorkloadClass cls) {
    return engine.largestFree(cls);
  }

  /** Every node record, sorted: what a restarted broker must rebuild exactly. */
  public synchronized Map<NodeKey, NodeRecord> snapshot() {
    Map<NodeKey, NodeRecord> out = new TreeMap<>();
    nodes.forEach((k, st) -> out.put(k, st.record));
    return out;
  }

  /** A counter that grows with every change; lets watchers skip unchanged states. */
  public synchronized long changes() {
    return changes;
  }

  /** How many writes lost a compare-and-set race and were retried. */
  public synchronized long conflicts() {
    return conflicts;
  }

  /** What one node has free now (GPU in whole devices). */
  public synchronized Resources freeOf(NodeKey key) {
    return engine.freeOf(key);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Store synchronization

  private void reload(NodeKey key) {
    store.load(key).ifPresentOrElse(v -> apply(key, v.record(), v.version()), () -> forget(key));
  }

  private synchronized void storeChanged(NodeKey key, LedgerStore.Versioned v) {
    NodeState st = nodes.get(key);
    if (v == null) {
      if (st != null) {
        forget(key);
      }
    } else if (st == null || v.version() > st.version) {
      apply(key, v.record(), v.version());
    }
  }

  private void forget(NodeKey key) {
    NodeState st = nodes.remove(key);
    if (st == null) {
      return;
    }
    for (Placement p : st.record.placements().values()) {
      engine.release(p);
      placements.remove(p.podUid(), p);
    }
    engine.withdraw(key);
    changed();
  }

  /** Replaces the in-memory state of one node with a record read from the store. */
  private void apply(NodeKey key, NodeRecord rec, int version) {
    NodeState st = nodes.get(key);
    long now = clock.millis();
    if (st != null) {
      for (Placement p : st.record.placements().values()) {
        engine.release(p);
        placements.remove(p.podUid(), p);
      }
    }
    if (rec.offer() != null) {
      engine.offer(rec.offer());
    } else {
      engine.withdraw(key);
    }
    engine.reclaimed(key, rec.reclaimedAtMs(), rec.cooldownUntilMs());
    for (Placement p : rec.placements().values()) {
      engine.reserve(p);
      placements.put(p.podUid(), p);
    }
    if (st == null) {
      st = new NodeState(rec, version, now);
      nodes.put(key, st);
    } else {
      if (!java.util.Objects.equals(
          st.record.offer() == null ? null : st.record.offer().withObservedAt(0),
          rec.offer() == null ? null : rec.offer().withObservedAt(0))) {
        st.lastSeenMs = now;
      }
      st.record = rec;
      st.version = version;
    }
    changed();
  }

  private void changed() {
    changes++;
    for (Runnable r : changeListeners) {
      r.run();
    }
  }

  private static BrokerException contention(String what) {
    return new BrokerException(
        BrokerException.Code.ABORTED,
        what
            + " kept conflicting with other broker replicas after "
            + MAX_ATTEMPTS
            + " attempts; retry");
  }

  /** The placement engine's policy. */
  public synchronized PlacementPolicy policy() {
    return engine.policy();
  }

  /**
   * Puts {@code next} in force for every later decision and for the advertised capacity (margins
   * re-applied to every offer); placements made stay. Change listeners are told.
   */
  public synchronized void policy(PlacementPolicy next) {
    if (next.equals(engine.policy())) {
      return;
    }
    engine.policy(next);
    changed();
  }

  /** Nodes (keys) whose offer is active. */
  public synchronized Set<NodeKey> offeredNodes() {
    Set<NodeKey> out = new HashSet<>();
    nodes.forEach(
        (k, st) -> {
          if (st.record.offer() != null) {
            out.add(k);
          }
        });
    return out;
  }
}
