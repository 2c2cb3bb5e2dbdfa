package io.gleaner.sandbox.scenario;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * What a sandbox run harvested against what it could have harvested, and what it cost. Maps are
 * keyed by source ({@code IDLE}, {@code VOLCANO}, {@code COLOCATION}, {@code ELASTIC}) plus {@code
 * TOTAL}; hours are on the simulated clock, integrated at every sample of the run.
 *
 * @param lendableCoreHours the ground truth: CPU that online work left free on nodes eligible for
 *     each source, less the policy's margins and node headroom ({@link
 *     io.gleaner.sim.accounting.LendableCapacity}), as seen by the clusters' APIs
 * @param harvestedCoreHours CPU requested by Gleaner member pods while Running
 * @param harvestRatio harvested / lendable, only where something was lendable
 * @param lendableGpuHours GPUs lendable, as {@code lendableCoreHours}
 * @param harvestedGpuHours GPUs requested by Gleaner member pods while Running
 * @param wastedCoreHours CPU × time Running of Gleaner member pods that a reclaim evicted before
 *     they completed (their work is lost)
 * @param wastedGpuHours the same for GPUs
 * @param reclaims reclaim events the broker reported
 * @param reclaimsPer100HarvestedCoreHours reclaims / total harvested core-hours × 100
 * @param onlinePodsDelayed online pods Unschedulable in a member while Gleaner pods were in that
 *     member, that then ran (Gleaner's own scale-up placeholders are not online pods)
 * @param onlineDelaySecondsP50 their time from Unschedulable to Running (simulated seconds), p50
 * @param onlineDelaySecondsP99 the same, p99
 * @param onlineDelaySecondsMax the same, the longest
 * @param onlinePodsNeverRan online pods Gleaner kept from running: pods that, while Unschedulable,
 *     were at some sample held back by Gleaner's pods (on some node of their member they would have
 *     fit without Gleaner's pods and did not with them, by the simulator's scheduler model: the
 *     criterion of the invariant {@code online_pod_held_back}), and had not run by the end of the
 *     run (or were deleted before). Not counted: pods no reclaim could have helped (no node would
 *     take them even without Gleaner's pods: online work fills the nodes, or no node satisfies
 *     their selector, affinity or taints), and Gleaner's own scale-up placeholders in elastic
 *     members, Unschedulable by design and deleted unrun
 */
public record HarvestAccounting(
    Map<String, Double> lendableCoreHours,
    Map<String, Double> harvestedCoreHours,
    Map<String, Double> harvestRatio,
    Map<String, Double> lendableGpuHours,
    Map<String, Double> harvestedGpuHours,
    double wastedCoreHours,
    double wastedGpuHours,
    long reclaims,
    @JsonProperty("reclaims_per_100_harvested_core_hours") double reclaimsPer100HarvestedCoreHours,
    long onlinePodsDelayed,
    double onlineDelaySecondsP50,
    double onlineDelaySecondsP99,
    double onlineDelaySecondsMax,
    long onlinePodsNeverRan) {
  /** The key of the sum over sources. */
  public static final String TOTAL = "TOTAL";
}
