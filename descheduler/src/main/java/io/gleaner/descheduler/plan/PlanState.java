package io.gleaner.descheduler.plan;

import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All lent nodes and gangs of one cluster while a plan is built; {@link #copy()} allows trying a
 * gang and undoing.
 */
final class PlanState {
  final Map<String, NodeState> nodes;

  /** Per gang key: replicas above minMember that may still go one by one in this plan. */
  final Map<String, Integer> spareLeft;

  /** Per gang key: the gang's minMember/members as reported (first pod seen wins). */
  final Map<String, Gang> gangs;

  /** The teams ranked by how far they stand above their fair share, as victims are taken. */
  final TeamTiers tiers;

  private PlanState(
      Map<String, NodeState> nodes,
      Map<String, Integer> spareLeft,
      Map<String, Gang> gangs,
      TeamTiers tiers) {
    this.nodes = nodes;
    this.spareLeft = spareLeft;
    this.gangs = gangs;
    this.tiers = tiers;
  }

  static PlanState of(List<LentNode> lent, Resources reserve) {
    return of(lent, reserve, TeamTiers.none());
  }

  static PlanState of(List<LentNode> lent, Resources reserve, TeamTiers tiers) {
    Map<String, NodeState> nodes = new LinkedHashMap<>();
    Map<String, Gang> gangs = new HashMap<>();
    lent.stream()
        .sorted((a, b) -> a.name().compareTo(b.name()))
        .forEach(
            n -> {
              if (nodes.put(n.name(), new NodeState(n, reserve)) != null) {
                throw new IllegalArgumentException("lent node " + n.name() + " listed twice");
              }
              for (NodePod p : n.pods()) {
                if (p.gleaner()) {
                  p.gang().ifPresent(g -> gangs.putIfAbsent(g.key(), g));
                }
              }
            });
    Map<String, Integer> spare = new HashMap<>();
    gangs.forEach((k, g) -> spare.put(k, g.spare()));
    return new PlanState(nodes, spare, gangs, tiers);
  }

  PlanState copy() {
    Map<String, NodeState> n = new LinkedHashMap<>();
    nodes.forEach((k, v) -> n.put(k, v.copy()));
    return new PlanState(n, new HashMap<>(spareLeft), gangs, tiers.copy());
  }

  /** Live (not chosen, not terminating) members of a gang, on every node. */
  List<Victim> liveMembers(String gangKey) {
    List<Victim> out = new ArrayList<>();
    for (NodeState ns : nodes.values()) {
      for (NodePod p : ns.live) {
        if (p.gang().isPresent() && p.gang().get().key().equals(gangKey)) {
          out.add(new Victim(ns.name(), p));
        }
      }
    }
    return out;
  }

  /**
   * Whether every member of the gang is visible on lent nodes, so the whole gang can be evicted.
   */
  boolean wholeGangVisible(String gangKey) {
    Gang g = gangs.get(gangKey);
    return g != null && liveMembers(gangKey).size() >= g.members();
  }
}
