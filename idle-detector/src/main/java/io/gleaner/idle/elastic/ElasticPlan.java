package io.gleaner.idle.elastic;

import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the ELASTIC source offers and asks for (ARCHITECTURE.md §4 "Elastic"), a pure function of
 * the elastic members' real nodes, the near-line pods waiting for room in the federation and the
 * budget.
 *
 * <p>Only nodes that exist are offered, and only while near-line pods wait (there is no room for
 * them elsewhere): an offer is the node's envelope (allocatable − the member's own requests −
 * headroom), and all offers together stay within {@code maxCores}. Waiting pods that no offered
 * node has free room for are asked for with scale-up placeholders, sized like those pods, as long
 * as offers and placeholders together stay within {@code maxCores}; the member's autoscaler adds
 * nodes for them after its lead time. Once the day's core-hours are spent, or nothing waits,
 * nothing is offered or asked for, so the autoscaler removes nodes as they empty.
 */
public final class ElasticPlan {
  private ElasticPlan() {}

  /**
   * One ready, schedulable node of an elastic member.
   *
   * @param envelope allocatable − the member's own requests − headroom (clamped at zero), the most
   *     it may lend; placeholders are not the member's own requests
   * @param gleanerHeld the requests of Gleaner's pods already running there
   */
  public record Node(String cluster, String name, Resources envelope, Resources gleanerHeld) {
    public Node {
      Objects.requireNonNull(cluster, "cluster");
      Objects.requireNonNull(name, "name");
      envelope = envelope == null ? Resources.ZERO : envelope.clampAtZero();
      gleanerHeld = gleanerHeld == null ? Resources.ZERO : gleanerHeld.clampAtZero();
    }
  }

  /** Why nothing (or something) is offered, for logs and status. */
  public enum Reason {
    OFF,
    BUDGET_SPENT,
    NO_DEMAND,
    PEAK
  }

  /**
   * @param offers usable capacity per {@code cluster/node}; nodes absent offer nothing
   * @param scaleUp per cluster, the shapes of the placeholders wanted there
   */
  public record Plan(
      Map<String, Resources> offers, Map<String, List<Resources>> scaleUp, Reason reason) {
    public Plan {
      offers = Map.copyOf(offers);
      Map<String, List<Resources>> copy = new LinkedHashMap<>();
      scaleUp.forEach((k, v) -> copy.put(k, List.copyOf(v)));
      scaleUp = copy;
    }

    public static Plan none(Reason reason) {
      return new Plan(Map.of(), Map.of(), reason);
    }

    public Resources offer(String cluster, String node) {
      return offers.get(cluster + "/" + node);
    }

    public List<Resources> scaleUp(String cluster) {
      return scaleUp.getOrDefault(cluster, List.of());
    }

    /** CPU millicores offered and asked for, together. */
    public long cpuMillis() {
      long sum = 0;
      for (Resources r : offers.values()) {
        sum += r.cpuMillis();
      }
      for (List<Resources> l : scaleUp.values()) {
        for (Resources r : l) {
          sum += r.cpuMillis();
        }
      }
      return sum;
    }
  }

  /** What every node has: a waiting pod asking for anything else needs a node that has it. */
  private static final java.util.Set<String> BASIC =
      java.util.Set.of(Resources.CPU, Resources.MEMORY, Resources.PODS, "ephemeral-storage");

  /**
   * Whether a new node may hold the shape: it asks only for what every node has, or for what some
   * node of the elastic members has (a GPU pod is not asked for from a CPU-only node group).
   */
  static boolean askable(Resources shape, List<Node> nodes) {
    for (String r : shape.names()) {
      if (shape.get(r) > 0 && !BASIC.contains(r)) {
        boolean some = false;
        for (Node n : nodes) {
          some |= n.envelope().get(r) > 0 || n.gleanerHeld().get(r) > 0;
        }
        if (!some) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The plan.
   *
   * @param budget the GleanerPolicy's elastic budget
   * @param spentCoreHours core-hours Gleaner's pods held on elastic members today
   * @param clusters the elastic members, in the order scale-up is asked of them (the first gets the
   *     placeholders)
   * @param nodes their ready, schedulable nodes
   * @param waiting the requests of the near-line pods waiting for room
   */
  public static Plan plan(
      EffectivePolicy.Elastic budget,
      double spentCoreHours,
      List<String> clusters,
      List<Node> nodes,
      List<Resources> waiting) {
    if (!budget.enabled() || clusters.isEmpty()) {
      return Plan.none(Reason.OFF);
    }
    if (spentCoreHours >= budget.coreHoursPerDay()) {
      return Plan.none(Reason.BUDGET_SPENT);
    }
    if (waiting.isEmpty()) {
      return Plan.none(Reason.NO_DEMAND);
    }
    long capMillis = budget.maxCores() * 1000L;
    List<Node> sorted = new ArrayList<>(nodes);
    sorted.sort(Comparator.comparing(Node::cluster).thenComparing(Node::name));
    Map<String, Resources> offers = new HashMap<>();
    List<Resources> free = new ArrayList<>();
    for (Node n : sorted) {
      long cpu = Math.min(n.envelope().cpuMillis(), capMillis);
      if (cpu <= 0) {
        continue;
      }
      Resources offer = n.envelope().with(Resources.CPU, cpu);
      capMillis -= cpu;
      offers.put(n.cluster() + "/" + n.name(), offer);
      free.add(offer.minus(n.gleanerHeld()).clampAtZero());
    }
    List<Resources> shapes = new ArrayList<>(waiting);
    shapes.sort(Comparator.comparingLong(Resources::cpuMillis).reversed());
    List<Resources> scaleUp = new ArrayList<>();
    for (Resources shape : shapes) {
      boolean fits = false;
      for (int i = 0; i < free.size() && !fits; i++) {
        if (shape.fitsIn(free.get(i))) {
          free.set(i, free.get(i).minus(shape));
          fits = true;
        }
      }
      if (!fits && askable(shape, nodes) && shape.cpuMillis() <= capMillis) {
        scaleUp.add(shape);
        capMillis -= shape.cpuMillis();
      }
    }
    return new Plan(
        offers, scaleUp.isEmpty() ? Map.of() : Map.of(clusters.get(0), scaleUp), Reason.PEAK);
  }
}
