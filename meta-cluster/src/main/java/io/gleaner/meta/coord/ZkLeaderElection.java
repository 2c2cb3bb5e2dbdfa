package io.gleaner.meta.coord;

import io.gleaner.meta.metrics.Metrics;
import io.gleaner.meta.service.AbstractLifecycle;
import io.gleaner.meta.service.Health;
import io.gleaner.meta.service.HealthCheck;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on ZooKeeper with Curator's {@link LeaderLatch} under {@code
 * /elections/<election>/latch}, plus a fencing epoch in {@code /elections/<election>/epoch}.
 *
 * <p>Rules (ARCHITECTURE.md §6: a replica that loses its session stops acting before another takes
 * over):
 *
 * <ul>
 *   <li>SUSPENDED (connection lost, session maybe alive): stop acting at once; the latch keeps its
 *       node, so no one else can lead while the session lives.
 *   <li>RECONNECTED within the session: if the latch node is still first and owned by this session,
 *       act again under a new epoch.
 *   <li>LOST (session expired): give up; the latch re-enters the election with a new node once a
 *       new session is established.
 * </ul>
 *
 * <p>Each start of acting writes the epoch node first; its version grows with every leadership, so
 * {@link #epoch()} is strictly increasing across replicas and {@link #fencingCheck()} lets a
 * transaction fail if a newer leader has appeared since.
 */
public final class ZkLeaderElection extends AbstractLifecycle implements LeaderElection {
  private static final Logger log = LoggerFactory.getLogger(ZkLeaderElection.class);

  /** Root of all elections, relative to the client's namespace. */
  public static final String ROOT = "/elections";

  private static final Duration EPOCH_RETRY = Duration.ofSeconds(1);

  private final CuratorFramework client;
  private final String election;
  private final String candidateId;
  private final String latchPath;
  private final String epochPath;
  private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService executor;
  private final ConnectionStateListener connectionListener = (c, state) -> onConnectionState(state);
  private final Counter started;
  private final Counter stopped;

  private final Object lock = new Object();
  private volatile boolean acting;
  private boolean announced; // guarded by lock: listeners were told about the current leadership
  private volatile long epoch;
  private volatile int epochVersion = -1;
  private boolean connected; // guarded by lock
  private boolean active; // guarded by lock: between start and stop
  private boolean notifiedLeading; // election thread only
  private volatile LeaderLatch latch;

  public ZkLeaderElection(CuratorFramework client, String election, String candidateId) {
    this(client, election, candidateId, new SimpleMeterRegistry());
  }

  /**
   * @param election the election's name, one per service (e.g. {@code "broker"}); a znode name
   * @param candidateId this replica's id, e.g. the pod name
   */
  public ZkLeaderElection(
      CuratorFramework client, String election, String candidateId, MeterRegistry registry) {
    super("leader-election/" + election);
    this.client = Objects.requireNonNull(client, "client");
    this.election = Objects.requireNonNull(election, "election");
    this.candidateId = Objects.requireNonNull(candidateId, "candidateId");
    if (election.isEmpty() || election.contains("/")) {
      throw new IllegalArgumentException(
          "election name must be a non-empty znode name without '/', got \"" + election + "\"");
    }
    this.latchPath = ROOT + "/" + election + "/latch";
    this.epochPath = ROOT + "/" + election + "/epoch";
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "leader-election-" + election);
              t.setDaemon(true);
              return t;
            });
    Gauge.builder(Metrics.LEADER_ACTING, this, e -> e.acting ? 1 : 0)
        .tag(Metrics.TAG_ELECTION, election)
        .register(registry);
    Gauge.builder(Metrics.LEADER_EPOCH, this, e -> e.epoch)
        .tag(Metrics.TAG_ELECTION, election)
        .register(registry);
    started =
        registry.counter(
            Metrics.LEADER_TRANSITIONS,
            Metrics.TAG_ELECTION,
            election,
            Metrics.TAG_OUTCOME,
            "started");
    stopped =
        registry.counter(
            Metrics.LEADER_TRANSITIONS,
            Metrics.TAG_ELECTION,
            election,
            Metrics.TAG_OUTCOME,
            "stopped");
  }

  @Override
  public void addListener(LeadershipListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public String candidateId() {
    return candidateId;
  }

  @Override
  public boolean isLeader() {
    return acting;
  }

  @Override
  public long epoch() {
    return acting ? epoch : 0;
  }

  /** The path of the epoch node, for diagnostics. */
  public String epochPath() {
    return epochPath;
  }

  @Override
  public Optional<Op> fencingCheck() {
    int v = epochVersion;
    return v < 0 ? Optional.empty() : Optional.of(Op.check(epochPath, v));
  }

  @Override
  public boolean awaitLeadership(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (!(acting && announced)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return true;
    }
  }

  @Override
  public HealthCheck readiness() {
    return HealthCheck.of(
        name(),
        () -> {
          if (!isRunning()) {
            return Health.down("election is " + state());
          }
          boolean conn;
          synchronized (lock) {
            conn = connected;
          }
          if (!conn) {
            return Health.down("ZooKeeper connection suspended or lost; not acting");
          }
          return acting ? Health.up("leading, epoch " + epoch) : Health.up("standby");
        });
  }

  @Override
  protected void doStart() throws Exception {
    synchronized (lock) {
      active = true;
      connected = client.getZookeeperClient().isConnected();
    }
    client.getConnectionStateListenable().addListener(connectionListener);
    LeaderLatch l = new LeaderLatch(client, latchPath, candidateId);
    l.addListener(
        new LeaderLatchListener() {
          @Override
          public void isLeader() {
            schedule();
          }

          @Override
          public void notLeader() {
            stopActing("latch lost leadership");
            schedule();
          }
        });
    latch = l;
    l.start();
    log.info("{}: {} joined the election at {}", name(), candidateId, latchPath);
  }

  @Override
  protected void doStop() throws Exception {
    synchronized (lock) {
      active = false;
    }
    stopActing("stopping");
    client.getConnectionStateListenable().removeListener(connectionListener);
    // Tell listeners before giving up the latch node, so that this replica has stopped acting
    // before another one can start.
    try {
      Future<?> done = executor.submit(this::reconcile);
      done.get(10, TimeUnit.SECONDS);
    } catch (RejectedExecutionException e) {
      // already shut down
    }
    LeaderLatch l = latch;
    if (l != null) {
      try {
        l.close();
      } catch (IllegalStateException notStarted) {
        // latch start failed; nothing to close
      }
    }
    executor.shutdownNow();
    executor.awaitTermination(5, TimeUnit.SECONDS);
  }

  private void onConnectionState(ConnectionState state) {
    switch (state) {
      case SUSPENDED, LOST, READ_ONLY -> {
        synchronized (lock) {
          connected = false;
        }
        stopActing("ZooKeeper connection " + state);
      }
      case CONNECTED, RECONNECTED -> {
        synchronized (lock) {
          connected = true;
        }
      }
      default -> {}
    }
    schedule();
  }

  private void stopActing(String reason) {
    synchronized (lock) {
      announced = false;
      if (acting) {
        acting = false;
        log.warn("{}: {} stops acting as leader: {}", name(), candidateId, reason);
      }
    }
  }

  private void schedule() {
    try {
      executor.execute(this::reconcile);
    } catch (RejectedExecutionException e) {
      // stopped
    }
  }

  private boolean shouldLead() {
    LeaderLatch l = latch;
    synchronized (lock) {
      return active && connected && l != null && l.hasLeadership();
    }
  }

  /**
   * Brings acting and listener notifications in line with the latch and connection; election thread
   * only.
   */
  private void reconcile() {
    try {
      if (!shouldLead()) {
        stopActing("not the leader");
        notifyStopped();
        return;
      }
      if (acting) {
        return;
      }
      notifyStopped(); // a leadership interrupted by a suspension ends before the next begins
      Stat stat = bumpEpoch();
      long newEpoch = stat.getVersion() + 1L;
      synchronized (lock) {
        if (!(active && connected && latch.hasLeadership())) {
          schedule();
          return;
        }
        epoch = newEpoch;
        epochVersion = stat.getVersion();
        acting = true;
      }
      log.info("{}: {} is leader, epoch {}", name(), candidateId, newEpoch);
      notifiedLeading = true;
      started.increment();
      for (LeadershipListener listener : listeners) {
        try {
          listener.onStartedLeading(newEpoch);
        } catch (RuntimeException e) {
          log.error("{}: leadership listener failed on start", name(), e);
        }
      }
      synchronized (lock) {
        announced = acting;
        lock.notifyAll();
      }
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        return;
      }
      log.warn(
          "{}: could not take leadership (will retry in {}): {}",
          name(),
          EPOCH_RETRY,
          e.toString());
      try {
        executor.schedule(this::reconcile, EPOCH_RETRY.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException stopped) {
        // stopped
      }
    }
  }

  private void notifyStopped() {
    if (!notifiedLeading) {
      return;
    }
    notifiedLeading = false;
    stopped.increment();
    for (LeadershipListener listener : listeners) {
      try {
        listener.onStoppedLeading();
      } catch (RuntimeException e) {
        log.error("{}: leadership listener failed on stop", name(), e);
      }
    }
  }

  /** Writes the epoch node; its new version identifies this leadership. */
  private Stat bumpEpoch() throws Exception {
    byte[] holder = candidateId.getBytes(StandardCharsets.UTF_8);
    while (true) {
      Stat current = client.checkExists().forPath(epochPath);
      if (current == null) {
        try {
          Stat created = new Stat();
          client
              .create()
              .creatingParentsIfNeeded()
              .storingStatIn(created)
              .forPath(epochPath, holder);
          return created;
        } catch (KeeperException.NodeExistsException e) {
          continue;
        }
      }
      try {
        return client.setData().withVersion(current.getVersion()).forPath(epochPath, holder);
      } catch (KeeperException.BadVersionException e) {
        // another replica bumped concurrently; read again
      }
    }
  }
}
