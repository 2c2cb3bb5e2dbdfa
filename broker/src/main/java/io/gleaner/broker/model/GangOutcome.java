package io.gleaner.broker.model;

import java.util.List;

/**
 * The answer to a PlaceGang: a reservation for every pod of the request, all in one member cluster,
 * or a {@link NoFit} and no reservation at all.
 */
public sealed interface GangOutcome {
  /**
   * Every pod reserved, in the order of the request; {@code existing} when all already were
   * (idempotent PlaceGang).
   */
  record Placed(List<Placement> placements, boolean existing) implements GangOutcome {
    public Placed {
      placements = List.copyOf(placements);
    }
  }

  /** No member cluster holds the whole gang: nothing was reserved. */
  record Unplaceable(NoFit noFit) implements GangOutcome {}
}
