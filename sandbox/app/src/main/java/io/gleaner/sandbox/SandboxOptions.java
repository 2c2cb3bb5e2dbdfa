package io.gleaner.sandbox;

import io.gleaner.sim.load.LoadCurve;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * How a sandbox is shaped.
 *
 * @param speed how many simulated seconds pass per real second
 * @param simulatedStart the simulated instant the run starts at (the load curve is busy by day,
 *     quiet at night)
 * @param onlineClusters member clusters with role {@code online} whose services follow the diurnal
 *     curve
 * @param trainingClusters Volcano training clusters where gangs arrive
 * @param colocationClusters Koordinator co-location clusters
 * @param kubeconfigDir where {@code meta.kubeconfig} and one file per member are written
 * @param dashboardPort the broker's HTTP port (dashboard, JSON API, /metrics); 0 picks a free one
 * @param brokerPort the broker's gRPC port; 0 picks a free one
 * @param idleAfter how long a node must stay idle before it is lent (simulated)
 * @param submitEvery how often the scenario submits a Job (simulated)
 * @param gangEvery how often a training gang arrives (simulated)
 * @param seed the scenario's random seed
 * @param forecast lend by the forecast (GleanerPolicy {@code spec.forecast.enabled}), its history
 *     warmed from the bundled trace; false: purely reactive lending
 * @param fairness the scenario's three teams in the GleanerPolicy ({@code spec.teams}, weights
 *     1:1:2), their pods submitted with the scheduling gate {@code gleaner.io/fair-share}; false:
 *     no teams, every namespace in the team {@code default}, no gate (the harvest is still
 *     accounted per team)
 * @param elasticClusters cloud members of role {@code elastic}: no node until near-line pods wait,
 *     then a simulated cluster-autoscaler adds 16-CPU nodes after 5 minutes and removes them after
 *     10 empty minutes; the policy's elastic budget is 32 cores and 48 core-hours a day
 * @param declaredRuntimes the teams' offline CPU pods declare an expected run time ({@code
 *     gleaner.io/expected-runtime}, their estimate, 0.8-1.4 of the simulated one), so lent nodes
 *     that are draining can take them; false: no pod declares one, and draining nodes take nothing
 */
public record SandboxOptions(
    double speed,
    Instant simulatedStart,
    int onlineClusters,
    int trainingClusters,
    int colocationClusters,
    Path kubeconfigDir,
    int dashboardPort,
    int brokerPort,
    Duration idleAfter,
    Duration submitEvery,
    Duration gangEvery,
    long seed,
    boolean forecast,
    boolean fairness,
    int elasticClusters,
    boolean declaredRuntimes) {

  /** Options whose offline pods declare their expected run times. */
  public SandboxOptions(
      double speed,
      Instant simulatedStart,
      int onlineClusters,
      int trainingClusters,
      int colocationClusters,
      Path kubeconfigDir,
      int dashboardPort,
      int brokerPort,
      Duration idleAfter,
      Duration submitEvery,
      Duration gangEvery,
      long seed,
      boolean forecast,
      boolean fairness,
      int elasticClusters) {
    this(
        speed,
        simulatedStart,
        onlineClusters,
        trainingClusters,
        colocationClusters,
        kubeconfigDir,
        dashboardPort,
        brokerPort,
        idleAfter,
        submitEvery,
        gangEvery,
        seed,
        forecast,
        fairness,
        elasticClusters,
        true);
  }

  /**
   * Where a run starts unless told: the latest start of the bundled trace's 8-day cycle at or
   * before now, 08:00 UTC of its first day, its quietest morning (16 % CPU), busy within the hour.
   * Every run on any date, tests included, starts on the same part of the trace; today's date at
   * 08:00 fell on a different day of the trace each day, busy at 08:00 on six of eight.
   */
  public static Instant defaultStart(java.time.Clock clock) {
    return LoadCurve.alibaba2018().periodStartAtOrBefore(clock.instant());
  }

  public static SandboxOptions defaults(Path kubeconfigDir) {
    return new SandboxOptions(
        60,
        defaultStart(java.time.Clock.systemUTC()),
        6,
        3,
        3,
        kubeconfigDir,
        0,
        0,
        Duration.ofMinutes(10),
        Duration.ofMinutes(3),
        Duration.ofMinutes(40),
        42,
        true,
        true,
        1,
        true);
  }

  public SandboxOptions {
    if (speed <= 0) {
      throw new IllegalArgumentException("--speed must be > 0, got " + speed);
    }
    if (elasticClusters < 0) {
      throw new IllegalArgumentException("--elastic must be >= 0, got " + elasticClusters);
    }
    if (onlineClusters < 0
        || trainingClusters < 0
        || colocationClusters < 0
        || onlineClusters + trainingClusters + colocationClusters == 0) {
      throw new IllegalArgumentException("the sandbox needs at least one member cluster");
    }
  }

  public SandboxOptions withSpeed(double s) {
    return new SandboxOptions(
        s,
        simulatedStart,
        onlineClusters,
        trainingClusters,
        colocationClusters,
        kubeconfigDir,
        dashboardPort,
        brokerPort,
        idleAfter,
        submitEvery,
        gangEvery,
        seed,
        forecast,
        fairness,
        elasticClusters,
        declaredRuntimes);
  }

  public SandboxOptions withPorts(int dashboard, int broker) {
    return new SandboxOptions(
        speed,
        simulatedStart,
        onlineClusters,
        trainingClusters,
        colocationClusters,
        kubeconfigDir,
        dashboard,
        broker,
        idleAfter,
        submitEvery,
        gangEvery,
        seed,
        forecast,
        fairness,
        elasticClusters,
        declaredRuntimes);
  }

  /**
   * These many online, training and co-location members and no elastic one ({@link #withElastic}).
   */
  public SandboxOptions withClusters(int online, int training, int colocation) {
    return new SandboxOptions(
        speed,
        simulatedStart,
        online,
        training,
        colocation,
        kubeconfigDir,
        dashboardPort,
        brokerPort,
        idleAfter,
        submitEvery,
        gangEvery,
        seed,
        forecast,
        fairness,
        0,
        declaredRuntimes);
  }

  public SandboxOptions withElastic(int elastic) {
    return new SandboxOptions(
        speed,
        simulatedStart,
        onlineClusters,
        trainingClusters,
        colocationClusters,
        kubeconfigDir,
        dashboardPort,
        brokerPort,
        idleAfter,
        submitEvery,
        gangEvery,
        seed,
        forecast,
        fairness,
        elastic,
        declaredRuntimes);
  }

  /** These options with the offline pods declaring their expected run times, or none. */
  public SandboxOptions withDeclaredRuntimes(boolean declare) {
    return new SandboxOptions(
        speed,
        simulatedStart,
        onlineClusters,
        trainingClusters,
        colocationClusters,
        kubeconfigDir,
        dashboardPort,
        brokerPort,
        idleAfter,
        submitEvery,
        gangEvery,
        seed,
        forecast,
        fairness,
        elasticClusters,
        declare);
  }
}
