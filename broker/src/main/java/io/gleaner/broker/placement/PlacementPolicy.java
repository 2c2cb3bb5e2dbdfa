package io.gleaner.broker.placement;

import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.crd.EffectivePolicy;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How the broker places: the reserve margin each source keeps free on its nodes, the near-line
 * reserve that offline pods may not take (both from the GleanerPolicy), the source preference per
 * class, and how many equally good candidates the best-fit search compares before it stops.
 *
 * <p>Margins apply to divisible resources (cpu, memory, extended resources); pod slots and GPU
 * devices are indivisible and are lent whole.
 *
 * @param marginPercent per source, 0..99; a missing source has margin 0
 * @param nearLineReservePercent share (0..100) of the healthy non-elastic total that offline pods
 *     may not take
 * @param bestFitCandidates how many feasible nodes of the best bucket to compare (at least 1)
 */
public record PlacementPolicy(
    Map<CapacitySource, Integer> marginPercent,
    int nearLineReservePercent,
    List<CapacitySource> nearLineOrder,
    List<CapacitySource> offlineOrder,
    int bestFitCandidates) {

  public PlacementPolicy {
    Objects.requireNonNull(marginPercent, "marginPercent");
    EnumMap<CapacitySource, Integer> m = new EnumMap<>(CapacitySource.class);
    marginPercent.forEach(
        (source, pct) -> {
          if (pct == null || pct < 0 || pct > 99) {
            throw new IllegalArgumentException(
                "reserveMargins." + source + " must be within 0..99 percent, got " + pct);
          }
          m.put(source, pct);
        });
    marginPercent = Map.copyOf(m);
    if (nearLineReservePercent < 0 || nearLineReservePercent > 100) {
      throw new IllegalArgumentException(
          "nearLineReservePercent must be within 0..100, got " + nearLineReservePercent);
    }
    nearLineOrder = List.copyOf(nearLineOrder);
    offlineOrder = List.copyOf(offlineOrder);
    if (offlineOrder.contains(CapacitySource.ELASTIC)) {
      throw new IllegalArgumentException(
          "offlineOrder must not contain ELASTIC: elastic capacity is near-line only");
    }
    if (nearLineOrder.size() != Set.copyOf(nearLineOrder).size()
        || offlineOrder.size() != Set.copyOf(offlineOrder).size()) {
      throw new IllegalArgumentException("source preference lists must not repeat a source");
    }
    if (bestFitCandidates < 1) {
      throw new IllegalArgumentException(
          "bestFitCandidates must be at least 1, got " + bestFitCandidates);
    }
  }

  /**
   * The built-in GleanerPolicy's margins and near-line reserve ({@link EffectivePolicy#DEFAULTS}),
   * Gleaner's source preference and 64 best-fit candidates.
   */
  public static PlacementPolicy defaults() {
    return from(EffectivePolicy.DEFAULTS);
  }

  /**
   * The reserve margins and near-line reserve of a {@code GleanerPolicy} (fractions rounded to
   * whole percent) with Gleaner's source preference, so operators tune placement with the CRD.
   */
  public static PlacementPolicy from(EffectivePolicy policy) {
    EnumMap<CapacitySource, Integer> margins = new EnumMap<>(CapacitySource.class);
    for (CapacitySource source : CapacitySource.values()) {
      margins.put(source, (int) Math.round(policy.reserveMargin(source) * 100));
    }
    return new PlacementPolicy(
        margins,
        (int) Math.round(policy.nearLineReserve() * 100),
        List.of(
            CapacitySource.IDLE,
            CapacitySource.COLOCATION,
            CapacitySource.VOLCANO,
            CapacitySource.ELASTIC),
        List.of(CapacitySource.IDLE, CapacitySource.COLOCATION, CapacitySource.VOLCANO),
        64);
  }

  /**
   * This policy's source preference and best-fit search with the margins and near-line reserve of
   * {@code policy}: what a GleanerPolicy change sets.
   */
  public PlacementPolicy withMarginsOf(EffectivePolicy policy) {
    PlacementPolicy margins = from(policy);
    return new PlacementPolicy(
        margins.marginPercent,
        margins.nearLineReservePercent,
        nearLineOrder,
        offlineOrder,
        bestFitCandidates);
  }

  /**
   * The same policy with every margin and the near-line reserve set to zero (e.g. to compare with a
   * paper).
   */
  public PlacementPolicy withoutMargins() {
    return new PlacementPolicy(Map.of(), 0, nearLineOrder, offlineOrder, bestFitCandidates);
  }

  public PlacementPolicy withMargin(CapacitySource source, int percent) {
    EnumMap<CapacitySource, Integer> m = new EnumMap<>(CapacitySource.class);
    m.putAll(marginPercent);
    m.put(source, percent);
    return new PlacementPolicy(
        m, nearLineReservePercent, nearLineOrder, offlineOrder, bestFitCandidates);
  }

  public PlacementPolicy withNearLineReserve(int percent) {
    return new PlacementPolicy(
        marginPercent, percent, nearLineOrder, offlineOrder, bestFitCandidates);
  }

  /** The same policy comparing up to {@code n} feasible nodes per search. */
  public PlacementPolicy withBestFitCandidates(int n) {
    return new PlacementPolicy(
        marginPercent, nearLineReservePercent, nearLineOrder, offlineOrder, n);
  }

  public int margin(CapacitySource source) {
    return marginPercent.getOrDefault(source, 0);
  }

  /** The sources a class may use, most preferred first. */
  public List<CapacitySource> order(WorkloadClass cls) {
    return cls == WorkloadClass.NEAR_LINE ? nearLineOrder : offlineOrder;
  }

  public boolean allows(WorkloadClass cls, CapacitySource source) {
    return order(cls).contains(source);
  }
}
