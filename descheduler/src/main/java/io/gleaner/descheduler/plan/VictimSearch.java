package io.gleaner.descheduler.plan;

import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the cheapest set of Gleaner pods on one node whose removal frees {@code shortfall}: an
 * exact branch and bound over "evict / keep" for each candidate, cheapest candidates first, pruned
 * by cost and by what the remaining candidates could still free, and stopped after a budget
 * (keeping the best set found so far).
 *
 * <p>Fairness comes first in the price ({@link Cost}): victims from the teams furthest above their
 * fair share ({@link TeamTiers}) before any from a team below them, then the class order.
 *
 * <p>Gangs: a member may go on its own only while its gang keeps more than minMember replicas; past
 * that only the whole gang (every member, on every node) may go, and only if every member is
 * visible.
 */
final class VictimSearch {

  /** One unit of eviction: a single pod, or a whole gang. */
  record Item(
      NodePod single,
      String gangKey,
      boolean whole,
      List<Victim> members,
      long[] freed,
      Cost cost) {}

  /** The chosen units and their total cost. */
  record Selection(List<Item> items, Cost cost) {
    static final Selection EMPTY = new Selection(List.of(), Cost.ZERO);

    int victims() {
      return cost.count();
    }
  }

  private final PlanState state;
  private final NodeState node;
  private final Instant now;
  private final int budget;

  private String[] dims;
  private long[] need;
  private Item[] items;
  private long[][] suffix;
  private int[] gangIndex;
  private int[] spare;
  private int[] singlesTaken;
  private boolean[] wholeTaken;
  private int expansions;
  private List<Item> best;
  private Cost bestCost;
  private final List<Item> current = new ArrayList<>();
  private long[] zeros;

  VictimSearch(PlanState state, NodeState node, Instant now, int budget) {
    this.state = state;
    this.node = node;
    this.now = now;
    this.budget = budget;
  }

  /**
   * The cheapest selection covering {@code shortfall}; empty if nothing is short; null if no
   * selection can.
   */
  Selection find(Resources shortfall) {
    return find(shortfall, null);
  }

  /**
   * As {@link #find(Resources)}, but only selections costing at most {@code bound} count (null = no
   * bound): the planner passes the best it found on other nodes, which prunes most of the search.
   */
  Selection find(Resources shortfall, Cost bound) {
    if (shortfall.isZero()) {
      return Selection.EMPTY;
    }
    dims = shortfall.names().toArray(String[]::new);
    need = new long[dims.length];
    zeros = new long[dims.length];
    for (int i = 0; i < dims.length; i++) {
      need[i] = shortfall.get(dims[i]);
    }
    List<Item> list = candidates();
    list.sort(Comparator.comparing(Item::cost));
    items = list.toArray(Item[]::new);
    suffix = new long[items.length + 1][dims.length];
    for (int i = items.length - 1; i >= 0; i--) {
      for (int d = 0; d < dims.length; d++) {
        suffix[i][d] = suffix[i + 1][d] + items[i].freed()[d];
      }
    }
    if (!covers(suffix[0], new long[dims.length])) {
      return null;
    }
    Map<String, Integer> gangIdx = new HashMap<>();
    for (Item it : items) {
      if (it.gangKey() != null) {
        gangIdx.putIfAbsent(it.gangKey(), gangIdx.size());
      }
    }
    gangIndex = new int[items.length];
    spare = new int[gangIdx.size()];
    for (int i = 0; i < items.length; i++) {
      String k = items[i].gangKey();
      gangIndex[i] = k == null ? -1 : gangIdx.get(k);
      if (k != null) {
        spare[gangIndex[i]] = state.spareLeft.getOrDefault(k, 0);
      }
    }
    singlesTaken = new int[spare.length];
    wholeTaken = new boolean[spare.length];
    // Just above the bound, so that a selection costing exactly the bound still counts (ties are
    // broken later).
    bestCost = bound == null ? null : bound.justAbove();
    best = null;
    expansions = 0;
    dfs(0, new long[dims.length], Cost.ZERO);
    return best == null ? null : new Selection(List.copyOf(best), bestCost);
  }

