package io.gleaner.broker.model;

/**
 * The answer to a Place: a placement (new or, for a pod already placed, the existing one) or a
 * {@link NoFit}.
 */
public sealed interface PlaceOutcome {
  /**
   * A reservation on a node; {@code existing} when the pod was already placed (idempotent Place).
   */
  record Placed(Placement placement, boolean existing) implements PlaceOutcome {}

  /** No node takes the pod. */
  record Unplaceable(NoFit noFit) implements PlaceOutcome {}
}
