package io.gleaner.sandbox.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gleaner.meta.time.Durations;
import io.gleaner.sandbox.Sandbox;
import io.gleaner.sandbox.SandboxOptions;
import io.gleaner.sandbox.chaos.ChaosReport;
import io.gleaner.sandbox.chaos.ChaosRun;
import io.gleaner.sandbox.chaos.ChaosScenario;
import io.gleaner.sandbox.scenario.SandboxSummary;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gleaner sandbox}: the whole system on simulated clusters, with a scenario and the
 * dashboard.
 */
@Command(
    name = "sandbox",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the whole system on simulated clusters: an embedded ZooKeeper, a metadata cluster, member clusters",
      "(online ones following a real diurnal load curve, Volcano training clusters, co-location clusters), the four",
      "services over real gRPC, and teams submitting Jobs. Prints the dashboard address and writes kubeconfigs so",
      "kubectl works against every cluster."
    })
public final class SandboxCommand implements Callable<Integer> {
  /** Adds {@code sandbox} to the {@code gleaner} command. */
  public static final class Provider implements io.gleaner.cli.GleanerSubcommand {
    @Override
    public Object command() {
      return new SandboxCommand();
    }
  }

  @Option(
      names = "--speed",
      defaultValue = "60",
      description = "Simulated seconds per real second (default: ${DEFAULT-VALUE}).")
  double speed;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      description =
          "Run this long (real time, e.g. 120s, 10m), then exit 0. Default: until Ctrl-C.")
  String duration;

  @Option(
      names = "--summary-json",
      paramLabel = "FILE",
      description = "Write the run's outcome as JSON to FILE on exit.")
  Path summaryJson;

  @Option(
      names = "--kubeconfig-dir",
      paramLabel = "DIR",
      defaultValue = "sandbox-kubeconfigs",
      description =
          "Where to write meta.kubeconfig and one kubeconfig per member (default: ${DEFAULT-VALUE}).")
  Path kubeconfigDir;

  @Option(
      names = "--port",
      defaultValue = "8080",
      description =
          "Dashboard / JSON API / metrics port; 0 picks a free one, as does a taken one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--broker-port",
      defaultValue = "9090",
      description =
          "Broker gRPC port; 0 picks a free one, as does a taken one (default: ${DEFAULT-VALUE}).")
  int brokerPort;

  @Option(
      names = "--online",
      defaultValue = "6",
      description = "Online member clusters (default: ${DEFAULT-VALUE}).")
  int online;

  @Option(
      names = "--training",
      defaultValue = "3",
      description = "Volcano training clusters (default: ${DEFAULT-VALUE}).")
  int training;

  @Option(
      names = "--colocation",
      defaultValue = "3",
      description = "Co-location clusters (default: ${DEFAULT-VALUE}).")
  int colocation;

  @Option(
      names = "--start",
      paramLabel = "INSTANT",
      description =
          "Simulated start time, RFC 3339 (default: the trace's quiet first morning, 08:00 UTC on the"
              + " first day of its 8-day cycle, the latest such day up to today: every run starts"
              + " on the same part of the trace).")
  Instant start;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Scenario random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--chaos",
      paramLabel = "SCENARIO",
      description = {
        "Inject one fault in the middle of the load and report recovery in the last JSON line (\"chaos\"); exit 1",
        "when a promise broke. One of: kill-virtual-kubelet-leader, kill-broker, kill-descheduler,",
        "kill-idle-detector, pause-virtual-kubelet-leader, member-api-down, member-api-errors, member-removed,",
        "virtual-kubelet-broker-cut, clock-skew, zookeeper-leader-killed, zookeeper-quorum-lost,",
        "zookeeper-rolling-restart. Without",
        "--duration",
        "the run ends --chaos-settle after recovery."
      })
  String chaos;

  @Option(
      names = "--chaos-settle",
      paramLabel = "DURATION",
      defaultValue = "70s",
      description =
          "With --chaos and no --duration: how long the load runs on after recovery, longer than the longest invariant grace (default: ${DEFAULT-VALUE}).")
  String chaosSettle;

  @Option(
      names = "--forecast",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Lend by the forecast, its member histories warmed from the bundled trace; --no-forecast"
              + " lends purely reactively (GleanerPolicy spec.forecast.enabled; default:"
              + " ${DEFAULT-VALUE}).")
  boolean forecast;

  @Option(
      names = "--fairness",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Declare the scenario's three teams (ml-batch, search-offline, ads-nearline, weights 1:1:2,"
              + " ads-nearline guaranteed 300 CPUs) in the GleanerPolicy and submit their pods with the gleaner.io/fair-share scheduling"
              + " gate, so they share the harvest fairly; --no-fairness declares no teams and no gate"
              + " (the summary still counts each team's core-hours) (default: ${DEFAULT-VALUE}).")
  boolean fairness;

  @Option(
      names = "--declared-runtime",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "The teams' offline CPU pods declare an expected run time (gleaner.io/expected-runtime: their"
              + " estimate, 0.8-1.4 of the simulated one, in whole minutes), so lent nodes that are"
              + " draining take them; --no-declared-runtime declares none, and draining nodes take"
              + " nothing (default: ${DEFAULT-VALUE}).")
  boolean declaredRuntime;

  @Option(
      names = "--elastic",
      defaultValue = "1",
      description =
          "Cloud members of role elastic: no node until near-line pods wait for room, then a"
              + " simulated cluster-autoscaler adds 16-CPU nodes after 5 simulated minutes and removes"
              + " them after 10 empty ones; budget 32 cores, 48 core-hours a day (GleanerPolicy"
              + " spec.elastic) (default: ${DEFAULT-VALUE}; 0: none, elastic off).")
  int elastic;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The sandbox the flags ask for; throws IllegalArgumentException on a bad combination. */
  SandboxOptions options() {
    SandboxOptions base = SandboxOptions.defaults(kubeconfigDir.toAbsolutePath());
    return new SandboxOptions(
        speed,
        start == null ? base.simulatedStart() : start,
        online,
        training,
        colocation,
        kubeconfigDir.toAbsolutePath(),
        port,
        brokerPort,
        base.idleAfter(),
        base.submitEvery(),
        base.gangEvery(),
        seed,
        forecast,
        fairness,
        elastic,
        declaredRuntime);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Duration runFor = null;
    if (duration != null) {
      try {
        runFor = Durations.parse(duration);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--duration: " + e.getMessage());
      }
    }
    ChaosScenario scenario = null;
    Duration settle = null;
    if (chaos != null) {
      try {
        scenario = ChaosScenario.parse(chaos);
        settle = Durations.parse(chaosSettle);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--chaos: " + e.getMessage());
      }
    }
    SandboxOptions options;
    try {
      options = options();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Files.createDirectories(options.kubeconfigDir());
    long t0 = System.nanoTime();
    Sandbox sandbox =
        new Sandbox(
            options,
            step -> {
              out.printf("[%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, step);
              out.flush();
            });
    if (scenario == ChaosScenario.VIRTUAL_KUBELET_BROKER_CUT) {
      sandbox.withCuttableBrokerLink();
    }
    if (scenario == ChaosScenario.CLOCK_SKEW) {
      sandbox.withClockSkew(ChaosScenario.SKEW);
    }
    if (scenario != null && scenario.fault() == ChaosScenario.Fault.ZOOKEEPER) {
      sandbox.withZooKeeperServers(3);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stopped.countDown();
            },
            "sandbox-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    ChaosRun chaosRun = null;
    try {
      sandbox.start();
      if (scenario != null) {
        chaosRun =
            new ChaosRun(
                    sandbox,
                    scenario,
                    ChaosRun.Settings.defaults(options.speed()),
                    step -> {
                      out.printf("[%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, step);
                      out.flush();
                    })
                .start();
      }
      out.printf("[%5.1fs] started%n", (System.nanoTime() - t0) / 1e9);
      out.printf("Dashboard: %s%n", sandbox.dashboardUrl());
      if (sandbox.readerTls() == null) {
        out.printf(
            "Broker gRPC: %s   (try: ./gleaner capacity --broker %s)%n",
            sandbox.brokerTarget(), sandbox.brokerTarget());
      } else {
        java.nio.file.Path tls = sandbox.readerTls();
        out.printf(
            "Broker gRPC: %s, mutual TLS   (try: ./gleaner capacity --broker %s --ca-file %s"
                + " --cert-file %s --key-file %s)%n",
            sandbox.brokerTarget(),
            sandbox.brokerTarget(),
            tls.resolve("ca.crt"),
            tls.resolve("tls.crt"),
            tls.resolve("tls.key"));
      }
      out.printf(
          "Kubeconfigs: %s   (try: kubectl --kubeconfig %s get nodes -o wide)%n",
          options.kubeconfigDir(), options.kubeconfigDir().resolve("meta.kubeconfig"));
      out.printf("Clock: %sx, simulated start %s%n", options.speed(), options.simulatedStart());
      out.flush();
      long deadline = runFor == null ? Long.MAX_VALUE : System.nanoTime() + runFor.toNanos();
      boolean settling = false;
      while (System.nanoTime() < deadline && stopped.getCount() > 0) {
        if (chaosRun != null
            && runFor == null
            && !settling
            && chaosRun.awaitMeasured(Duration.ZERO)) {
          settling = true;
          deadline = System.nanoTime() + settle.toNanos();
        }
        stopped.await(
            Math.min(10_000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)),
            java.util.concurrent.TimeUnit.MILLISECONDS);
        if (stopped.getCount() > 0) {
          out.println(statusLine(sandbox));
          out.flush();
        }
      }
      ObjectNode line = json().valueToTree(sandbox.summary());
      line.set("vitals", json().valueToTree(sandbox.vitals()));
      if (summaryJson != null) {
        writeSummary(line, summaryJson);
        out.printf("Summary written to %s%n", summaryJson.toAbsolutePath());
      }
      if (chaosRun == null) {
        out.println(json().writeValueAsString(line));
        out.flush();
        return 0;
      }
      ChaosReport report = chaosRun.report();
      ObjectNode chaosNode = line.putObject("chaos");
      chaosNode.setAll((ObjectNode) json().valueToTree(report));
      chaosNode.put("promise_kept", report.promiseKept());
      out.println(json().writeValueAsString(line));
      out.flush();
      return report.promiseKept() ? 0 : 1;
    } finally {
      if (chaosRun != null) {
        chaosRun.close();
      }
      sandbox.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is already exiting
      }
    }
  }

  private static String statusLine(Sandbox sandbox) {
    SandboxSummary s = sandbox.summary();
    long running =
        s.podsByClass().values().stream().mapToLong(m -> m.getOrDefault("running", 0L)).sum();
    long completed =
        s.podsByClass().values().stream().mapToLong(m -> m.getOrDefault("completed", 0L)).sum();
    return String.format(
        "[sim %s] jobs=%d pods running(ever)=%d completed=%d placed=%s reclaimed=%d member-pending=%d",
        sandbox.clock().instant().toString().substring(0, 19),
        sandbox.scenario().jobsSubmitted(),
        running,
        completed,
        s.placedBySource(),
        s.podsReclaimed(),
        s.memberPodsPendingUnschedulable());
  }

  static ObjectMapper json() {
    return new ObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  }

  static void writeSummary(ObjectNode summary, Path file) throws java.io.IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, json().writerWithDefaultPrettyPrinter().writeValueAsString(summary));
  }
}
