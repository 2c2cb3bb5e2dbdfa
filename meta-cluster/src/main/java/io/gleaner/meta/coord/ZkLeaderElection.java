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
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
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
 * /elections/<election>/latch}, plus a fencing epoch in {@code /elections/<election>/epoch} and a
 * lease ({@link LeaderLease}) that bounds how long the leader may act without having confirmed its
 * leadership.
 *
 * <p>Rules (ARCHITECTURE.md §6: a replica that loses its session stops acting before another takes
 * over):
 *
 * <ul>
 *   <li>A leadership term begins when the latch leads and the epoch node is written; listeners are
 *       told {@code started}. It ends (listeners told {@code stopped}) only when the session is
 *       LOST, the latch node is no longer first, or the election stops.
 *   <li>Within a term the replica may act only while its lease is valid: until the monotonic time
 *       of the last confirmed ZooKeeper round trip (a read of the latch, every quarter of the
 *       lease) plus two thirds of the negotiated session timeout. Another replica can lead only
 *       once the session has expired, a full session timeout after the server last heard from this
 *       one, so the lease runs out first. A process paused past its session (SIGSTOP, a long GC)
 *       finds its lease expired the moment it runs again, before its client has noticed anything.
 *   <li>SUSPENDED (connection lost, session maybe alive) pauses acting: the lease is revoked at
 *       once, the term and the listeners' state stay. RECONNECTED within the session confirms the
 *       latch node is still first and acting resumes under the same epoch (no other replica can
 *       have led meanwhile), with nothing rebuilt.
 *   <li>LOST (session expired) ends the term; the latch re-enters the election with a new node once
 *       a new session is established, and a new term writes a new epoch.
 * </ul>
 *
 * <p>Each term writes the epoch node first; its version grows with every term, so {@link #epoch()}
 * is strictly increasing across replicas and {@link #fencingCheck()} lets a transaction fail if a
 * newer leader has appeared since.
 */
public final class ZkLeaderElection extends AbstractLifecycle implements LeaderElection {
  private static final Logger log = LoggerFactory.getLogger(ZkLeaderElection.class);

  /** Root of all elections, relative to the client's namespace. */
  public static final String ROOT = "/elections";

  private static final Duration EPOCH_RETRY = Duration.ofSeconds(1);

  /** The lease is this share of the negotiated session timeout. */
  static final double LEASE_SHARE = 2.0 / 3.0;

  /** Leadership is confirmed this many times per lease. */
  static final int CONFIRMATIONS_PER_LEASE = 4;

  private final CuratorFramework client;
  private final String election;
  private final String candidateId;
  private final String latchPath;
  private final String epochPath;
  private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService executor;
  private final ConnectionStateListener connectionListener = (c, state) -> onConnectionState(state);
  private final LeaderLatchListener latchListener =
      new LeaderLatchListener() {
        @Override
        public void isLeader() {
          schedule();
        }

        @Override
        public void notLeader() {
          onLatchLostLeadership();
        }
      };
  private final LeaderLease lease;
  private final Counter started;
  private final Counter stopped;

  private final Object lock = new Object();
  private volatile boolean acting;
  private boolean announced; // guarded by lock: listeners were told about the current leadership
  private volatile long epoch;
  private volatile int epochVersion = -1;
  private boolean connected; // guarded by lock
  private boolean sessionLost; // guarded by lock: LOST seen, no new session yet
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
    this(client, election, candidateId, registry, System::nanoTime);
  }

  /**
   * @param nanoTime the monotonic clock the lease is measured on ({@code System::nanoTime}; tests
   *     move their own to stand for a paused process)
   */
  public ZkLeaderElection(
      CuratorFramework client,
      String election,
      String candidateId,
      MeterRegistry registry,
      LongSupplier nanoTime) {
    super("leader-election/" + election);
    this.lease = new LeaderLease(nanoTime);
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
    Gauge.builder(Metrics.LEADER_ACTING, this, e -> e.isLeader() ? 1 : 0)
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

  /** Acting is allowed now: a term is under way and its lease has not run out. */
  @Override
  public boolean isLeader() {
    return lease.valid();
  }

  /** Time left on this replica's lease; zero or negative when it may not act. */
  public Duration leaseRemaining() {
    return lease.remaining();
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
      while (!(acting && announced && isLeader())) {
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
          if (acting) {
            return isLeader()
                ? Health.up("leading, epoch " + epoch)
                : Health.up("leading, epoch " + epoch + ", paused until leadership is confirmed");
          }
          return Health.up("standby");
        });
  }

  @Override
  protected void doStart() throws Exception {
    synchronized (lock) {
      active = true;
      connected = client.getZookeeperClient().isConnected();
    }
    client.getConnectionStateListenable().addListener(connectionListener);
    startLatch();
    executor.schedule(this::confirmPeriodically, confirmPeriod().toNanos(), TimeUnit.NANOSECONDS);
    log.info("{}: {} joined the election at {}", name(), candidateId, latchPath);
  }

  private void startLatch() throws Exception {
    LeaderLatch l = new LeaderLatch(client, latchPath, candidateId);
    l.addListener(latchListener);
    latch = l;
    l.start();
  }

  @Override
  protected void doStop() throws Exception {
    synchronized (lock) {
      active = false;
    }
    stopActingInOrder();
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
      case SUSPENDED, READ_ONLY -> {
        synchronized (lock) {
          connected = false;
        }
        pause("ZooKeeper connection " + state);
      }
      case LOST -> {
        synchronized (lock) {
          connected = false;
          sessionLost = true;
        }
        stopActing("ZooKeeper session LOST");
      }
      case CONNECTED, RECONNECTED -> {
        synchronized (lock) {
          connected = true;
          sessionLost = false;
        }
      }
      default -> {}
    }
    schedule();
  }

  /**
   * The latch gives up leadership on SUSPENDED and LOST too (its error policy), which the
   * connection listener handles (pause, end of term); Curator calls connection listeners in no set
   * order. So this only reconciles: if a term is under way, the next confirmation decides whether
   * it goes on.
   */
  private void onLatchLostLeadership() {
    schedule();
  }

  /** Acting pauses; the term goes on and resumes once leadership is confirmed again. */
  private void pause(String reason) {
    lease.revoke();
    if (acting) {
      log.warn("{}: {} pauses acting as leader: {}", name(), candidateId, reason);
    }
  }

  /** Stops acting because this replica stops: expected, so not a warning. */
  private void stopActingInOrder() {
    stopActing("stopping", true);
  }

  /** Stops acting for {@code reason}, a lost session or a newer term: worth a warning. */
  private void stopActing(String reason) {
    stopActing(reason, false);
  }

  private void stopActing(String reason, boolean orderly) {
    lease.revoke();
    synchronized (lock) {
      announced = false;
      if (acting) {
        acting = false;
        if (orderly) {
          log.info("{}: {} stops acting as leader: {}", name(), candidateId, reason);
        } else {
          log.warn("{}: {} stops acting as leader: {}", name(), candidateId, reason);
        }
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

  /**
   * Brings acting and listener notifications in line with the latch and connection; election thread
   * only.
   */
  private void reconcile() {
    try {
      LeaderLatch l = latch;
      boolean isActive;
      boolean isConnected;
      synchronized (lock) {
        isActive = active;
        isConnected = connected;
      }
      if (!isActive) {
        stopActingInOrder();
        notifyStopped();
        return;
      }
      if (acting) {
        if (isConnected) {
          confirm(); // resumes a paused term, or ends it if this replica no longer leads
        }
        return;
      }
      if (!(isConnected && l != null && l.hasLeadership())) {
        notifyStopped();
        return;
      }
      notifyStopped(); // a term that ended before the next begins
      long token = lease.token();
      long sentAt = lease.now();
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
      Duration bound = leaseBound();
      if (bound != null) {
        lease.confirm(token, sentAt, bound);
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

  private void confirmPeriodically() {
    try {
      boolean due;
      synchronized (lock) {
        due = active && connected && acting;
      }
      if (due) {
        confirm();
      }
    } finally {
      try {
        executor.schedule(
            this::confirmPeriodically, confirmPeriod().toNanos(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException stopped) {
        // stopped
      }
    }
  }

  /**
   * One round trip that confirms this replica still leads: a ZooKeeper multi that only checks that
   * its latch node still exists (so its session is alive and the node is still first: no node
   * created later sorts before it) and that the epoch node still has this term's version (no other
   * replica began a term since). Sent in the background; a success extends the lease from the time
   * it was sent. Election thread only.
   */
  private void confirm() {
    LeaderLatch l = latch;
    String ours = l == null ? null : l.getOurPath();
    int version = epochVersion;
    if (ours == null || version < 0) {
      return; // the latch is (re)creating its node; its callback reconciles again
    }
    long token = lease.token();
    long sentAt = lease.now();
    try {
      client
          .transaction()
          .inBackground(
              (c, event) -> {
                try {
                  executor.execute(() -> onConfirmation(event, l, token, sentAt));
                } catch (RejectedExecutionException stopped) {
                  // stopped
                }
              })
          .forOperations(
              client.transactionOp().check().withVersion(version).forPath(epochPath),
              client.transactionOp().check().forPath(ours));
    } catch (Exception e) {
      log.debug("{}: confirming leadership failed: {}", name(), e.toString());
    }
  }

  private void onConfirmation(CuratorEvent event, LeaderLatch asked, long token, long sentAt) {
    if (!acting || latch != asked) {
      return;
    }
    KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
    if (code == KeeperException.Code.OK) {
      Duration bound = leaseBound();
      if (bound != null && lease.confirm(token, sentAt, bound)) {
        synchronized (lock) {
          lock.notifyAll(); // a paused term may have resumed
        }
      }
      return;
    }
    if (code != KeeperException.Code.NONODE && code != KeeperException.Code.BADVERSION) {
      // connection trouble: the connection state listener pauses or ends the term; until then the
      // lease runs out on its own
      log.debug("{}: confirming leadership failed: {}", name(), code);
      return;
    }
    stopActing(
        code == KeeperException.Code.NONODE
            ? "its latch node is gone (session expired unnoticed)"
            : "another replica began a term since");
    notifyStopped();
    // the latch, which noticed nothing, may still believe it leads: re-enter the election with a
    // new node
    try {
      asked.close();
    } catch (Exception e) {
      log.debug("{}: closing the old latch: {}", name(), e.toString());
    }
    try {
      startLatch();
    } catch (Exception e) {
      log.warn("{}: could not re-enter the election: {}", name(), e.toString());
    }
  }

  /** Two thirds of the negotiated session timeout; null before a session was negotiated. */
  private Duration leaseBound() {
    int sessionMs = client.getZookeeperClient().getLastNegotiatedSessionTimeoutMs();
    return sessionMs <= 0 ? null : Duration.ofMillis((long) (sessionMs * LEASE_SHARE));
  }

  private Duration confirmPeriod() {
    Duration bound = leaseBound();
    long ms = bound == null ? 1000 : bound.toMillis() / CONFIRMATIONS_PER_LEASE;
    return Duration.ofMillis(Math.max(50, ms));
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
