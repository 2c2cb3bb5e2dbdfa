package io.gleaner.broker.placement;

import io.gleaner.broker.model.NeverFits;
import io.gleaner.broker.model.NoFit;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.resources.Resources;
import java.util.HashMap;
import java.util.Map;

/**
 * Per known member node (offered now or before), the most it could ever lend: its allocatable less
 * its source's reserve margin, which the broker never lends. With it a refusal becomes final when
 * no known node could ever hold the pod (see {@link NeverFits}). Rebuilt on demand after {@link
 * #invalidate}. Not thread-safe.
 */
final class LendingBounds {
  private Map<String, Resources> bounds;

  /** A node's allocatable or source changed: rebuild before the next use. */
  void invalidate() {
    bounds = null;
  }

  /** {@code why}, made final ({@link NoFit#neverFits}) when no known node could ever hold it. */
  NoFit judge(Resources requests, NoFit why, NodeTable t, PlacementPolicy policy) {
    return NeverFits.check(requests, get(t, policy)).map(why::neverFits).orElse(why);
  }

  private Map<String, Resources> get(NodeTable t, PlacementPolicy policy) {
    if (bounds == null) {
      Map<String, Resources> m = new HashMap<>();
      for (int s = 0; s < t.size; s++) {
        Resources a = t.allocatableOf[s];
        if (a == null) {
          continue;
        }
        CapacitySource source = NodeTable.SOURCES[t.groupOf[s] / 2];
        m.put(t.keys[s].toString(), lendable(a, source, policy.margin(source)));
      }
      bounds = m;
    }
    return bounds;
  }

  /**
   * The most a node of this allocatable could lend through {@code source}: cpu, memory and extended
   * resources less {@code margin} percent (a co-location node's batch resources standing in for cpu
   * and memory), pod slots and GPUs whole.
   */
  static Resources lendable(Resources allocatable, CapacitySource source, int margin) {
    Resources a =
        source == CapacitySource.COLOCATION ? NodeTable.colocationView(allocatable) : allocatable;
    Resources.Builder b = Resources.builder();
    for (Map.Entry<String, Long> e : a.toCanonical().entrySet()) {
      String name = e.getKey();
      long v = e.getValue();
      boolean kept = name.equals(Resources.PODS) || name.equals(Resources.GPU);
      b.putCanonical(name, kept ? v : Math.floorDiv(Math.multiplyExact(v, 100L - margin), 100L));
    }
    return b.build();
  }
}