  private void dfs(int i, long[] freed, Cost cost) {
    if (covers(freed, zeros)) {
      if (bestCost == null || cost.compareTo(bestCost) < 0) {
        bestCost = cost;
        best = new ArrayList<>(current);
      }
      return;
    }
    if (i == items.length || ++expansions > budget) {
      return;
    }
    if (bestCost != null && cost.plusOneVictim().compareTo(bestCost) >= 0) {
      return;
    }
    if (!covers(freed, suffix[i])) {
      return;
    }
    Item it = items[i];
    int g = gangIndex[i];
    boolean allowed =
        g < 0
            || (it.whole()
                ? singlesTaken[g] == 0 && !wholeTaken[g]
                : !wholeTaken[g] && singlesTaken[g] < spare[g]);
    if (allowed) {
      long[] next = freed.clone();
      for (int d = 0; d < dims.length; d++) {
        next[d] += it.freed()[d];
      }
      if (g >= 0) {
        if (it.whole()) {
          wholeTaken[g] = true;
        } else {
          singlesTaken[g]++;
        }
      }
      current.add(it);
      dfs(i + 1, next, cost.plus(it.cost()));
      current.remove(current.size() - 1);
      if (g >= 0) {
        if (it.whole()) {
          wholeTaken[g] = false;
        } else {
          singlesTaken[g]--;
        }
      }
    }
    dfs(i + 1, freed, cost);
  }

  /** Whether {@code freed + extra} covers the need in every dimension. */
  private boolean covers(long[] freed, long[] extra) {
    for (int d = 0; d < dims.length; d++) {
      if (freed[d] + extra[d] < need[d]) {
        return false;
      }
    }
    return true;
  }

  private List<Item> candidates() {
    List<Item> out = new ArrayList<>();
    Set<String> gangsHere = new LinkedHashSet<>();
    for (NodePod p : node.live) {
      long[] freed = vector(p.requests());
      String gangKey = p.gang().map(Gang::key).orElse(null);
      if (gangKey != null) {
        gangsHere.add(gangKey);
      }
      if (relevant(freed)) {
        out.add(new Item(p, gangKey, false, List.of(new Victim(node.name(), p)), freed, costOf(p)));
      }
    }
    for (String key : gangsHere) {
      if (!state.wholeGangVisible(key)) {
        continue;
      }
      List<Victim> members = state.liveMembers(key);
      long[] freed = new long[dims.length];
      Cost cost = Cost.ZERO;
      for (Victim v : members) {
        if (v.node().equals(node.name())) {
          long[] f = vector(v.pod().requests());
          for (int d = 0; d < dims.length; d++) {
            freed[d] += f[d];
          }
        }
        cost = cost.plus(costOf(v.pod()));
      }
      if (relevant(freed)) {
        out.add(new Item(null, key, true, members, freed, cost));
      }
    }
    return out;
  }

  private boolean relevant(long[] freed) {
    for (long f : freed) {
      if (f > 0) {
        return true;
      }
    }
    return false;
  }

  private long[] vector(Resources r) {
    long[] v = new long[dims.length];
    for (int d = 0; d < dims.length; d++) {
      v[d] = Math.max(0, r.get(dims[d]));
    }
    return v;
  }

  private Cost costOf(NodePod p) {
    long age =
        p.startTime() == null ? 0 : Math.max(0, Duration.between(p.startTime(), now).getSeconds());
    double share = p.requests().dominantShare(node.node.allocatable());
    if (Double.isNaN(share) || Double.isInfinite(share)) {
      share = 1.0;
    }
    return Cost.one(state.tiers.tierOf(p), p.podClass() == PodClass.NEAR_LINE, age, share);
  }

  /** Removes the selection's victims from the state and books them on {@code node}. */
  static void apply(PlanState state, NodeState node, Selection sel) {
    int before = node.victims.size();
    for (Item it : sel.items()) {
      if (!it.whole()) {
        node.live.remove(it.single());
        node.victims.add(new Victim(node.name(), it.single()));
        if (it.gangKey() != null) {
          state.spareLeft.merge(it.gangKey(), -1, Integer::sum);
        }
      } else {
        for (Victim v : it.members()) {
          state.nodes.get(v.node()).live.remove(v.pod());
          node.victims.add(v);
        }
        state.spareLeft.put(it.gangKey(), 0);
      }
    }
    state.tiers.taken(node.victims.subList(before, node.victims.size()));
  }
}
