package io.gleaner.sim.scheduler;

import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Default preemption of kube-scheduler (the DefaultPreemption post-filter), simplified: on every
 * node where only resources are missing, remove all lower-priority pods, then reprieve as many as
 * possible from the highest priority down; pick the node whose victims have the lowest highest
 * priority, then the fewest victims, then the lowest priority sum.
 */
public final class Preemption {
  public static final String NOT_HELPFUL = "Preemption is not helpful for scheduling";
  public static final String NO_VICTIMS = "No preemption victims found for incoming pod";

  private Preemption() {}

  /** A node where evicting {@code victims} lets the pod fit. */
  public record Candidate(NodeInfo node, List<PodInfo> victims) {
    int maxPriority() {
      return victims.stream().mapToInt(PodInfo::priority).max().orElse(Integer.MIN_VALUE);
    }

    long prioritySum() {
      return victims.stream().mapToLong(PodInfo::priority).sum();
    }
  }

  /** The chosen candidate (null when none) and, per outcome, how many nodes had it. */
  public record Outcome(Candidate chosen, Map<String, Integer> histogram) {}

  public static Outcome select(
      PodInfo pod, Collection<NodeInfo> nodes, Function<NodeInfo, Resources> reserved) {
    Map<String, Integer> histogram = new HashMap<>();
    List<Candidate> candidates = new ArrayList<>();
    for (NodeInfo node : nodes) {
      Resources res = reserved.apply(node);
      Fit.Result r = Fit.check(pod, node, res);
      if (!r.resolvable()) {
        histogram.merge(NOT_HELPFUL, 1, Integer::sum);
        continue;
      }
      List<PodInfo> lower = new ArrayList<>();
      Resources removable = Resources.ZERO;
      for (PodInfo p : node.pods().values()) {
        if (p.priority() < pod.priority() && !p.terminating() && !p.terminal()) {
          lower.add(p);
          removable = removable.plus(p.requests());
        }
      }
      Resources base = node.requested().minus(removable).plus(res);
      if (lower.isEmpty()
          || !Fit.insufficient(pod.requests(), node.allocatable(), base).isEmpty()) {
        histogram.merge(NO_VICTIMS, 1, Integer::sum);
        continue;
      }
      lower.sort(
          Comparator.comparingInt(PodInfo::priority).reversed().thenComparing(PodInfo::created));
      List<PodInfo> victims = new ArrayList<>();
      Resources current = base;
      for (PodInfo p : lower) {
        Resources withP = current.plus(p.requests());
        if (Fit.insufficient(pod.requests(), node.allocatable(), withP).isEmpty()) {
          current = withP;
        } else {
          victims.add(p);
        }
      }
      candidates.add(new Candidate(node, victims));
    }
    Candidate best =
        candidates.stream()
            .min(
                Comparator.comparingInt(Candidate::maxPriority)
                    .thenComparingInt(c -> c.victims().size())
                    .thenComparingLong(Candidate::prioritySum)
                    .thenComparing(c -> c.node().name()))
            .orElse(null);
    return new Outcome(best, histogram);
  }
}
