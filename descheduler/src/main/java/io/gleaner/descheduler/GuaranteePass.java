package io.gleaner.descheduler;

import io.gleaner.descheduler.plan.LentNode;
import io.gleaner.descheduler.plan.NodePod;
import io.gleaner.descheduler.plan.NodeReclaim;
import io.gleaner.descheduler.plan.Plan;
import io.gleaner.descheduler.plan.PodClass;
import io.gleaner.descheduler.plan.Reason;
import io.gleaner.descheduler.plan.ReclaimFairness;
import io.gleaner.descheduler.plan.Victim;
import io.gleaner.meta.fair.GuaranteeReclaim;
import io.gleaner.meta.fair.Running;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.resources.Resources;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reclaim cycle for guarantees (ARCHITECTURE.md §4, step 6): when a team holds less than its
 * guarantee and has pods waiting for the virtual node, evicts pods of the teams above their fair
 * share, just enough that the room covers what it lacks ({@link GuaranteeReclaim} decides; the room
 * of a lent node is its allocatable less what its pods, online and Gleaner's, ask for). Reads what
 * the teams hold from the members' watches and what they wait for from the broker ({@link
 * FederationShares}); evicts through each member's {@link ClusterLoop} (the reclaim path: PDBs
 * answered by the Eviction API, the victims' grace periods), the nodes staying lent. A gang is one
 * candidate, evicted whole. Run by the descheduler every time the pool is read from the broker.
 */
final class GuaranteePass {
  private static final Logger log = LoggerFactory.getLogger(GuaranteePass.class);

  /** Marks the teams a guarantee eviction is for, in the ReclaimEvent's {@code online_pods}. */
  static final String FOR_TEAM = io.gleaner.descheduler.execute.ReclaimNote.FOR_TEAM;

  private final FederationShares shares;
  private final Supplier<Collection<ClusterLoop>> loops;
  private final Clock clock;

  GuaranteePass(FederationShares shares, Supplier<Collection<ClusterLoop>> loops, Clock clock) {
    this.shares = shares;
    this.loops = loops;
    this.clock = clock;
  }

  /** Where a candidate's pods run: one pod, or every pod of a gang in its member. */
  private record Unit(ClusterLoop loop, List<Placed> pods) {}

  /** A candidate pod and its node. */
  private record Placed(LentNode node, Victim victim) {}

  /** Decides and evicts; returns the decision (for tests and logs). */
  GuaranteeReclaim.Decision run() {
    ReclaimFairness f = shares.now();
    Map<String, Resources> waiting = shares.waiting();
    if (waiting.isEmpty() || !anyGuarantee(f.teams().all())) {
      return GuaranteeReclaim.Decision.NONE;
    }
    Instant now = clock.instant();
    Map<String, Unit> units = new LinkedHashMap<>();
    Map<String, Running> candidates = new LinkedHashMap<>();
    Map<String, Resources> free = new HashMap<>();
    Map<String, String> nodeOf = new HashMap<>();
    for (ClusterLoop loop : loops.get()) {
      for (LentNode n : loop.lentNodes()) {
        String nodeKey = loop.cluster() + "/" + n.name();
        Resources taken = Resources.ZERO;
        for (NodePod p : n.pods()) {
          if (!p.terminating()) {
            taken = taken.plus(p.requests());
          }
        }
        free.put(
            nodeKey,
            n.unschedulable() ? Resources.ZERO : n.allocatable().minus(taken).clampAtZero());
        for (NodePod p : n.pods()) {
          if (!p.gleaner() || p.terminating()) {
            continue;
          }
          Instant started = p.startTime() == null ? now : p.startTime();
          boolean nearLine = p.podClass() == PodClass.NEAR_LINE;
          String id =
              p.gang().isPresent()
                  ? loop.cluster() + "|gang|" + p.gang().get().key()
                  : loop.cluster() + "|" + p.uid();
          if (p.gang().isEmpty()) {
            nodeOf.put(id, nodeKey);
          }
          units
              .computeIfAbsent(id, k -> new Unit(loop, new ArrayList<>()))
              .pods()
              .add(new Placed(n, new Victim(n.name(), p)));
          Running prev = candidates.get(id);
          candidates.put(
              id,
              prev == null
                  ? new Running(id, p.metaNamespace(), p.requests(), nearLine, started)
                  : new Running(
                      id,
                      prev.namespace(),
                      prev.request().plus(p.requests()),
                      prev.nearLine() || nearLine,
                      started.isAfter(prev.started()) ? started : prev.started()));
        }
      }
    }
    GuaranteeReclaim.Decision d =
        GuaranteeReclaim.decide(
            pool(f),
            f.teams(),
            f.usage(),
            waiting,
            shares.pending(),
            free,
            nodeOf,
            candidates.values());
    if (d.owed().isEmpty() || d.victims().isEmpty()) {
      if (!d.unmet().isZero()) {
        // every cycle while it lasts: not at INFO
        log.debug(
            "teams {} owed room for their guarantee; no team above its fair share can give {}",
            d.owed(),
            d.unmet());
      }
      return d;
    }
    List<String> forTeams = d.owed().stream().map(o -> FOR_TEAM + o.team()).toList();
    Map<ClusterLoop, Map<LentNode, List<Victim>>> byNode = new LinkedHashMap<>();
    for (Running r : d.victims()) {
      Unit u = units.get(r.id());
      for (Placed p : u.pods()) {
        byNode
            .computeIfAbsent(u.loop(), k -> new LinkedHashMap<>())
            .computeIfAbsent(p.node(), k -> new ArrayList<>())
            .add(p.victim());
      }
    }
    log.info(
        "teams {} below their guarantee with pods waiting: {} to free, evicting {} of teams above"
            + " their fair share{}",
        d.owed(),
        d.needed(),
        d.victims().size(),
        d.unmet().isZero() ? "" : " (" + d.unmet() + " not found)");
    byNode.forEach(
        (loop, nodes) -> {
          List<NodeReclaim> reclaims = new ArrayList<>();
          nodes.forEach(
              (node, victims) ->
                  reclaims.add(
                      new NodeReclaim(
                          node.name(),
                          node.pool(),
                          Reason.TEAM_GUARANTEE,
                          victims,
                          forTeams,
                          now,
                          false)));
          loop.evictFor(new Plan(loop.cluster(), reclaims, List.of()));
        });
    return d;
  }

  /**
   * The capacity the teams can hold: what the virtual node advertises (the reserve margins stay
   * free), never less than what they hold; the offered pool until the broker has said.
   */
  private Resources pool(ReclaimFairness f) {
    Resources adv = shares.advertised();
    if (adv.isZero()) {
      return f.pool();
    }
    Resources held = f.usage().values().stream().reduce(Resources.ZERO, Resources::plus);
    return adv.max(held);
  }

  /** Whether any team of the policy has a guarantee. */
  static boolean anyGuarantee(List<Team> teams) {
    return teams.stream().anyMatch(t -> !t.guarantee().isZero());
  }
}
