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
 * @param harvestFunnel per source, core-hours at each stage from the ground truth to what ran:
 *     {@code lendable} (the ground truth), {@code lendable_on_pooled_nodes} (the part on nodes
 *     Gleaner had labelled {@code gleaner.io/pool}: lent idle nodes, nodes with a Volcano or
 *     co-location offer), {@code offered} (the idle-detector's offers in the broker's ledger),
 *     {@code offered_after_margin} (what the broker may lend of them), {@code placed} (reserved or
 *     confirmed in the ledger), {@code harvested}; and the GPU-hours of some of them. For online
 *     members, the ground truth on nodes not lent, by why: cooling down after a return, online CPU
 *     usage above the threshold, other (the {@code idleAfter} wait). Under {@code TOTAL}: what the
 *     virtual node advertised, and the CPU of metadata pods bound to it but not on a member node
 * @param backlog the pods that waited for the virtual node at each sample
 * @param teams how the policy's teams shared the harvest against their weights, while every team
 *     had pods waiting for room and over the whole run (absent when the run has no teams)
 * @param invariantViolations invariant violations counted by kind
 * @param gangsRunWhole gangs submitted to the metadata cluster (placed through the virtual node)
 *     that the invariant checks saw with at least their minMember pods running or succeeded
 * @param gangsReclaimedWhole gangs submitted to the metadata cluster whose metadata pods were all
 *     seen {@code Failed} with reason {@code Reclaimed} within {@link
 *     SummaryCollector#GANG_RECLAIM_SPAN} of the first ({@link GangReclaims})
 * @param gangsReclaimedInPart such gangs with a pod reclaimed and another that was not within that
 *     span (it ran on, ended otherwise, or was reclaimed later)
 * @param elastic what the elastic members lent against the budget (absent without them)
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
    Map<String, Map<String, Double>> harvestFunnel,
    Backlog backlog,
    TeamHarvest teams,
    Map<String, Long> invariantViolations,
    long gangsRunWhole,
    long gangsReclaimedWhole,
    long gangsReclaimedInPart,
    ElasticUse elastic) {

  /**
   * What the elastic members lent against the policy's budget (absent without elastic members).
   *
   * @param members elastic members
   * @param maxCores the budget's cores at once
   * @param coreHoursPerDay the budget's core-hours per day
   * @param coreHours CPU core-hours of Gleaner member pods Running on elastic nodes (as in {@code
   *     coreHoursBySource})
   * @param placements member pods placed on elastic nodes
   * @param nodesAdded nodes the simulated autoscalers added
   * @param nodesRemoved nodes they removed after their idle period
   * @param nodesAtEnd elastic nodes at the end of the run
   */
  public record ElasticUse(
      int members,
      int maxCores,
      double coreHoursPerDay,
      double coreHours,
      long placements,
      int nodesAdded,
      int nodesRemoved,
      int nodesAtEnd) {}

  /** This summary with what the elastic members lent. */
  public SandboxSummary withElastic(ElasticUse use) {
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
        harvestFunnel,
        backlog,
        teams,
        invariantViolations,
        gangsRunWhole,
        gangsReclaimedWhole,
        gangsReclaimedInPart,
        use);
  }

  /**
   * The metadata pods that waited for room (Pending, not yet on a member node: no host IP), by kind
   * ({@code OFFLINE}, {@code NEAR_LINE}, {@code GPU}, and {@code TOTAL}), at every sample of the
   * run: the demand the teams kept queued beyond what was lent.
   *
   * @param samples how many samples were taken
   * @param samplesWithAKindDry samples at which some kind had no pod waiting (then the ratio may
   *     measure demand, not Gleaner)
   * @param minWaiting the fewest pods waiting at any sample, per kind
   * @param lastWaiting pods waiting at the last sample, per kind
   */
  public record Backlog(
      long samples,
      long samplesWithAKindDry,
      Map<String, Long> minWaiting,
      Map<String, Long> lastWaiting) {}

  /** This summary with the invariant violations counted by kind and the gangs that ran whole. */
  public SandboxSummary withInvariantViolations(Map<String, Long> violations, long gangsWhole) {
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
        harvestFunnel,
        backlog,
        teams,
        violations,
        gangsWhole,
        gangsReclaimedWhole,
        gangsReclaimedInPart,
        elastic);
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
        harvestFunnel,
        backlog,
        teams,
        invariantViolations,
        gangsRunWhole,
        gangsReclaimedWhole,
        gangsReclaimedInPart,
        elastic);
  }
}
