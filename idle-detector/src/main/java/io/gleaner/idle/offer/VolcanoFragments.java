package io.gleaner.idle.offer;

import io.gleaner.meta.resources.Resources;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Offer math of the VOLCANO source: the fragments of a training cluster that no waiting gang can
 * use.
 *
 * <p>Per node, {@code free = allocatable − requests of the member's own pods}; cordoned and
 * NotReady nodes have no free capacity. Waiting gangs (PodGroups in phase Pending or Inqueue) come
 * first, in scheduling order (priority, then age, then name). For each gang:
 *
 * <ol>
 *   <li>its tasks are taken as {@code minMember} equal shares of {@code spec.minResources} (rounded
 *       up), or one task of {@code minResources} when {@code minMember} is 0;
 *   <li>tasks are placed, largest first, on the node where each fits tightest (best fit, like a
 *       bin-packing gang scheduler); if every task fits, those shares are held on those nodes;
 *   <li>if the gang does not fit as a whole, it is waiting for capacity to be freed, and anything
 *       that is freed must go to it: the tasks that fit are held where they fit, and the remainder
 *       of its need is held out of the cluster's free total, resource by resource, from the nodes
 *       with the most of that resource first.
 * </ol>
 *
 * What is left on each node is its fragment. The rule never offers capacity a waiting gang needs:
 * for each resource, {@code Σ offers ≤ Σ free − Σ gang needs} (clamped at zero). It is a heuristic
 * of where Volcano will put the gang; if Volcano chooses other nodes, the descheduler reclaims
 * (reason PodGroupPending).
 */
public final class VolcanoFragments {
  private VolcanoFragments() {}

  /**
   * @param fragments per node, what may be offered
   * @param held per node, what is kept for waiting gangs
   * @param gangsBlocked gangs that do not fit even into the whole free capacity, {@code
   *     namespace/name}
   */
  public record Plan(
      Map<String, Resources> fragments, Map<String, Resources> held, List<String> gangsBlocked) {
    public Plan {
      fragments = Map.copyOf(fragments);
      held = Map.copyOf(held);
      gangsBlocked = List.copyOf(gangsBlocked);
    }

    public Resources fragment(String node) {
      return fragments.getOrDefault(node, Resources.ZERO);
    }

    /** Summed need of all waiting gangs held out of the offers, over all nodes. */
    public Resources totalHeld() {
      return held.values().stream().reduce(Resources.ZERO, Resources::plus);
    }
  }

  /**
   * Plans the fragments of one training cluster.
   *
   * @param nodes the cluster's nodes
   * @param podsByNode pods bound to each node
   * @param podGroups all PodGroups of the cluster (only waiting ones count)
   */
  public static Plan plan(
      Collection<MemberNodeInfo> nodes,
      Map<String, ? extends Collection<MemberPodInfo>> podsByNode,
      Collection<PodGroupInfo> podGroups) {
    Map<String, Resources> initial = new LinkedHashMap<>();
    nodes.stream()
        .sorted(Comparator.comparing(MemberNodeInfo::name))
        .forEach(
            n -> {
              Resources f = Resources.ZERO;
              if (n.ready() && !n.unschedulable()) {
                f =
                    n.allocatable()
                        .without(Resources.BATCH_CPU)
                        .without(Resources.BATCH_MEMORY)
                        .minus(IdleOffers.memberRequests(podsOf(podsByNode, n.name())))
                        .clampAtZero();
              }
              initial.put(n.name(), f);
            });
    Map<String, Resources> free = initial;
    Map<String, Resources> held = new HashMap<>();
    List<String> blocked = new ArrayList<>();
    List<PodGroupInfo> waiting =
        podGroups.stream()
            .filter(PodGroupInfo::waiting)
            .sorted(
                Comparator.comparingInt(PodGroupInfo::priority)
                    .reversed()
                    .thenComparing(PodGroupInfo::created)
                    .thenComparing(PodGroupInfo::key))
            .toList();
    for (PodGroupInfo gang : waiting) {
      List<Resources> tasks = tasks(gang);
      Map<String, Resources> trial = new LinkedHashMap<>(free);
      Map<String, Resources> trialHeld = new HashMap<>();
      Resources unplaced = Resources.ZERO;
      for (Resources task : tasks) {
        String best = bestFit(trial, task);
        if (best == null) {
          unplaced = unplaced.plus(task);
        } else {
          trial.put(best, trial.get(best).minus(task));
          trialHeld.merge(best, task, Resources::plus);
        }
      }
      if (!unplaced.isZero()) {
        blocked.add(gang.key());
        holdFromTotal(trial, trialHeld, unplaced);
      }
      free = trial;
      trialHeld.forEach((n, r) -> held.merge(n, r, Resources::plus));
    }
    return new Plan(free, held, blocked);
  }

  private static Collection<MemberPodInfo> podsOf(
      Map<String, ? extends Collection<MemberPodInfo>> podsByNode, String node) {
    Collection<MemberPodInfo> pods = podsByNode.get(node);
    return pods == null ? List.of() : pods;
  }

  /** The gang's tasks: minMember equal shares of minResources (rounded up), largest first. */
  static List<Resources> tasks(PodGroupInfo gang) {
    if (gang.minResources().isZero()) {
      return List.of();
    }
    int n = Math.max(1, gang.minMember());
    Map<String, Long> share = new HashMap<>();
    for (String r : gang.minResources().names()) {
      long total = gang.minResources().get(r);
      share.put(r, (total + n - 1) / n);
    }
    Resources one = Resources.ofCanonical(share);
    List<Resources> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(one);
    }
    return out;
  }

  private static String bestFit(Map<String, Resources> free, Resources task) {
    String best = null;
    long bestLeft = Long.MAX_VALUE;
    for (Map.Entry<String, Resources> e : free.entrySet()) {
      if (task.fitsIn(e.getValue())) {
        long left = e.getValue().cpuMillis() - task.cpuMillis();
        if (left < bestLeft) {
          bestLeft = left;
          best = e.getKey();
        }
      }
    }
    return best;
  }

  private static void holdFromTotal(
      Map<String, Resources> free, Map<String, Resources> held, Resources need) {
    Set<String> names = new TreeSet<>(need.names());
    for (String r : names) {
      long left = need.get(r);
      List<String> byMost =
          free.keySet().stream()
              .sorted(
                  Comparator.comparingLong((String n) -> free.get(n).get(r))
                      .reversed()
                      .thenComparing(n -> n))
              .toList();
      for (String node : byMost) {
        if (left <= 0) {
          break;
        }
        long have = free.get(node).get(r);
        if (have <= 0) {
          break;
        }
        long take = Math.min(have, left);
        free.put(node, free.get(node).with(r, have - take));
        held.merge(node, Resources.ZERO.with(r, take), Resources::plus);
        left -= take;
      }
    }
  }
}
