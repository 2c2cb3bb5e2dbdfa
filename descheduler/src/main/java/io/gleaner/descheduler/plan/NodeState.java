package io.gleaner.descheduler.plan;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One lent node while a plan is being built: what stays, what leaves, what was assigned. Not
 * thread-safe.
 */
final class NodeState {
  final LentNode node;

  /** allocatable - reserve. */
  final Resources capacity;

  /** Requests of non-terminating non-Gleaner pods. */
  final Resources online;

  /** Requests of pods already terminating (they will free their room). */
  final Resources leaving;

  /** Non-terminating Gleaner pods not chosen as victims. */
  final List<NodePod> live;

  final List<Victim> victims;
  final Set<String> forPods;
  Resources assigned;
  Reason reason;
  Instant triggeredAt;

  NodeState(LentNode node, Resources reserve) {
    this.node = node;
    this.capacity = node.allocatable().minus(reserve);
    Resources on = Resources.ZERO;
    Resources gone = Resources.ZERO;
    List<NodePod> l = new ArrayList<>();
    for (NodePod p : node.pods()) {
      if (p.terminating()) {
        gone = gone.plus(p.requests());
      } else if (p.gleaner()) {
        l.add(p);
      } else {
        on = on.plus(p.requests());
      }
    }
    this.online = on;
    this.leaving = gone;
    this.live = l;
    this.victims = new ArrayList<>();
    this.forPods = new LinkedHashSet<>();
    this.assigned = Resources.ZERO;
  }

  private NodeState(NodeState o) {
    this.node = o.node;
    this.capacity = o.capacity;
    this.online = o.online;
    this.leaving = o.leaving;
    this.live = new ArrayList<>(o.live);
    this.victims = new ArrayList<>(o.victims);
    this.forPods = new LinkedHashSet<>(o.forPods);
    this.assigned = o.assigned;
    this.reason = o.reason;
    this.triggeredAt = o.triggeredAt;
  }

  NodeState copy() {
    return new NodeState(this);
  }

  String name() {
    return node.name();
  }

  /**
   * What stays on the node once terminating pods and chosen victims are gone, plus what this plan
   * assigned.
   */
  Resources used() {
    Resources u = online.plus(assigned);
    for (NodePod p : live) {
      u = u.plus(p.requests());
    }
    return u;
  }

  /** Room online pods could ever get here: all Gleaner pods gone, nothing assigned. */
  Resources roomIfEmptied() {
    return capacity.minus(online);
  }

  boolean touched() {
    return !victims.isEmpty() || !forPods.isEmpty();
  }

  void serve(String pod, Reason r, Instant at) {
    forPods.add(pod);
    if (reason == null) {
      reason = r;
    }
    if (triggeredAt == null || at.isBefore(triggeredAt)) {
      triggeredAt = at;
    }
  }
}
