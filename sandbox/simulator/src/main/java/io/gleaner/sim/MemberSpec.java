package io.gleaner.sim;

import io.gleaner.meta.crd.MemberRole;
import io.gleaner.sim.scheduler.SimScheduler;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One member cluster of a {@link SimulatedFederation}. Defaults follow the roles: {@code training}
 * members run Volcano and bin-pack, {@code colocation} members publish batch resources, {@code
 * online} members bin-pack (so quiet nights leave whole nodes idle); all have preemption on.
 * Immutable.
 *
 * @param onlineReplicas when &gt; 0, an {@link io.gleaner.sim.load.OnlineWorkload} of at most this
 *     many 1-CPU/2Gi replicas follows the load curve in the member
 */
public record MemberSpec(
    String name,
    Set<MemberRole> roles,
    List<NodeShape> nodes,
    String zone,
    String region,
    boolean preemption,
    SimScheduler.Scoring scoring,
    boolean volcano,
    boolean colocation,
    int onlineReplicas) {

  public MemberSpec {
    Objects.requireNonNull(name, "name");
    if (roles == null || roles.isEmpty()) {
      throw new IllegalArgumentException("member " + name + " needs at least one role");
    }
    roles = Set.copyOf(roles);
    nodes = List.copyOf(nodes);
    Objects.requireNonNull(scoring, "scoring");
  }

  /** A member with defaults derived from {@code roles}. */
  public static MemberSpec of(String name, Set<MemberRole> roles, NodeShape... nodes) {
    boolean training = roles.contains(MemberRole.TRAINING);
    boolean packing = training || roles.contains(MemberRole.ONLINE);
    return new MemberSpec(
        name,
        roles,
        List.of(nodes),
        null,
        null,
        true,
        packing ? SimScheduler.Scoring.MOST_ALLOCATED : SimScheduler.Scoring.LEAST_ALLOCATED,
        training,
        roles.contains(MemberRole.COLOCATION),
        0);
  }

  public static MemberSpec of(String name, MemberRole role, NodeShape... nodes) {
    return of(name, EnumSet.of(role), nodes);
  }

  public MemberSpec withZone(String z, String r) {
    return new MemberSpec(
        name, roles, nodes, z, r, preemption, scoring, volcano, colocation, onlineReplicas);
  }

  public MemberSpec withPreemption(boolean on) {
    return new MemberSpec(
        name, roles, nodes, zone, region, on, scoring, volcano, colocation, onlineReplicas);
  }

  public MemberSpec withScoring(SimScheduler.Scoring s) {
    return new MemberSpec(
        name, roles, nodes, zone, region, preemption, s, volcano, colocation, onlineReplicas);
  }

  public MemberSpec withVolcano(boolean on) {
    return new MemberSpec(
        name, roles, nodes, zone, region, preemption, scoring, on, colocation, onlineReplicas);
  }

  public MemberSpec withColocation(boolean on) {
    return new MemberSpec(
        name, roles, nodes, zone, region, preemption, scoring, volcano, on, onlineReplicas);
  }

  /** Runs an online service of at most {@code maxReplicas} replicas following the load curve. */
  public MemberSpec withOnlineLoad(int maxReplicas) {
    return new MemberSpec(
        name, roles, nodes, zone, region, preemption, scoring, volcano, colocation, maxReplicas);
  }
}
