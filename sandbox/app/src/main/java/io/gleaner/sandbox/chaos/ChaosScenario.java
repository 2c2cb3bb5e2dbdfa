package io.gleaner.sandbox.chaos;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** One fault injected into a running sandbox, named as {@code gleaner sandbox --chaos} takes it. */
public enum ChaosScenario {
  /** {@code kill -9} of the virtual-kubelet replica that leads; the standby takes over. */
  KILL_VIRTUAL_KUBELET_LEADER("virtual-kubelet", Fault.KILL, true),
  /** {@code kill -9} of a broker replica. */
  KILL_BROKER("broker", Fault.KILL, false),
  /** {@code kill -9} of the descheduler that leads. */
  KILL_DESCHEDULER("descheduler", Fault.KILL, true),
  /** {@code kill -9} of the idle-detector that leads. */
  KILL_IDLE_DETECTOR("idle-detector", Fault.KILL, true),
  /**
   * SIGSTOP of the virtual-kubelet leader for longer than its ZooKeeper session, then SIGCONT: the
   * standby takes over and the old leader writes nothing once it has lost leadership.
   */
  PAUSE_VIRTUAL_KUBELET_LEADER("virtual-kubelet", Fault.PAUSE, true),
  /** A member's API server unreachable for 10 simulated minutes, then back. */
  MEMBER_API_DOWN(null, Fault.MEMBER_DOWN, false),
  /**
   * A member's API server ends its open watches, then answers every second list and watch with 500
   * or 429 (alternately) for 10 simulated minutes.
   */
  MEMBER_API_ERRORS(null, Fault.MEMBER_ERRORS, false),
  /**
   * A member's {@code MemberCluster} deleted under load (a platform team takes the cluster out of
   * the federation) and created again 10 simulated minutes later.
   */
  MEMBER_REMOVED(null, Fault.MEMBER_REMOVED, false),
  /**
   * The network between the virtual-kubelets and the broker cut for 10 simulated minutes, in the
   * middle of creates: connections stay open and carry nothing (calls time out), then heal.
   */
  VIRTUAL_KUBELET_BROKER_CUT(null, Fault.LINK_CUT, false),
  /**
   * Clocks apart from the start: the idle-detector's 5 simulated minutes ahead of the others', the
   * descheduler's 5 behind (10 between them), standing for wall-clock skew between hosts.
   */
  CLOCK_SKEW(null, Fault.CLOCK_SKEW, false),
  /** In a 3-server ZooKeeper ensemble, the leader killed, then restarted 10 s later. */
  ZOOKEEPER_LEADER_KILLED(null, Fault.ZOOKEEPER, false),
  /** In a 3-server ensemble, the leader and a follower killed: no quorum for 60 s, then back. */
  ZOOKEEPER_QUORUM_LOST(null, Fault.ZOOKEEPER, false),
  /**
   * In a 3-server ensemble, every server restarted one at a time as an operator does: followers
   * first, the leader last, each once the one before has rejoined. Quorum is never lost.
   */
  ZOOKEEPER_ROLLING_RESTART(null, Fault.ZOOKEEPER, false);

  /** How far {@link #CLOCK_SKEW} sets the idle-detector ahead and the descheduler behind. */
  public static final java.time.Duration SKEW = java.time.Duration.ofMinutes(5);

  /** What is done to the target. */
  public enum Fault {
    /** SIGKILL; the process is restarted as a kubelet restarts a container. */
    KILL,
    /** SIGSTOP, then SIGCONT after the pause. */
    PAUSE,
    /** A member API server stops answering, then answers again. */
    MEMBER_DOWN,
    /** A member API server fails lists and watches with 5xx and 429, then stops. */
    MEMBER_ERRORS,
    /** A member's MemberCluster is deleted, then created again. */
    MEMBER_REMOVED,
    /** The virtual-kubelet's link to the broker carries nothing for a while. */
    LINK_CUT,
    /** Components' clocks disagree for the whole run. */
    CLOCK_SKEW,
    /** ZooKeeper servers of an ensemble killed, then restarted. */
    ZOOKEEPER;

    /** Whether the fault hits one member cluster (recovery is a new placement in that member). */
    public boolean inMember() {
      return this == MEMBER_DOWN || this == MEMBER_ERRORS || this == MEMBER_REMOVED;
    }
  }

  private final String component;
  private final Fault fault;
  private final boolean elected;

  ChaosScenario(String component, Fault fault, boolean elected) {
    this.component = component;
    this.fault = fault;
    this.elected = elected;
  }

  /** The container name of the service hit, or null when the fault is not in a service. */
  public String component() {
    return component;
  }

  public Fault fault() {
    return fault;
  }

  /** Whether the service elects a leader (the fault hits the replica that leads). */
  public boolean elected() {
    return elected;
  }

  /** The command-line name, e.g. {@code kill-virtual-kubelet-leader}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The scenario named {@code name} (its {@link #cliName()}). */
  public static ChaosScenario parse(String name) {
    for (ChaosScenario s : values()) {
      if (s.cliName().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown chaos scenario '"
            + name
            + "'; one of "
            + Arrays.stream(values())
                .map(ChaosScenario::cliName)
                .collect(Collectors.joining(", ")));
  }
}
