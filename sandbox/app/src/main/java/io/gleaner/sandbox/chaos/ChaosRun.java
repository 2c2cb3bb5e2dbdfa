package io.gleaner.sandbox.chaos;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.meta.crd.MemberCluster;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.sandbox.Sandbox;
import io.gleaner.sandbox.install.ServiceProcesses;
import io.gleaner.sim.SimulatedCluster;
import io.gleaner.sim.ZooKeeperEnsemble;
import io.gleaner.sim.apiserver.audit.AuditEvent;
import io.gleaner.sim.apiserver.audit.AuditLog;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Injects one {@link ChaosScenario} into a running {@link Sandbox} in the middle of its load and
 * measures how the federation comes back. It waits for the first placement and then {@link
 * Settings#warmUp()}, hits the target (the replica that leads, for an elected service), restores
 * what a platform would restore (the kubelet restarts a killed container through {@link
 * ServiceProcesses}; a paused process is continued; a member's API server answers again), and
 * watches until the service leads again, the process hit is ready again and work submitted after
 * the fault is placed. It keeps watching to the end of the run: pods lost, pods stuck Terminating,
 * and, for a pause, every write the paused replica makes once resumed, read from the API servers'
 * audit logs by its {@code User-Agent}.
 */
public final class ChaosRun implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChaosRun.class);
  private static final Set<String> WRITES =
      Set.of("create", "update", "patch", "delete", "deletecollection");
  private static final long STUCK_TERMINATING_NANOS = TimeUnit.MINUTES.toNanos(1);

  /**
   * How a run goes.
   *
   * @param warmUp after the first placement, how long the load runs before the fault
   * @param pause how long a paused process stays stopped (longer than the ZooKeeper session)
   * @param memberDown how long a member's API server stays unreachable (real time)
   * @param recoveryTimeout how long to wait for recovery before reporting it did not happen
   * @param orphanGrace how long a member pod may outlive its metadata pod before it counts as
   *     orphaned (real time)
   */
  public record Settings(
      Duration warmUp,
      Duration pause,
      Duration memberDown,
      Duration recoveryTimeout,
      Duration orphanGrace) {
    /**
     * Defaults for a sandbox at {@code speed}: 10 s of load, a 25 s pause (the session is 15 s),
     * the member down for 10 simulated minutes, 120 s to recover, and twice the longest the
     * virtual-kubelet takes to collect an orphan (its garbage collection runs every simulated
     * minute and spares member pods younger than 30 simulated seconds), at least 30 s.
     */
    public static Settings defaults(double speed) {
      return new Settings(
          Duration.ofSeconds(10),
          Duration.ofSeconds(25),
          Duration.ofMillis(Math.round(600_000 / speed)),
          Duration.ofSeconds(120),
          Duration.ofMillis(Math.max(30_000, Math.round(2 * 90_000 / speed))));
    }
  }

  private final Sandbox sandbox;
  private final ChaosScenario scenario;
  private final Settings settings;
  private final Consumer<String> progress;
  private final ServiceProbe probe = new ServiceProbe();
  private final PodFates fates;
  private final Thread thread;
  private final Map<String, Long> auditCursor = new LinkedHashMap<>();
  private final Map<String, Long> fencedWrites = new TreeMap<>();
  private volatile boolean closed;
  private volatile boolean measured;
  private volatile boolean workBack;
  private volatile String target = "";
  private volatile String faultAtSimulated = "";
  private volatile long faultStart = -1;
  private volatile long faultEnd = -1;
  private volatile long leaderBack = -1;
  private volatile String leaderAfter = "";
  private volatile long processBack = -1;
  private volatile long firstPlacement = -1;
  private volatile long offersResumed = -1;
  private long offersAtLeaderBack = -1;
  private volatile long placementsBefore;
  private volatile String fencedReplica;
  private volatile long writesWhileLeading = -1;
  private volatile long listsAfterFault = -1;
  private volatile double listsPerSecondBefore = -1;
  private volatile long listsAtWarmUp;
  private volatile long warmUpAt;
  private volatile List<ZooKeeperRestart> zookeeperRestarts = List.of();
  private volatile Instant startedAt;
  private volatile long startedNanos;
  private volatile Instant windowEnd;
  private volatile long windowEndNanos = Long.MAX_VALUE;

  /** In a rolling restart, how long to wait after a server rejoined before stopping the next. */
  static final Duration BETWEEN_RESTARTS = Duration.ofSeconds(10);

  public ChaosRun(
      Sandbox sandbox, ChaosScenario scenario, Settings settings, Consumer<String> progress) {
    this.sandbox = Objects.requireNonNull(sandbox, "sandbox");
    this.scenario = Objects.requireNonNull(scenario, "scenario");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.progress = progress == null ? s -> {} : progress;
    this.fates = new PodFates(Sandbox.INSTANCE, System::nanoTime);
    this.thread = new Thread(this::run, "chaos-" + scenario.cliName());
    thread.setDaemon(true);
  }

  /**
   * Starts watching the pods and the run's thread; call after the sandbox has started. The run is
   * charged with what happens from then on: invariant violations whose condition was first seen
   * from then, metadata pods that fail from then (not those already failed), orphans whose metadata
   * pod goes from then; until {@link #endWindowAt} hands the rest to a next run.
   */
  public ChaosRun start() {
    Map<String, KubernetesClient> members = new LinkedHashMap<>();
    for (SimulatedCluster c : sandbox.federation().members()) {
      members.put(c.name(), c.client());
    }
    fates.start(sandbox.federation().meta().client(), members);
    startedNanos = System.nanoTime();
    startedAt = Instant.now();
    thread.start();
    return this;
  }

  /**
   * Ends this run's window where {@code next}, started on the same sandbox after this one was
   * measured, begins: what happens from then on is charged to {@code next}, yet this run's report
   * still counts what began before, up to the report (a condition past its grace, an orphan).
   */
  public void endWindowAt(ChaosRun next) {
    if (next.startedAt == null) {
      throw new IllegalStateException("the next run has not started");
    }
    windowEndNanos = next.startedNanos;
    windowEnd = next.startedAt;
  }

  /**
   * Waits until the federation's work is back after the fault (the service leads again and, for the
   * virtual-kubelet, new work is placed; see {@link #workRecovered}) or the run was measured
   * without it (or timed out); the process hit may still be restarting. Returns whether it is back.
   */
  public boolean awaitWorkBack(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!workBack && !measured && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return workBack;
  }

  /** Waits until the fault was injected and recovery measured (or timed out). */
  public boolean awaitMeasured(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!measured && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return measured;
  }

  private void run() {
    try {
      awaitFirstPlacement();
      listsAtWarmUp = gleanerLists();
      warmUpAt = System.nanoTime();
      sleep(settings.warmUp().toMillis());
      if (closed) {
        return;
      }
      inject();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (RuntimeException | IOException e) {
      log.warn("chaos {}: failed: {}", scenario.cliName(), e.toString(), e);
    } finally {
      measured = true;
    }
    // keep reading the audit logs to the end of the run
    while (!closed && fencedReplica != null) {
      readAudit();
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void awaitFirstPlacement() throws InterruptedException {
    long deadline = System.nanoTime() + settings.recoveryTimeout().toNanos();
    while (fates.placements() == 0 && !closed && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
  }

  private void inject() throws InterruptedException, IOException {
    placementsBefore = fates.placements();
    switch (scenario.fault()) {
      case KILL -> {
        ServiceProcesses.Replica r = pickReplica();
        target = r.name();
        long pid = r.pid();
        markFault();
        progress.accept("chaos: kill -9 " + r.name() + " (pid " + pid + ")");
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        faultEnd = faultStart;
        awaitRecovery(r, pid);
      }
      case PAUSE -> {
        ServiceProcesses.Replica r = pickReplica();
        target = r.name();
        long pid = r.pid();
        writesWhileLeading = writesSoFar(r.name());
        markFault();
        progress.accept(
            "chaos: kill -STOP "
                + r.name()
                + " (pid "
                + pid
                + ", "
                + writesWhileLeading
                + " writes in the audit logs while it led)");
        signal("STOP", pid);
        try {
          long resumeAt = faultStart + settings.pause().toNanos();
          while (System.nanoTime() < resumeAt && !closed) {
            Optional<String> other = otherLeader(r);
            if (leaderBack < 0 && other.isPresent()) {
              leaderBack = System.nanoTime();
              leaderAfter = other.get();
              progress.accept(
                  String.format(
                      "chaos: another %s leads after %.1f s",
                      scenario.component(), since(leaderBack)));
            }
            Thread.sleep(100);
          }
        } finally {
          startAudit(r.name());
          signal("CONT", pid);
          faultEnd = System.nanoTime();
        }
        progress.accept(
            String.format("chaos: kill -CONT %s after %.1f s", r.name(), since(faultEnd)));
        awaitRecovery(r, -1);
      }
      case MEMBER_DOWN -> {
        SimulatedCluster member = pickMember();
        target = member.name();
        markFault();
        progress.accept("chaos: " + member.name() + "'s API server unreachable");
        member.setReachable(false);
        try {
          sleep(settings.memberDown().toMillis());
        } finally {
          member.setReachable(true);
          faultEnd = System.nanoTime();
        }
        progress.accept(
            String.format(
                "chaos: %s's API server answers again after %.1f s",
                member.name(), since(faultEnd)));
        awaitRecovery(null, -1);
      }
      case MEMBER_ERRORS -> {
        SimulatedCluster member = pickMember();
        target = member.name();
        markFault();
        progress.accept(
            "chaos: "
                + member.name()
                + "'s API server ends its watches and fails every 2nd list and watch (500/429)");
        member.apiServer().faults().failListsAndWatches(2);
        // the open watches end, as when an API server restarts: every client lists and watches
        // again
        member.setReachable(false);
        member.setReachable(true);
        try {
          sleep(settings.memberDown().toMillis());
        } finally {
          member.apiServer().faults().failListsAndWatches(0);
          faultEnd = System.nanoTime();
        }
        progress.accept(
            String.format(
                "chaos: %s's API server answers normally again after %.1f s (%d lists/watches failed)",
                member.name(), since(faultEnd), member.apiServer().faults().failed()));
        awaitRecovery(null, -1);
      }
      case LINK_CUT -> {
        TcpLink link =
            sandbox
                .brokerLink()
                .orElseThrow(
                    () ->
                        new IllegalStateException(
                            "the sandbox was not started with a cuttable broker link"));
        target = "virtual-kubelet<->broker";
        markFault();
        progress.accept(
            "chaos: the virtual-kubelets' link to the broker cut ("
                + link.connections()
                + " connections open, "
                + fates.metaPods().size()
                + " metadata pods)");
        link.cut(true);
        try {
          sleep(settings.memberDown().toMillis());
        } finally {
          link.cut(false);
          faultEnd = System.nanoTime();
        }
        progress.accept(String.format("chaos: the link heals after %.1f s", since(faultEnd)));
        awaitRecovery(null, -1);
      }
      case ZOOKEEPER -> {
        ZooKeeperEnsemble zk =
            sandbox
                .federation()
                .zookeeperEnsemble()
                .orElseThrow(
                    () -> new IllegalStateException("the sandbox runs no ZooKeeper ensemble"));
        if (scenario == ChaosScenario.ZOOKEEPER_ROLLING_RESTART) {
          rollingRestart(zk);
          return;
        }
        int leader =
            zk.leader().orElseThrow(() -> new IllegalStateException("no ZooKeeper server leads"));
        List<Integer> hit = new ArrayList<>(List.of(leader));
        boolean quorum = scenario == ChaosScenario.ZOOKEEPER_QUORUM_LOST;
        if (quorum) {
          zk.ports().stream().filter(p -> p != leader).findFirst().ifPresent(hit::add);
        }
        target = "ZooKeeper servers on ports " + hit + " (leader " + leader + ")";
        long listsBefore = gleanerLists();
        listsPerSecondBefore =
            (listsBefore - listsAtWarmUp) / Math.max(1e-9, (System.nanoTime() - warmUpAt) / 1e9);
        markFault();
        progress.accept("chaos: kill " + target);
        for (int port : hit) {
          zk.kill(port);
        }
        try {
          sleep(quorum ? 60_000 : 10_000);
        } finally {
          for (int port : hit) {
            zk.restart(port);
          }
          faultEnd = System.nanoTime();
        }
        progress.accept(
            String.format("chaos: ZooKeeper servers restarted after %.1f s", since(faultEnd)));
        awaitRecovery(null, -1);
        // what a stall costs the members' API servers: the lists Gleaner sent from the fault on
        listsAfterFault = gleanerLists() - listsBefore;
        progress.accept(
            String.format(
                "chaos: Gleaner's list requests to the API servers from the fault to recovery: %d"
                    + " in %.1f s (%.1f/s; %.1f/s during the warm-up before the fault)",
                listsAfterFault,
                since(System.nanoTime()),
                listsAfterFault / Math.max(0.1, since(System.nanoTime())),
                listsPerSecondBefore));
      }
      case CLOCK_SKEW -> {
        target = "idle-detector +" + ChaosScenario.SKEW + ", descheduler -" + ChaosScenario.SKEW;
        markFault();
        faultEnd = faultStart;
        progress.accept(
            "chaos: clocks skewed since the start: "
                + target
                + " (simulated); watching placement and the invariants");
        awaitRecovery(null, -1);
      }
      case MEMBER_REMOVED -> {
        SimulatedCluster member = pickMember();
        target = member.name();
        var memberClusters = sandbox.federation().meta().client().resources(MemberCluster.class);
        MemberCluster before = memberClusters.withName(member.name()).get();
        if (before == null) {
          throw new IllegalStateException("no MemberCluster " + member.name());
        }
        markFault();
        progress.accept(
            "chaos: kubectl delete membercluster "
                + member.name()
                + " ("
                + fates.placementsByCluster().getOrDefault(member.name(), 0L)
                + " Gleaner pods placed there so far)");
        memberClusters.withName(member.name()).delete();
        try {
          long goneBy = System.nanoTime() + settings.recoveryTimeout().toNanos();
          while (memberClusters.withName(member.name()).get() != null
              && System.nanoTime() < goneBy
              && !closed) {
            Thread.sleep(100);
          }
          double removedAfter = since(System.nanoTime());
          progress.accept(
              String.format(
                  "chaos: MemberCluster %s gone after %.1f s (%d Gleaner pods left in it)",
                  member.name(), removedAfter, gleanerPodsIn(member)));
          sleep(settings.memberDown().toMillis());
        } finally {
          MemberCluster again = new MemberCluster();
          again.setMetadata(
              new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                  .withName(member.name())
                  .withLabels(before.getMetadata().getLabels())
                  .withAnnotations(before.getMetadata().getAnnotations())
                  .build());
          again.setSpec(before.getSpec());
          memberClusters.resource(again).create();
          faultEnd = System.nanoTime();
        }
        progress.accept(
            String.format(
                "chaos: MemberCluster %s created again after %.1f s",
                member.name(), since(faultEnd)));
        awaitRecovery(null, -1);
      }
    }
  }

  /**
   * Restarts every server of the ensemble in turn, followers first and the leader last ({@link
   * RollingRestartOrder}); each is stopped as {@code kill -9} stops it, started again 1 s later,
   * and the next one waits until it answers {@code srvr} as leader or follower with the ensemble
   * serving, plus {@link #BETWEEN_RESTARTS}, so the lists each restart causes fall in its window.
   */
  private void rollingRestart(ZooKeeperEnsemble zk) throws InterruptedException {
    int leader =
        zk.leader().orElseThrow(() -> new IllegalStateException("no ZooKeeper server leads"));
    List<Integer> order = RollingRestartOrder.of(zk.ports(), Optional.of(leader));
    target = "ZooKeeper servers on ports " + order + " in turn (leader " + leader + " last)";
    long listsBefore = gleanerLists();
    listsPerSecondBefore =
        (listsBefore - listsAtWarmUp) / Math.max(1e-9, (System.nanoTime() - warmUpAt) / 1e9);
    markFault();
    progress.accept("chaos: rolling restart of " + target);
    List<long[]> windows = new ArrayList<>(); // {stopped nanos, lists at stop}
    List<String[]> roles = new ArrayList<>(); // {before, after}
    List<Long> rejoined = new ArrayList<>();
    for (int port : order) {
      if (closed) {
        break;
      }
      String role = zk.role(port).orElse("not serving");
      windows.add(new long[] {System.nanoTime(), gleanerLists()});
      zk.kill(port);
      sleep(1000);
      zk.restart(port);
      long deadline = System.nanoTime() + settings.recoveryTimeout().toNanos();
      long back = -1;
      String after = null;
      while (!closed && System.nanoTime() < deadline) {
        Optional<String> now = zk.role(port);
        if (now.isPresent() && zk.hasQuorum()) {
          back = System.nanoTime();
          after = now.get();
          break;
        }
        Thread.sleep(100);
      }
      roles.add(new String[] {role, after});
      rejoined.add(back);
      long stoppedAt = windows.get(windows.size() - 1)[0];
      progress.accept(
          back < 0
              ? String.format("chaos: ZooKeeper %s %d did not rejoin", role, port)
              : String.format(
                  "chaos: ZooKeeper %s %d restarted, back as %s after %.1f s",
                  role, port, after, (back - stoppedAt) / 1e9));
      if (back < 0) {
        break;
      }
      sleep(BETWEEN_RESTARTS.toMillis());
    }
    faultEnd = System.nanoTime();
    awaitRecovery(null, -1);
    long end = System.nanoTime();
    long listsAtEnd = gleanerLists();
    listsAfterFault = listsAtEnd - listsBefore;
    List<ZooKeeperRestart> out = new ArrayList<>();
    for (int i = 0; i < windows.size(); i++) {
      long from = windows.get(i)[0];
      long to = i + 1 < windows.size() ? windows.get(i + 1)[0] : end;
      long lists =
          (i + 1 < windows.size() ? windows.get(i + 1)[1] : listsAtEnd) - windows.get(i)[1];
      out.add(
          new ZooKeeperRestart(
              order.get(i),
              roles.get(i)[0],
              seconds(from),
              rejoined.get(i) < 0 ? -1 : Math.round((rejoined.get(i) - from) / 1e8) / 10.0,
              roles.get(i)[1],
              lists,
              Math.round(lists / Math.max(0.1, (to - from) / 1e9) * 10) / 10.0));
    }
    zookeeperRestarts = List.copyOf(out);
    progress.accept(
        String.format(
            "chaos: Gleaner's list requests to the API servers from the first stop to recovery: %d"
                + " in %.1f s (%.1f/s; %.1f/s during the warm-up before the fault); per restart %s",
            listsAfterFault,
            since(end),
            listsAfterFault / Math.max(0.1, since(end)),
            listsPerSecondBefore,
            out));
  }

  /** List requests by Gleaner's identities (User-Agent {@code gleaner (...)}) in the audit logs. */
  private long gleanerLists() {
    return auditEvents(
        e ->
            "list".equals(e.verb())
                && e.userAgent() != null
                && e.userAgent().startsWith("gleaner"));
  }

  /** Audit events (those still kept) of every API server that match {@code which}. */
  private long auditEvents(java.util.function.Predicate<AuditEvent> which) {
    long n = 0;
    for (AuditLog audit : auditLogs().values()) {
      for (AuditEvent e : audit.events()) {
        if (which.test(e)) {
          n++;
        }
      }
    }
    return n;
  }

  /** Gleaner's member pods of this installation in {@code member}, not terminating. */
  private long gleanerPodsIn(SimulatedCluster member) {
    return member
        .client()
        .pods()
        .inAnyNamespace()
        .withLabel(GleanerKeys.INSTANCE, Sandbox.INSTANCE)
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .count();
  }

  private void markFault() {
    faultAtSimulated = sandbox.clock().instant().toString();
    faultStart = System.nanoTime();
  }

  /**
   * Polls until every measure that applies happened or the recovery timeout ran out.
   *
   * @param hit the replica hit, or null for a member outage
   * @param killedPid the pid killed (the replica must come back with another), or -1
   */
  private void awaitRecovery(ServiceProcesses.Replica hit, long killedPid)
      throws InterruptedException {
    long deadline = System.nanoTime() + settings.recoveryTimeout().toNanos();
    while (!closed && System.nanoTime() < deadline) {
      if (hit != null && leaderBack < 0) {
        Optional<String> leader = leadingReplica();
        if (leader.isPresent()) {
          leaderBack = System.nanoTime();
          leaderAfter = leader.get();
        }
      }
      if (hit != null
          && processBack < 0
          && hit.isAlive()
          && hit.pid() != killedPid
          && probe.ready(hit.ports().get("http"))) {
        processBack = System.nanoTime();
      }
      if (offersGateRecovery() && leaderBack >= 0 && offersResumed < 0) {
        long offers = brokerOffers();
        if (offersAtLeaderBack < 0) {
          offersAtLeaderBack = offers;
        } else if (offers > offersAtLeaderBack) {
          offersResumed = System.nanoTime();
        }
      }
      if (firstPlacement < 0 && (!placesPods() || leaderBack >= 0)) {
        long p =
            hit != null
                ? fates.firstPlacementSince(placesPods() ? leaderBack : faultStart)
                : scenario.fault().inMember()
                    ? fates.firstPlacementSince(target, faultEnd)
                    : fates.firstPlacementSince(faultEnd);
        if (p >= 0) {
          firstPlacement = p;
        }
      }
      if (fencedReplica != null) {
        readAudit();
      }
      if (!workBack && workRecovered()) {
        workBack = true;
      }
      if (recovered()) {
        progress.accept(
            String.format(
                "chaos: recovered in %.1f s (leader %.1f s, process %.1f s, offers %.1f s, first"
                    + " placement %.1f s)",
                seconds(recoveryEnd()),
                seconds(leaderBack),
                seconds(processBack),
                seconds(offersResumed),
                seconds(firstPlacement)));
        return;
      }
      Thread.sleep(100);
    }
    progress.accept("chaos: not recovered within " + settings.recoveryTimeout());
  }

  /**
   * Whether the service hit is the one that places pods (the virtual-kubelet): then only a
   * placement after another replica led is new work placed, since a member pod seen shortly after
   * the fault may be a create the hit replica sent before it.
   */
  private boolean placesPods() {
    return "virtual-kubelet".equals(scenario.component());
  }

  /**
   * Whether the scenario's work resumes with the offers rather than a placement: the idle-detector
   * places nothing, and a new placement waits for room, which the backlog fills (in CI runs it came
   * 1 to 58 s after the same fault, as pods happened to finish). Its work is offers: recovered once
   * the restarted leader's offers reach the broker again; the first placement is still reported.
   */
  private boolean offersGateRecovery() {
    return "idle-detector".equals(scenario.component());
  }

  private boolean recovered() {
    return workRecovered() && (scenario.component() == null || processBack >= 0);
  }

  /**
   * Whether the federation's work is back: the offers or the first placement after the fault, and
   * for a service hit, a replica leading again; the process hit may not be back yet.
   */
  private boolean workRecovered() {
    if (offersGateRecovery() ? offersResumed < 0 : firstPlacement < 0) {
      return false;
    }
    return scenario.component() == null || leaderBack >= 0;
  }

  private long recoveryEnd() {
    long work = offersGateRecovery() ? offersResumed : firstPlacement;
    return Math.max(work, Math.max(leaderBack, processBack));
  }

  /** Offers the broker replicas took (accepted or refreshed) so far, from their metrics. */
  private long brokerOffers() {
    long n = 0;
    for (ServiceProcesses.Replica r : replicasOf("broker")) {
      Integer port = r.ports().get("http");
      if (r.isAlive() && port != null) {
        n += probe.brokerOffers(port);
      }
    }
    return n;
  }

  private List<ServiceProcesses.Replica> replicasOf(String component) {
    List<ServiceProcesses.Replica> out = new ArrayList<>();
    for (ServiceProcesses.Replica r : sandbox.processes().replicas()) {
      if (r.name().startsWith(component + "-")) {
        out.add(r);
      }
    }
    return out;
  }

  /** The replica that leads (elected services; waits for one), else the first. */
  private ServiceProcesses.Replica pickReplica() throws InterruptedException {
    List<ServiceProcesses.Replica> all = replicasOf(scenario.component());
    if (all.isEmpty()) {
      throw new IllegalStateException("no replica of " + scenario.component() + " runs");
    }
    if (!scenario.elected()) {
      return all.get(0);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      for (ServiceProcesses.Replica r : all) {
        if (r.isAlive() && probe.leading(r.ports().get("http"))) {
          return r;
        }
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("no replica of " + scenario.component() + " leads");
  }

  /** The member with the most Gleaner pods placed so far. */
  private SimulatedCluster pickMember() {
    Map<String, Long> byCluster = fates.placementsByCluster();
    return sandbox.federation().members().stream()
        .max(Comparator.comparingLong(c -> byCluster.getOrDefault(c.name(), 0L)))
        .orElseThrow(() -> new IllegalStateException("no member cluster"));
  }

  /** The replica that leads (any ready replica, for a service that elects none), if one does. */
  private Optional<String> leadingReplica() {
    for (ServiceProcesses.Replica r : replicasOf(scenario.component())) {
      Integer port = r.ports().get("http");
      if (r.isAlive()
          && port != null
          && (scenario.elected() ? probe.leading(port) : probe.ready(port))) {
        return Optional.of(r.name());
      }
    }
    return Optional.empty();
  }

  private Optional<String> otherLeader(ServiceProcesses.Replica paused) {
    for (ServiceProcesses.Replica r : replicasOf(scenario.component())) {
      if (r != paused && r.isAlive() && probe.leading(r.ports().get("http"))) {
        return Optional.of(r.name());
      }
    }
    return Optional.empty();
  }

  private static void signal(String signal, long pid) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
    if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " " + pid + " failed");
    }
  }

  private Map<String, AuditLog> auditLogs() {
    Map<String, AuditLog> out = new LinkedHashMap<>();
    out.put(
        sandbox.federation().meta().name(),
        sandbox.federation().meta().apiServer().security().audit());
    for (SimulatedCluster c : sandbox.federation().members()) {
      out.put(c.name(), c.apiServer().security().audit());
    }
    return out;
  }

  /** Writes by {@code replica} in the audit logs so far (those still kept). */
  private long writesSoFar(String replica) {
    String agent = "(" + replica + ")";
    return auditEvents(
        e -> WRITES.contains(e.verb()) && e.userAgent() != null && e.userAgent().contains(agent));
  }

  /** From now on, every write by {@code replica} counts as made after it lost leadership. */
  private synchronized void startAudit(String replica) {
    auditLogs().forEach((cluster, audit) -> auditCursor.put(cluster, audit.lastSeq()));
    fencedReplica = replica;
  }

  private synchronized void readAudit() {
    String agent = "(" + fencedReplica + ")";
    auditLogs()
        .forEach(
            (cluster, audit) -> {
              long after = auditCursor.getOrDefault(cluster, audit.lastSeq());
              while (true) {
                AuditLog.Page page = audit.read(after, 1000);
                if (page.missed() > 0) {
                  fencedWrites.merge("audit events missed", page.missed(), Long::sum);
                }
                for (AuditEvent e : page.events()) {
                  if (WRITES.contains(e.verb())
                      && e.userAgent() != null
                      && e.userAgent().contains(agent)) {
                    log.warn("chaos: {} wrote after it lost leadership: {}", fencedReplica, e);
                    fencedWrites.merge(
                        cluster + " " + e.verb() + " " + e.combinedResource(), 1L, Long::sum);
                  }
                }
                after = page.last();
                if (page.events().size() < 1000) {
                  break;
                }
              }
              auditCursor.put(cluster, after);
            });
  }

  /** The run's outcome so far. */
  public ChaosReport report() {
    if (fencedReplica != null) {
      readAudit();
    }
    Map<String, Long> violations =
        new TreeMap<>(
            startedAt == null
                ? sandbox.invariantViolations()
                : sandbox.invariantViolationsFirstSeen(startedAt, windowEnd));
    long until = windowEndNanos;
    List<String> lost = fates.lost(until);
    List<String> orphans = fates.orphansOlderThan(settings.orphanGrace().toNanos(), until);
    boolean applies = scenario.component() != null;
    Map<String, Long> writes;
    synchronized (this) {
      writes = new TreeMap<>(fencedWrites);
    }
    return new ChaosReport(
        scenario.cliName(),
        target,
        faultAtSimulated,
        faultStart < 0 || faultEnd < 0 ? -1 : (faultEnd - faultStart) / 1e9,
        applies ? seconds(leaderBack) : -1,
        leaderAfter,
        applies ? seconds(processBack) : -1,
        seconds(firstPlacement),
        seconds(offersResumed),
        recovered() ? seconds(recoveryEnd()) : -1,
        recovered(),
        violations,
        lost.size(),
        lost.stream().limit(10).toList(),
        violations.getOrDefault("duplicate_member_pod", 0L),
        violations.getOrDefault("node_overcommitted", 0L),
        fates.terminatingLongerThan(STUCK_TERMINATING_NANOS, until).size(),
        orphans.size(),
        orphans.stream().limit(10).toList(),
        fates.failedByReason(until),
        writesWhileLeading,
        scenario.fault() == ChaosScenario.Fault.PAUSE ? writes : Map.of(),
        placementsBefore,
        faultStart < 0 ? 0 : fates.placements() - placementsBefore,
        listsAfterFault,
        Math.round(listsPerSecondBefore * 10) / 10.0,
        zookeeperRestarts);
  }

  /** Real seconds from the fault's start to {@code nanos}, rounded to 0.1 s; -1 when unset. */
  private double seconds(long nanos) {
    if (nanos < 0 || faultStart < 0) {
      return -1;
    }
    return Math.round((nanos - faultStart) / 1e8) / 10.0;
  }

  private double since(long nanos) {
    return seconds(nanos);
  }

  private void sleep(long millis) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!closed && System.nanoTime() < end) {
      Thread.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
    }
  }

  /** The target, once chosen. */
  public Optional<String> target() {
    return target.isEmpty() ? Optional.empty() : Optional.of(target);
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    fates.close();
  }
}
