package io.gleaner.sandbox.invariants;

import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One look at the federation: the metadata pods on the virtual node, Gleaner's member pods, the
 * member nodes and the broker's placements.
 *
 * @param metaPods by UID, the pods bound to the virtual node that still exist
 * @param memberPods Gleaner's member pods (those of this installation), terminating ones included
 * @param nodes by {@code cluster/node}: allocatable and the requests of every pod occupying it
 * @param placements by pod UID, the broker's reservations
 * @param waiting the members' own pods that are unschedulable (default scheduler only)
 * @param scheduledAt by {@code cluster:uid}, when each bound pod of the members' own was scheduled
 *     (its {@code PodScheduled=True} transition, simulated time)
 * @param simulatedNow the simulated time of this look (null when unknown)
 * @param metaRead when the metadata pods were listed (real time; null when unknown)
 * @param memberReads by member cluster, when its pods were listed (real time; absent when unknown)
 */
public record FederationSnapshot(
    Map<String, MetaPod> metaPods,
    List<MemberPod> memberPods,
    Map<String, Node> nodes,
    Map<String, Reservation> placements,
    List<WaitingPod> waiting,
    Map<String, Instant> scheduledAt,
    Instant simulatedNow,
    Read metaRead,
    Map<String, Read> memberReads) {

  /** A look whose list reads are not timed. */
  public FederationSnapshot(
      Map<String, MetaPod> metaPods,
      List<MemberPod> memberPods,
      Map<String, Node> nodes,
      Map<String, Reservation> placements,
      List<WaitingPod> waiting,
      Map<String, Instant> scheduledAt,
      Instant simulatedNow) {
    this(
        metaPods,
        memberPods,
        nodes,
        placements,
        waiting,
        scheduledAt,
        simulatedNow,
        null,
        Map.of());
  }

  /**
   * When one list request ran (real time): the state it returned held at some instant between
   * {@code sent} and {@code received}. Under load these spans and the gaps between the reads of one
   * look are seconds long, so two reads of one look are not of one moment.
   */
  public record Read(Instant sent, Instant received) {}

  /** A look without the members' own pods. */
  public FederationSnapshot(
      Map<String, MetaPod> metaPods,
      List<MemberPod> memberPods,
      Map<String, Node> nodes,
      Map<String, Reservation> placements) {
    this(metaPods, memberPods, nodes, placements, List.of(), Map.of(), null);
  }

  /**
   * A member's own pod that the member's scheduler found no room for.
   *
   * @param id {@code cluster:uid}
   * @param key {@code namespace/name}
   * @param unschedulableSince its {@code PodScheduled=False/Unschedulable} transition (simulated)
   * @param gleanerNodes nodes where it would fit if Gleaner's pods there were gone, and does not
   *     fit with them: Gleaner's pods stand in its way (empty: it does not wait for Gleaner)
   * @param victimGraceSeconds the longest termination grace period of Gleaner's pods on those nodes
   */
  public record WaitingPod(
      String id,
      String key,
      Instant unschedulableSince,
      List<String> gleanerNodes,
      long victimGraceSeconds) {}

  /** A metadata pod: its key and phase. */
  public record MetaPod(String uid, String key, String phase) {}

  /**
   * A member pod of Gleaner's.
   *
   * @param metaUid the metadata pod it runs for
   * @param node {@code cluster/node}, or null while unbound
   * @param terminating has a deletion timestamp
   * @param gang the gang it belongs to (annotation {@code gleaner.io/gang}, federation-wide), or
   *     null
   * @param gangMinMember the gang's minimum as placed (annotation {@code
   *     gleaner.io/gang-min-member})
   * @param refused why the member will not run it where it is pinned (its scheduler's {@code
   *     Unschedulable} condition or a kubelet's {@code OutOf*} rejection), null when it has not
   *     refused it
   */
  public record MemberPod(
      String cluster,
      String key,
      String metaUid,
      String node,
      String phase,
      boolean terminating,
      String gang,
      int gangMinMember,
      String refused) {

    /** A pod of no gang. */
    public MemberPod(
        String cluster,
        String key,
        String metaUid,
        String node,
        String phase,
        boolean terminating) {
      this(cluster, key, metaUid, node, phase, terminating, null, 0, null);
    }

    /** A pod of a gang, not refused. */
    public MemberPod(
        String cluster,
        String key,
        String metaUid,
        String node,
        String phase,
        boolean terminating,
        String gang,
        int gangMinMember) {
      this(cluster, key, metaUid, node, phase, terminating, gang, gangMinMember, null);
    }

    /** Running and not being deleted. */
    boolean running() {
      return "Running".equals(phase) && !terminating;
    }
  }

  /**
   * A member node.
   *
   * @param occupied requests of every pod bound to it and not terminal, Gleaner's and the member's
   * @param gleanerPodUids metadata UIDs of the Gleaner pods occupying it
   */
  public record Node(
      Resources allocatable, Resources occupied, java.util.Set<String> gleanerPodUids) {}

  /**
   * A reservation on {@code cluster/node}, as the ledger's second read of the look gives it.
   *
   * @param reservedAt when the broker reserved it (simulated time; null when unknown)
   * @param heldThroughLook the ledger's first read, before the pods and nodes were read, had it on
   *     the same node too: it held that room while they were read. One that is not was reserved or
   *     given back meanwhile, so the pods read may already stand in its room, or not stand there
   *     yet.
   */
  public record Reservation(
      String podUid,
      String node,
      Resources reserved,
      boolean confirmed,
      Instant reservedAt,
      boolean heldThroughLook) {
    public Reservation(String podUid, String node, Resources reserved, boolean confirmed) {
      this(podUid, node, reserved, confirmed, null, true);
    }
  }
}
