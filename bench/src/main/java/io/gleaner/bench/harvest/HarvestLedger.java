package io.gleaner.bench.harvest;

import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.resources.Resources;
import io.gleaner.sim.accounting.LendableCapacity;
import java.util.ArrayList;
import java.util.List;

/**
 * The harvest accounting of one design's day: what could have been lent (the sandbox's ground
 * truth, {@link LendableCapacity#idleNode}, less the IDLE reserve margin), what Gleaner's pods ran,
 * what evictions threw away, and what online work and Gleaner's pods waited. Hours are simulated.
 * Not thread-safe.
 */
public final class HarvestLedger {
  private final LendableCapacity.Settings truth;
  private final double keep;
  private double lendableCoreHours;
  private double harvestedCoreHours;
  private double wastedCoreHours;
  private long reclaims;
  private long podsEvicted;
  private long podsCompleted;
  private double pendingPodSeconds;
  private long pendingMax;
  private double pendingSamplesSeconds;
  private final List<Double> onlineDelays = new ArrayList<>();

  public HarvestLedger(EffectivePolicy policy) {
    this.truth = LendableCapacity.Settings.from(policy);
    this.keep = 1 - policy.reserveMargin(CapacitySource.IDLE);
  }

  /**
   * One online node over {@code seconds} with constant online requests: lendable when its online
   * pods request at most the idle thresholds, {@code (allocatable − online − headroom) × (1 −
   * margin)}.
   */
  public void node(Resources allocatable, Resources online, long seconds) {
    long millis = LendableCapacity.idleNode(allocatable, online, online, truth).cpuMillis();
    lendableCoreHours += millis / 1000.0 * keep * seconds / 3600.0;
  }

  /** A Gleaner pod that ran {@code seconds} to completion. */
  public void completed(long cpuMillis, long seconds) {
    harvestedCoreHours += cpuMillis / 1000.0 * seconds / 3600.0;
    podsCompleted++;
  }

  /** A Gleaner pod still running at the end of the day, after {@code seconds}. */
  public void stillRunning(long cpuMillis, long seconds) {
    harvestedCoreHours += cpuMillis / 1000.0 * seconds / 3600.0;
  }

  /** A Gleaner pod evicted after running {@code seconds}: harvested, and all of it wasted. */
  public void evicted(long cpuMillis, long seconds) {
    double coreHours = cpuMillis / 1000.0 * seconds / 3600.0;
    harvestedCoreHours += coreHours;
    wastedCoreHours += coreHours;
    podsEvicted++;
  }

  /** One node reclaimed for online work. */
  public void reclaim() {
    reclaims++;
  }

  /** An online pod that waited {@code seconds} for Gleaner's pods to leave. */
  public void onlineDelay(double seconds) {
    onlineDelays.add(seconds);
  }

  /** {@code pods} Gleaner pods Pending in members over {@code seconds}. */
  public void memberPending(long pods, long seconds) {
    pendingPodSeconds += (double) pods * seconds;
    pendingSamplesSeconds += seconds;
    pendingMax = Math.max(pendingMax, pods);
  }

  public double lendableCoreHours() {
    return lendableCoreHours;
  }

  public double harvestedCoreHours() {
    return harvestedCoreHours;
  }

  public double harvestRatio() {
    return lendableCoreHours == 0 ? 0 : harvestedCoreHours / lendableCoreHours;
  }

  public double wastedCoreHours() {
    return wastedCoreHours;
  }

  public long reclaims() {
    return reclaims;
  }

  public long podsEvicted() {
    return podsEvicted;
  }

  public long podsCompleted() {
    return podsCompleted;
  }

  public long onlinePodsDelayed() {
    return onlineDelays.size();
  }

  /** The online delay at quantile {@code q} (0..1, nearest rank), 0 when none waited. */
  public double onlineDelayQuantile(double q) {
    if (onlineDelays.isEmpty()) {
      return 0;
    }
    double[] sorted = onlineDelays.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  public double memberPendingPodHours() {
    return pendingPodSeconds / 3600.0;
  }

  public double memberPendingMean() {
    return pendingSamplesSeconds == 0 ? 0 : pendingPodSeconds / pendingSamplesSeconds;
  }

  public long memberPendingMax() {
    return pendingMax;
  }
}
