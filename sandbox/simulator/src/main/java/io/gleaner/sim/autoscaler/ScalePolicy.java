package io.gleaner.sim.autoscaler;

import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The decisions of the simulated cluster autoscaler, pure: how many nodes to add for pods that
 * cannot schedule, and which of its nodes have stayed empty long enough to remove. Like
 * cluster-autoscaler it ignores pods below the expendable cutoff, bin-packs the rest onto new nodes
 * of the group's template, counts nodes still being provisioned, and never exceeds the group's
 * maximum.
 */
public final class ScalePolicy {
  private ScalePolicy() {}

  /** cluster-autoscaler's default {@code --expendable-pods-priority-cutoff}. */
  public static final int EXPENDABLE_CUTOFF = -10;

  /**
   * Nodes to add.
   *
   * @param pending requests of the unschedulable pods at or above the cutoff
   * @param template allocatable of one new node
   * @param free the free room of each node of the group that exists (a pod that fits there, e.g. on
   *     a node that has just come up, asks for nothing)
   * @param provisioning nodes asked for and not there yet
   * @param maxNodes the group's maximum size
   */
  public static int nodesToAdd(
      List<Resources> pending,
      Resources template,
      List<Resources> free,
      int provisioning,
      int maxNodes) {
    List<Resources> sorted = new ArrayList<>();
    for (Resources r : pending) {
      if (r.fitsIn(template)) {
        sorted.add(r);
      }
    }
    sorted.sort(Comparator.comparingLong(Resources::cpuMillis).reversed());
    List<Resources> bins = new ArrayList<>(free);
    for (int i = 0; i < provisioning; i++) {
      bins.add(template);
    }
    int seeded = bins.size();
    for (Resources r : sorted) {
      boolean placed = false;
      for (int i = 0; i < bins.size() && !placed; i++) {
        if (r.fitsIn(bins.get(i))) {
          bins.set(i, bins.get(i).minus(r));
          placed = true;
        }
      }
      if (!placed) {
        bins.add(template.minus(r));
      }
    }
    int wanted = bins.size() - seeded;
    return Math.max(0, Math.min(wanted, maxNodes - free.size() - provisioning));
  }

  /** The nodes empty since at least {@code idleAfter} before {@code now}. */
  public static List<String> nodesToRemove(
      Map<String, Instant> emptySince, Instant now, Duration idleAfter) {
    List<String> out = new ArrayList<>();
    emptySince.forEach(
        (node, since) -> {
          if (!since.plus(idleAfter).isAfter(now)) {
            out.add(node);
          }
        });
    out.sort(null);
    return out;
  }
}
