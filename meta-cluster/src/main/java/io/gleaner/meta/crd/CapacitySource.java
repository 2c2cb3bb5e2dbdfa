package io.gleaner.meta.crd;

/**
 * The kinds of spare capacity Gleaner lends (ARCHITECTURE.md §4, "Offer"). The constant names are
 * the wire form: they appear as keys in {@code GleanerPolicy.spec.reserveMargins} and {@code
 * MemberCluster.status.offeredCapacity.sources}.
 */
public enum CapacitySource {
  /** Online nodes that carried almost no online work for {@code idleAfter}. */
  IDLE,
  /** Leftover capacity on Volcano training nodes that no waiting gang can use. */
  VOLCANO,
  /** Koordinator-style {@code kubernetes.io/batch-cpu} / {@code batch-memory}. */
  COLOCATION,
  /** Serverless / elastic capacity, used by near-line pods at peak only. */
  ELASTIC
}
