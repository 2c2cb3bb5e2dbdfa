package io.gleaner.sandbox.chaos;

import java.util.List;
import java.util.Map;

/**
 * The outcome of one chaos run, the {@code chaos} object of {@code gleaner sandbox --chaos}'s last
 * JSON line. Times are real seconds from the fault's start; -1 when it did not happen (or does not
 * apply to the scenario).
 *
 * @param scenario the scenario's command-line name
 * @param target the replica (e.g. {@code virtual-kubelet-1}) or member cluster hit
 * @param faultAtSimulated the simulated instant the fault began
 * @param faultSeconds how long the fault lasted (0 for a kill: the restart is the recovery's)
 * @param leaderBackSeconds until a replica of the service acted as leader again (any replica ready,
 *     for the broker, which elects none)
 * @param leaderAfter the replica that acted as leader then (empty when none did, or the scenario
 *     hits no service)
 * @param processBackSeconds until the process hit was running and ready again
 * @param firstPlacementSeconds until the first placement after the fault: a metadata pod got its
 *     first member pod (for a virtual-kubelet fault: after another replica led; for a member
 *     outage: in that member, after it answered again)
 * @param offersResumedSeconds for {@code kill-idle-detector}: until the broker took an offer after
 *     the restarted detector led (-1 for other scenarios); it replaces the first placement in the
 *     recovery, which waits for room
 * @param recoverySeconds the largest of the three that apply: the federation is back to steady
 *     state when the service leads again, the process hit is back and new work is placed
 * @param recovered whether all of that happened within the run
 * @param invariantViolations violations by kind from the run's start (all must be 0); a run that
 *     follows another on the same sandbox does not count the earlier one's
 * @param podsLost metadata pods that failed for a reason other than the designed ones ({@code
 *     Reclaimed}, {@code NoMemberFit} and {@code GangNotSchedulable}: waited for room past {@code
 *     placement.pendingTimeout}, {@code MemberRemoved}); those already failed when the run started
 *     are not counted
 * @param lostPods the first of them, with their reason
 * @param duplicates metadata pods with member pods in more than one member
 * @param overCommits member nodes over-committed by Gleaner
 * @param stuckTerminating metadata pods Terminating for more than a minute at the end
 * @param orphans member pods, not Terminating, still there at the end though their metadata pod had
 *     been gone for longer than the run's orphan grace
 * @param orphanedPods the first of them, as {@code cluster/namespace/name}
 * @param failedByReason metadata pods that failed, by reason
 * @param writesWhileLeading for a pause: writes the replica made while it led, before the pause
 *     (the audit logs attribute writes to replicas; -1 for other scenarios)
 * @param writesAfterLostLeadership for a pause: writes the paused replica made once resumed, by
 *     {@code verb resource} (from the API servers' audit logs); must be empty
 * @param placementsBefore member pods created before the fault
 * @param placementsAfter member pods created from the fault to the end
 * @param listsAfterFault for a ZooKeeper fault: list requests Gleaner sent to the API servers from
 *     the fault to recovery (what re-lists cost; -1 for other scenarios)
 * @param listsPerSecondBefore the rate of those requests during the warm-up before the fault, to
 *     compare with (-1 for other scenarios)
 * @param zookeeperRestarts for {@code zookeeper-rolling-restart}: each server's restart, in the
 *     order made (empty for other scenarios)
 */
public record ChaosReport(
    String scenario,
    String target,
    String faultAtSimulated,
    double faultSeconds,
    double leaderBackSeconds,
    String leaderAfter,
    double processBackSeconds,
    double firstPlacementSeconds,
    double offersResumedSeconds,
    double recoverySeconds,
    boolean recovered,
    Map<String, Long> invariantViolations,
    long podsLost,
    List<String> lostPods,
    long duplicates,
    long overCommits,
    long stuckTerminating,
    long orphans,
    List<String> orphanedPods,
    Map<String, Long> failedByReason,
    long writesWhileLeading,
    Map<String, Long> writesAfterLostLeadership,
    long placementsBefore,
    long placementsAfter,
    long listsAfterFault,
    double listsPerSecondBefore,
    List<ZooKeeperRestart> zookeeperRestarts) {

  /**
   * Whether the promise held: recovered, no invariant violated, nothing lost, duplicated, stuck or
   * orphaned, and no write from a replica after it lost leadership.
   */
  public boolean promiseKept() {
    return recovered
        && invariantViolations.values().stream().allMatch(n -> n == 0)
        && podsLost == 0
        && duplicates == 0
        && overCommits == 0
        && stuckTerminating == 0
        && orphans == 0
        && writesAfterLostLeadership.isEmpty();
  }
}
