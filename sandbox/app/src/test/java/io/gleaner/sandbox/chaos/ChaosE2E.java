package io.gleaner.sandbox.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.sandbox.Sandbox;
import io.gleaner.sandbox.SandboxOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into the whole system installed as a platform team installs it (one child process
 * per replica), under the scenario's load, in their short form, one after another into one sandbox:
 * the idle-detector is killed; once the federation has recovered, the virtual-kubelet leader is
 * killed; once the standby leads and places new work, the run goes on past the short invariant
 * graces (the killed replica's restart overlaps that, and is awaited after it). While no
 * virtual-kubelet leads, the invariant check restarts the graces of the lags only acting clears, as
 * without ZooKeeper quorum ({@code Invariant.clearedByActing}). Each fault is a phase with its own
 * account ({@link ChaosRun#endWindowAt}): the invariant violations whose condition was first seen
 * in it, the metadata pods failed in it, the orphans whose metadata pod went in it; a condition
 * begun in the first phase and outlasting its grace in the second is the first's. The full runs,
 * with every scenario, are {@code gleaner sandbox --chaos SCENARIO} (docs/figures.md, "Faults
 * injected").
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosE2E {
  private static final double SPEED = 60;

  /**
   * After the last phase's work is back: longer than the duplicate, over-commit and status graces.
   */
  private static final Duration SETTLE = Duration.ofSeconds(35);

  /** Ample: a phase's own waits (first placement, recovery) end within 190 s. */
  private static final Duration MEASURED = Duration.ofSeconds(240);

  @TempDir static Path kubeconfigs;
  private static Sandbox sandbox;
  private static final List<ChaosRun> runs = new ArrayList<>();
  private static Phase detectorKilled;
  private static Phase leaderKilled;
  private static final String LEADER_KILL =
      "killingTheVirtualKubeletLeaderLosesAndDuplicatesNothing";

  /** A phase's outcome: whether its fault was injected and measured, and its report. */
  private record Phase(boolean measured, ChaosReport report) {}

  @BeforeAll
  static void injectOneFaultAfterTheOther() throws Exception {
    SandboxOptions options =
        SandboxOptions.defaults(kubeconfigs).withSpeed(SPEED).withClusters(1, 1, 1).withPorts(0, 0);
    sandbox = new Sandbox(options, step -> System.out.println("[sandbox] " + step)).start();
    ChaosRun detector = chaos(ChaosScenario.KILL_IDLE_DETECTOR);
    boolean detectorMeasured = detector.awaitMeasured(MEASURED);
    ChaosRun leader = null;
    boolean leaderMeasured = false;
    if (enabled(LEADER_KILL)) {
      leader = chaos(ChaosScenario.KILL_VIRTUAL_KUBELET_LEADER);
      detector.endWindowAt(leader);
      // the settle runs from the standby's first placement; the killed replica's restart (5 to
      // 63 s under load) overlaps it, and is awaited after it
      leader.awaitWorkBack(MEASURED);
    }
    Thread.sleep(SETTLE.toMillis());
    if (leader != null) {
      leaderMeasured = leader.awaitMeasured(MEASURED);
    }
    detectorKilled = new Phase(detectorMeasured, detector.report());
    System.out.println("[chaos] " + detectorKilled);
    if (leader != null) {
      leaderKilled = new Phase(leaderMeasured, leader.report());
      System.out.println("[chaos] " + leaderKilled);
    }
  }

  /** Whether the case named {@code method} runs: a disabled case's phase is not injected. */
  private static boolean enabled(String method) throws NoSuchMethodException {
    return !ChaosE2E.class.getDeclaredMethod(method).isAnnotationPresent(Disabled.class);
  }

  @AfterAll
  static void stop() {
    runs.forEach(ChaosRun::close);
    if (sandbox != null) {
      sandbox.close();
    }
  }

  /**
   * Without the idle-detector the broker keeps placing on the offers it holds; the restarted
   * detector leads again and nothing is lost.
   */
  @Test
  @Order(1)
  void killingTheIdleDetectorLeaderLosesNothing() {
    assertThat(detectorKilled.measured()).as("fault injected").isTrue();
    ChaosReport r = detectorKilled.report();

    assertThat(r.target()).isEqualTo("idle-detector-0");
    assertThat(r.leaderBackSeconds()).as("restarted detector leads").isPositive();
    assertThat(r.offersResumedSeconds())
        .as("the restarted detector's offers reach the broker")
        .isGreaterThanOrEqualTo(r.leaderBackSeconds());
    assertInvariantsKept(r);
  }

  /**
   * Right after that recovery, under the same load: the warm standby takes over from the killed
   * virtual-kubelet leader; nothing is lost, duplicated, over-committed or orphaned, and new work
   * is placed.
   */
  @Test
  @Order(2)
  void killingTheVirtualKubeletLeaderLosesAndDuplicatesNothing() {
    assertThat(leaderKilled.measured()).as("fault injected").isTrue();
    ChaosReport r = leaderKilled.report();

    assertThat(r.target()).startsWith("virtual-kubelet-");
    assertThat(r.placementsBefore()).as("placed before the kill").isPositive();
    assertThat(r.leaderAfter())
        .as("the standby, not the killed replica restarted, leads")
        .startsWith("virtual-kubelet-")
        .isNotEqualTo(r.target());
    assertThat(r.leaderBackSeconds()).as("standby takes over").isBetween(0.0, 60.0);
    assertThat(r.processBackSeconds()).as("killed replica restarted and ready").isPositive();
    assertPromiseKept(r);
  }

  /**
   * A leader paused for longer than its ZooKeeper session is replaced while paused, and once
   * continued writes nothing to any API server (their audit logs, by its User-Agent).
   */
  @Test
  @Order(3)
  @Disabled(
      "fixed (issue 15, leader lease), kept out of ./mvnw verify for time: as a third phase it"
          + " adds about 70 s (25 s pause, recovery, settle) to a verify at about 9.5 of its 10"
          + " minutes. The fencing is checked fast by LeaderFencingIT (virtual-kubelet, simulator"
          + " audit logs) and LeaderElectionIT; the whole-system run is `gleaner sandbox --chaos"
          + " pause-virtual-kubelet-leader` (docs/figures.md, Faults injected: 0 writes after"
          + " SIGCONT)")
  void aLeaderPausedPastItsSessionActsOnNothingOnceContinued() throws Exception {
    ChaosRun paused = chaos(ChaosScenario.PAUSE_VIRTUAL_KUBELET_LEADER);
    assertThat(paused.awaitMeasured(MEASURED)).as("fault injected").isTrue();
    Thread.sleep(SETTLE.toMillis());
    ChaosReport r = paused.report();
    System.out.println("[chaos] " + r);

    assertThat(r.leaderBackSeconds())
        .as("another replica leads while the old leader is stopped")
        .isBetween(0.0, r.faultSeconds());
    assertThat(r.writesWhileLeading())
        .as("the audit logs attribute the leader's writes to it")
        .isPositive();
    assertThat(r.writesAfterLostLeadership()).as("writes after it lost leadership").isEmpty();
    assertPromiseKept(r);
  }

  /** A phase started on the sandbox: it waits for a placement, 3 s of load, then the fault. */
  private static ChaosRun chaos(ChaosScenario scenario) {
    ChaosRun.Settings defaults = ChaosRun.Settings.defaults(SPEED);
    ChaosRun.Settings settings =
        new ChaosRun.Settings(
            Duration.ofSeconds(3),
            Duration.ofSeconds(25),
            defaults.memberDown(),
            Duration.ofSeconds(90),
            defaults.orphanGrace());
    ChaosRun run =
        new ChaosRun(sandbox, scenario, settings, step -> System.out.println("[chaos] " + step));
    runs.add(run);
    return run.start();
  }

  private static void assertPromiseKept(ChaosReport r) {
    assertThat(r.firstPlacementSeconds()).as("new work placed after the fault").isPositive();
    assertInvariantsKept(r);
  }

  private static void assertInvariantsKept(ChaosReport r) {
    assertThat(r.recovered()).as("recovered: %s", r).isTrue();
    assertThat(r.invariantViolations())
        .as("invariant violations by kind (the sandbox log names each with its evidence)")
        .isNotEmpty()
        .allSatisfy((kind, n) -> assertThat(n).as(kind).isZero());
    assertThat(r.lostPods()).as("pods lost").isEmpty();
    assertThat(r.duplicates()).as("duplicates").isZero();
    assertThat(r.overCommits()).as("over-commits").isZero();
    assertThat(r.stuckTerminating()).as("stuck Terminating").isZero();
    assertThat(r.orphanedPods()).as("member pods orphaned").isEmpty();
  }
}
