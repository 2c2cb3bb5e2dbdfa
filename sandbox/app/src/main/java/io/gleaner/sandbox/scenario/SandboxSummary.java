package io.gleaner.sandbox.scenario;

import java.util.Map;

/**
 * The outcome of a sandbox run, written by {@code gleaner sandbox --summary-json}.
 *
 * @param simulatedSeconds simulated time the run covered
 * @param podsByClass per class: submitted, placed, running, completed (metadata pods)
 * @param placedBySource member pods created per source kind (IDLE, VOLCANO, COLOCATION, ELASTIC),
 *     cumulative
 * @param podsReclaimed metadata pods that failed with reason {@code Reclaimed}
 * @param memberPodsPendingUnschedulable Gleaner member pods Pending for lack of resources at the
 *     end of the run
 * @param memberPodsPendingUnschedulableMax the most seen at any sample during the run
 * @param reclaims reclaim events observed
 * @param reclaimLatencyMsP50 online pod Unschedulable → all evictions issued, p50 (wall
 *     milliseconds)
 * @param reclaimLatencyMsP99 the same, p99
 * @param coreHoursBySource CPU core-hours of Gleaner member pods Running, per source, on the
 *     simulated clock
 * @param onlinePodsDelayed online member pods that were Unschedulable while Gleaner pods were in
 *     their member, before they ran (the definition of {@link HarvestAccounting#onlinePodsDelayed})
 * @param onlineDelaySecondsP50 their simulated delay until Running, p50
 * @param onlineDelaySecondsMax the longest such delay
 * @param harvest what was harvested against what could have been, and what it cost
 */
public record SandboxSummary(
    long simulatedSeconds,
    Map<String, Map<String, Long>> podsByClass,
    Map<String, Long> placedBySource,
    long podsReclaimed,
    long memberPodsPendingUnschedulable,
    long memberPodsPendingUnschedulableMax,
    long reclaims,
    double reclaimLatencyMsP50,
    double reclaimLatencyMsP99,
    Map<String, Double> coreHoursBySource,
    long onlinePodsDelayed,
    double onlineDelaySecondsP50,
    double onlineDelaySecondsMax,
    HarvestAccounting harvest,
    Map<String, Long> invariantViolations) {

  /** This summary with the invariant violations counted by kind. */
  public SandboxSummary withInvariantViolations(Map<String, Long> violations) {
    return new SandboxSummary(
        simulatedSeconds,
        podsByClass,
        placedBySource,
        podsReclaimed,
        memberPodsPendingUnschedulable,
        memberPodsPendingUnschedulableMax,
        reclaims,
        reclaimLatencyMsP50,
        reclaimLatencyMsP99,
        coreHoursBySource,
        onlinePodsDelayed,
        onlineDelaySecondsP50,
        onlineDelaySecondsMax,
        harvest,
        violations);
  }

  /** This summary with another count of reclaimed metadata pods. */
  public SandboxSummary withPodsReclaimed(long reclaimed) {
    return new SandboxSummary(
        simulatedSeconds,
        podsByClass,
        placedBySource,
        reclaimed,
        memberPodsPendingUnschedulable,
        memberPodsPendingUnschedulableMax,
        reclaims,
        reclaimLatencyMsP50,
        reclaimLatencyMsP99,
        coreHoursBySource,
        onlinePodsDelayed,
        onlineDelaySecondsP50,
        onlineDelaySecondsMax,
        harvest,
        invariantViolations);
  }
}
