package io.gleaner.descheduler.plan;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Plans one burst of one member cluster: which Gleaner pods to evict on which lent nodes so the
 * pending online pods fit. Pure and deterministic: the same input gives the same plan.
 *
 * <p>The whole burst is planned together. Pressured co-location nodes come first (their room is
 * owed regardless), then pending demands by priority, age and size. Each pod goes to exactly one
 * node, the one where it costs the fewest and cheapest extra victims ({@link Cost}); room freed for
 * an earlier pod of the burst is used before anything else is evicted, so a burst never evicts more
 * than it needs and never evicts on two nodes for one pod.
 *
 * <p>With teams ({@link ReclaimFairness}), victims come first from the teams furthest above their
 * fair share across the federation, re-ranked after each pod of the burst is served; where teams
 * stand equally the class order decides, as without teams.
 *
 * <p>Pods that already fit (on a lent node, or once pods that are terminating leave) cause no
 * eviction: that is how a re-plan after a restart or after native preemption never evicts twice. A
 * pod that native preemption has nominated a node for, recently, is left to the member scheduler
 * unless preemption cannot help it.
 */
public final class Planner {
  private final PlannerConfig config;

  public Planner(PlannerConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  public PlannerConfig config() {
    return config;
  }

  /** Plans with the class order alone (no teams). */
  public Plan plan(PlanInput in) {
    return plan(in, ReclaimFairness.NONE);
  }

  /**
   * Plans taking victims first from the teams furthest above their fair share ({@code fairness}),
   * then in class order; gangs and the victim search's other rules are unchanged.
   */
  public Plan plan(PlanInput in, ReclaimFairness fairness) {
    Resources returned = Resources.ZERO;
    for (Demand d : in.demands()) {
      returned =
          returned.plus(
              d instanceof Demand.Pods p
                  ? p.total()
                  : ((Demand.Pressure) d).excess().clampAtZero());
    }
    PlanState state =
        PlanState.of(in.nodes(), config.nodeReserve(), TeamTiers.of(fairness, returned));
    List<PodOutcome> outcomes = new ArrayList<>();

    in.demands().stream()
        .filter(d -> d instanceof Demand.Pressure)
        .map(d -> (Demand.Pressure) d)
        .sorted(
            Comparator.comparing(Demand.Pressure::triggeredAt).thenComparing(Demand.Pressure::node))
        .forEach(p -> outcomes.add(relieve(state, p, in.now())));

    List<Demand.Pods> pods =
        in.demands().stream()
            .filter(d -> d instanceof Demand.Pods)
            .map(d -> (Demand.Pods) d)
            .sorted(
                Comparator.comparingInt(Demand.Pods::maxPriority)
                    .reversed()
                    .thenComparing(Demand.Pods::triggeredAt)
                    .thenComparing(
                        (Demand.Pods d) -> d.total().cpuMillis(), Comparator.reverseOrder())
                    .thenComparing(
                        (Demand.Pods d) -> d.total().memoryBytes(), Comparator.reverseOrder())
                    .thenComparing(Demand.Pods::id))
            .toList();
    PlanState current = state;
    for (Demand.Pods d : pods) {
      if (d.pods().size() == 1) {
        outcomes.add(place(current, in, d, d.pods().get(0)));
        continue;
      }
      PlanState trial = current.copy();
      List<PodOutcome> tried = new ArrayList<>();
      int placed = 0;
      for (PendingPod p : sortedBySize(d.pods())) {
        PodOutcome o = place(trial, in, d, p);
        tried.add(o);
        if (o.outcome() != Outcome.NO_HELP && o.outcome() != Outcome.DEFERRED_TO_PREEMPTION) {
          placed++;
        }
      }
      if (placed >= d.minPlaced()) {
        current = trial;
        outcomes.addAll(tried);
      } else {
        String why =
            "gang "
                + d.id()
                + " needs "
                + d.minPlaced()
                + " of "
                + d.pods().size()
                + " pods placed together but only "
                + placed
                + " would fit after reclaiming lent nodes"
                + firstNoHelp(tried);
        for (PendingPod p : d.pods()) {
          outcomes.add(new PodOutcome(p.key(), d.id(), Outcome.NO_HELP, null, why, null));
        }
      }
    }
    return new Plan(in.cluster(), reclaims(current), outcomes);
  }

  private static String firstNoHelp(List<PodOutcome> tried) {
    return tried.stream()
        .filter(o -> o.outcome() == Outcome.NO_HELP)
        .findFirst()
        .map(o -> " (" + o.pod() + ": " + o.reason() + ")")
        .orElse("");
  }

  private static List<PendingPod> sortedBySize(List<PendingPod> pods) {
    return pods.stream()
        .sorted(
            Comparator.comparingLong((PendingPod p) -> p.requests().cpuMillis())
                .reversed()
                .thenComparing(p -> p.requests().memoryBytes(), Comparator.reverseOrder())
                .thenComparing(PendingPod::key))
        .toList();
  }

  private PodOutcome relieve(PlanState state, Demand.Pressure p, Instant now) {
    NodeState ns = state.nodes.get(p.node());
    if (ns == null) {
      return new PodOutcome(
          p.id(),
          p.id(),
          Outcome.NO_HELP,
          p.node(),
          "node " + p.node() + " hosts no Gleaner pod",
          null);
    }
    Resources excess = p.excess().clampAtZero();
    VictimSearch.Selection sel =
        new VictimSearch(state, ns, now, config.searchBudget()).find(excess);
    if (sel == null) {
      return new PodOutcome(
          p.id(),
          p.id(),
          Outcome.NO_HELP,
          p.node(),
          "evicting every Gleaner pod that may go (gangs kept above minMember) would not free "
              + excess.toStrings(),
          null);
    }
    if (sel.items().isEmpty()) {
      return new PodOutcome(p.id(), p.id(), Outcome.FITS_NOW, p.node(), "no excess", null);
    }
    VictimSearch.apply(state, ns, sel);
    ns.serve(p.id(), Reason.COLOCATION_PRESSURE, p.triggeredAt());
    return new PodOutcome(
        p.id(),
        p.id(),
        Outcome.RECLAIM,
        p.node(),
        "batch requests exceed batch allocatable by " + excess.toStrings(),
        null);
  }

  private record Choice(NodeState node, VictimSearch.Selection selection, boolean nominated) {}

  private PodOutcome place(PlanState state, PlanInput in, Demand.Pods d, PendingPod p) {
    Optional<Instant> deferUntil = deferral(state, in, p);
    if (deferUntil.isPresent()) {
      return new PodOutcome(
          p.key(),
          d.id(),
          Outcome.DEFERRED_TO_PREEMPTION,
          p.nominatedNode().orElse(null),
          "native preemption nominated node "
              + p.nominatedNode().orElse("?")
              + "; Gleaner steps in at "
              + deferUntil.get()
              + " if the pod still pends",
          deferUntil.get());
    }
    Map<String, Integer> excluded = new TreeMap<>();
    List<NodeState> eligible = new ArrayList<>();
    for (NodeState ns : state.nodes.values()) {
      String why = NodeMatch.mismatch(p, ns.node);
      if (why == null && !p.requests().fitsIn(ns.roomIfEmptied())) {
        why =
            "too small even without Gleaner pods (short of "
                + p.requests().shortfall(ns.roomIfEmptied().clampAtZero()).toStrings()
                + ")";
      }
      if (why != null) {
        excluded.merge(why, 1, Integer::sum);
      } else {
        eligible.add(ns);
      }
    }
    if (eligible.isEmpty()) {
      String why =
          state.nodes.isEmpty()
              ? "no lent node in cluster " + in.cluster()
              : "even an empty lent node would not help: "
                  + excluded.entrySet().stream()
                      .map(e -> e.getValue() + " node(s): " + e.getKey())
                      .collect(Collectors.joining("; "));
      return new PodOutcome(p.key(), d.id(), Outcome.NO_HELP, null, why, null);
    }
    Choice best = null;
    for (NodeState ns : eligible) {
      Resources withPod = ns.used().plus(p.requests());
      VictimSearch.Selection sel;
      if (withPod.fitsIn(ns.node.allocatable())) {
        sel = VictimSearch.Selection.EMPTY;
      } else if (best != null && best.selection().items().isEmpty()) {
        continue; // a free fit elsewhere beats any eviction here
      } else {
        sel =
            new VictimSearch(state, ns, in.now(), config.searchBudget())
                .find(
                    withPod.shortfall(ns.capacity), best == null ? null : best.selection().cost());
      }
      if (sel == null) {
        continue;
      }
      Choice c = new Choice(ns, sel, p.nominatedNode().map(ns.name()::equals).orElse(false));
      if (best == null || better(c, best, p)) {
        best = c;
      }
    }
    if (best == null) {
      return new PodOutcome(
          p.key(),
          d.id(),
          Outcome.NO_HELP,
          null,
          "the room on "
              + eligible.size()
              + " eligible lent node(s) is taken by higher-priority pods of this burst or held by gangs at minMember",
          null);
    }
    NodeState ns = best.node();
    Outcome outcome;
    String summary;
    if (!best.selection().items().isEmpty()) {
      VictimSearch.apply(state, ns, best.selection());
      outcome = Outcome.RECLAIM;
      summary = best.selection().victims() + " victim(s) on " + ns.name();
    } else if (ns.touched() && !ns.victims.isEmpty()) {
      outcome = Outcome.RECLAIM;
      summary = "shares room reclaimed on " + ns.name() + " for this burst";
    } else if (ns.used().plus(ns.leaving).plus(p.requests()).fitsIn(ns.node.allocatable())) {
      outcome = Outcome.FITS_NOW;
      summary = "fits on lent node " + ns.name() + " without eviction";
    } else {
      outcome = Outcome.AWAITING_TERMINATION;
      summary = "fits on " + ns.name() + " once pods already terminating there are gone";
    }
    ns.assigned = ns.assigned.plus(p.requests());
    if (outcome == Outcome.RECLAIM) {
      ns.serve(p.key(), d.reason(), p.unschedulableSince());
    }
    return new PodOutcome(p.key(), d.id(), outcome, ns.name(), summary, null);
  }

  /**
   * Lower cost wins; then the nominated node, a node already reclaimed in this burst, the tightest
   * fit, the name.
   */
  private static boolean better(Choice a, Choice b, PendingPod p) {
    int c = a.selection().cost().compareTo(b.selection().cost());
    if (c != 0) {
      return c < 0;
    }
    if (a.nominated() != b.nominated()) {
      return a.nominated();
    }
    boolean at = !a.node().victims.isEmpty();
    boolean bt = !b.node().victims.isEmpty();
    if (at != bt) {
      return at;
    }
    double la = leftover(a, p);
    double lb = leftover(b, p);
    if (la != lb) {
      return la < lb;
    }
    return a.node().name().compareTo(b.node().name()) < 0;
  }

  private static double leftover(Choice c, PendingPod p) {
    NodeState ns = c.node();
    Resources freed = Resources.ZERO;
    for (VictimSearch.Item it : c.selection().items()) {
      for (Victim v : it.members()) {
        if (v.node().equals(ns.name())) {
          freed = freed.plus(v.pod().requests());
        }
      }
    }
    Resources left = ns.capacity.minus(ns.used()).plus(freed).minus(p.requests()).clampAtZero();
    double s = left.dominantShare(ns.node.allocatable());
    return Double.isFinite(s) ? s : 0;
  }

  /**
   * When native preemption should get its chance first: the pod is nominated, recently, and
   * preemption can help (the member preempts, the pod may preempt, and the nominated node is not a
   * lent node whose pods all have at least the pod's priority).
   */
  private Optional<Instant> deferral(PlanState state, PlanInput in, PendingPod p) {
    if (p.nominatedNode().isEmpty()
        || !in.memberPreemption()
        || p.preemptionPolicy() == PreemptionPolicy.NEVER) {
      return Optional.empty();
    }
    Instant since = p.nominatedSince() != null ? p.nominatedSince() : p.unschedulableSince();
    Instant until = since.plus(config.nominationBound());
    if (!in.now().isBefore(until)) {
      return Optional.empty();
    }
    NodeState nominated = state.nodes.get(p.nominatedNode().get());
    if (nominated != null
        && nominated.node.pods().stream().noneMatch(x -> x.priority() < p.priority())) {
      return Optional.empty();
    }
    return Optional.of(until);
  }

  private static List<NodeReclaim> reclaims(PlanState state) {
    List<NodeReclaim> out = new ArrayList<>();
    for (NodeState ns : state.nodes.values()) {
      if (!ns.victims.isEmpty()) {
        out.add(
            new NodeReclaim(
                ns.name(),
                ns.node.pool(),
                ns.reason,
                ns.victims,
                List.copyOf(ns.forPods),
                ns.triggeredAt,
                ns.node.handBack(),
                ns.node.refusedPods()));
      }
    }
    return out;
  }
}
