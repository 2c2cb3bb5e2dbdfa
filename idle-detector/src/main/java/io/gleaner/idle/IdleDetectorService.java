package io.gleaner.idle;

import io.gleaner.api.client.BrokerApiClient;
import io.gleaner.api.client.LeaderFencedCalls;
import io.gleaner.api.v1.PodShape;
import io.gleaner.idle.forecast.HistoryStore;
import io.gleaner.idle.forecast.InMemoryHistoryStore;
import io.gleaner.idle.publish.OfferPublisher;
import io.gleaner.idle.source.ClusterCache;
import io.gleaner.idle.source.ClusterWatch;
import io.gleaner.idle.source.KubeNodeWriter;
import io.gleaner.idle.source.Member;
import io.gleaner.idle.source.MemberDirectory;
import io.gleaner.idle.state.IdleTimerStore;
import io.gleaner.meta.coord.LeaderElection;
import io.gleaner.meta.coord.LeadershipListener;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.kube.SkippedPods;
import io.gleaner.meta.policy.PolicySource;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.service.AbstractLifecycle;
import io.gleaner.meta.service.Health;
import io.gleaner.meta.service.HealthCheck;
import io.gleaner.meta.time.AcceleratedClock;
import io.grpc.Channel;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idle-detector's composition root: watches the member clusters it is given, runs the {@link
 * IdleDetector} and publishes offers to the broker over gRPC.
 *
 * <p>It acts only while it leads ({@link LeaderElection}; pass an {@code AlwaysLeader} for one
 * replica): on leadership it opens the offer stream, attaches to the member directory (one {@link
 * ClusterWatch} per member) and starts the detector thread; on losing it, it stops all of that at
 * once, so only the leader writes timers and node labels. While its ZooKeeper connection is
 * suspended, or its lease has run out, it pauses (no pass, no offer) and keeps its member watches:
 * a connection blip re-lists nothing. The election itself, the broker channel, the member directory
 * and the timer store are owned by the caller.
 *
 * <p>Threads: one detector thread (debounced recomputes, due timers, member health every 500 ms
 * real), two metrics pollers, four node writers, plus the members' informer threads.
 */
public final class IdleDetectorService extends AbstractLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(IdleDetectorService.class);

  /**
   * Real time a member may look unreachable (informers reconnecting) before its offers are
   * withdrawn.
   */
  static final Duration UNREACHABLE_GRACE = Duration.ofSeconds(3);

  /**
   * Real time a member leaving the installation (its MemberCluster deleted) is held open while this
   * installation's claims are removed from its nodes; what is left then goes stale.
   */
  static final Duration CLAIM_RELEASE_WAIT = Duration.ofSeconds(10);

  private final Clock clock;
  private final MeterRegistry meters;
  private final SkippedPods skippedPods;
  private final MemberDirectory members;
  private final Channel broker;
  private final IdleTimerStore store;
  private final HistoryStore histories;
  private final LeaderElection election;

  /** Guarded by {@code lock}; the GleanerPolicy's part changes live. */
  private IdleDetectorSettings config;

  /** Whether the policy's elastic budget is on: only then is the broker asked what waits. */
  private volatile boolean elastic;

  /** How often (real time) the near-line pods waiting for room are read from the broker. */
  static final Duration NEAR_LINE_POLL = Duration.ofSeconds(1);

  private final IdleMetrics metrics;
  private final Object lock = new Object();
  private Engine engine;

  /**
   * @param broker channel to the broker (owned by the caller)
   * @param election decides when this replica acts; started and stopped by the caller
   */
  public IdleDetectorService(
      Clock clock,
      MeterRegistry meters,
      MemberDirectory members,
      Channel broker,
      IdleTimerStore store,
      LeaderElection election,
      IdleDetectorSettings config) {
    this(clock, meters, members, broker, store, new InMemoryHistoryStore(), election, config);
  }

  /**
   * @param histories the online histories the forecast reads (owned by the caller)
   */
  public IdleDetectorService(
      Clock clock,
      MeterRegistry meters,
      MemberDirectory members,
      Channel broker,
      IdleTimerStore store,
      HistoryStore histories,
      LeaderElection election,
      IdleDetectorSettings config) {
    super("idle-detector");
    this.histories = Objects.requireNonNull(histories, "histories");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.members = Objects.requireNonNull(members, "members");
    // the offers and withdrawals of a replica that may not act (lease run out, ZooKeeper
    // suspended) are refused before they are sent
    this.broker =
        LeaderFencedCalls.fence(
            Objects.requireNonNull(broker, "broker"),
            Objects.requireNonNull(election, "election")::isLeader,
            Objects.requireNonNull(meters, "meters"));
    this.store = Objects.requireNonNull(store, "store");
    this.election = Objects.requireNonNull(election, "election");
    this.config = Objects.requireNonNull(config, "config");
    this.elastic = config.elastic().enabled();
    this.metrics = new IdleMetrics(meters);
    this.skippedPods = new SkippedPods(meters, IdleMetrics.SKIPPED_PODS);
  }

  /**
   * A detector whose idle criteria, idleAfter, cool-down and node headroom follow {@code policy}
   * (its current value in force from the start, every change applied live); the rest of {@code
   * config} as given.
   */
  public IdleDetectorService(
      Clock clock,
      MeterRegistry meters,
      MemberDirectory members,
      Channel broker,
      IdleTimerStore store,
      LeaderElection election,
      IdleDetectorSettings config,
      PolicySource policy) {
    this(
        clock,
        meters,
        members,
        broker,
        store,
        new InMemoryHistoryStore(),
        election,
        config,
        policy);
  }

  /**
   * A detector that follows {@code policy} (as above) and keeps its online histories in {@code
   * histories}.
   */
  public IdleDetectorService(
      Clock clock,
      MeterRegistry meters,
      MemberDirectory members,
      Channel broker,
      IdleTimerStore store,
      HistoryStore histories,
      LeaderElection election,
      IdleDetectorSettings config,
      PolicySource policy) {
    this(
        clock,
        meters,
        members,
        broker,
        store,
        histories,
        election,
        config.withPolicy(policy.current()));
    policy.addListener(this::applyPolicy);
  }

  private void applyPolicy(EffectivePolicy next) {
    synchronized (lock) {
      config = config.withPolicy(next);
      elastic = config.elastic().enabled();
      if (engine != null) {
        engine.detector.reconfigure(config);
      }
    }
  }

  @Override
  protected void doStart() {
    election.addListener(
        new LeadershipListener() {
          @Override
          public void onStartedLeading(long epoch) {
            LOG.info(
                "idle-detector leads (epoch {}): watching members and publishing offers", epoch);
            synchronized (lock) {
              if (engine == null && isRunningOrStarting()) {
                engine = new Engine();
                engine.start();
              }
            }
          }

          @Override
          public void onStoppedLeading() {
            LOG.info("idle-detector no longer leads: stopping");
            stopEngine();
          }
        });
    if (election.isLeader()) {
      synchronized (lock) {
        if (engine == null) {
          engine = new Engine();
          engine.start();
        }
      }
    }
  }

  private boolean isRunningOrStarting() {
    State s = state();
    return s == State.RUNNING || s == State.STARTING;
  }

  @Override
  protected void doStop() {
    stopEngine();
  }

  private void stopEngine() {
    Engine e;
    synchronized (lock) {
      e = engine;
      engine = null;
    }
    if (e != null) {
      e.stop();
    }
  }

  /** The running detector, while this replica leads (for tests, benches and the sandbox). */
  public java.util.Optional<IdleDetector> detector() {
    synchronized (lock) {
      return engine == null ? java.util.Optional.empty() : java.util.Optional.of(engine.detector);
    }
  }

  /** The offer publisher, while this replica leads. */
  public java.util.Optional<OfferPublisher> publisher() {
    synchronized (lock) {
      return engine == null ? java.util.Optional.empty() : java.util.Optional.of(engine.publisher);
    }
  }

  /** Readiness: UP while running; leading replicas also need an open offer stream. */
  public HealthCheck readiness() {
    return HealthCheck.of(
        "idle-detector",
        () -> {
          if (!isRunning()) {
            return Health.down("idle-detector is " + state());
          }
          OfferPublisher p = publisher().orElse(null);
          if (p == null) {
            return Health.up("standing by (not the leader)");
          }
          return p.connected()
              ? Health.up("leading; offer stream open")
              : Health.down("leading; offer stream to the broker not open");
        });
  }

  /** Liveness: UP unless the service failed. */
  public HealthCheck liveness() {
    return HealthCheck.of(
        "idle-detector",
        () -> state() == State.FAILED ? Health.down("failed to start") : Health.up(state().name()));
  }

  /** What runs while this replica leads. */
  private final class Engine implements MemberDirectory.Listener, ClusterWatch.Listener {
    /** The config this engine started with (the lock is held while an engine is made). */
    final IdleDetectorSettings config = IdleDetectorService.this.config;

    final ScheduledExecutorService thread =
        Executors.newSingleThreadScheduledExecutor(daemon("idle-detector"));
    final ScheduledExecutorService pollers =
        Executors.newScheduledThreadPool(2, daemon("idle-metrics-poll"));
    final ExecutorService io = Executors.newFixedThreadPool(4, daemon("idle-node-writer"));
    final OfferPublisher publisher =
        new OfferPublisher(broker, config.sourceId(), thread, Duration.ofHours(1), meters);
    final KubeNodeWriter writer = new KubeNodeWriter(io);
    final BrokerApiClient nearLineClient = BrokerApiClient.on(broker);
    final AtomicBoolean scheduled = new AtomicBoolean();
    final IdleDetector detector =
        new IdleDetector(clock, config, store, histories, publisher, writer, metrics, this::wakeup);

    /** Detector thread only. */
    final Map<String, ClusterWatch> watches = new HashMap<>();

    final Map<String, Long> problemSince = new HashMap<>();
    final Map<String, Boolean> reported = new HashMap<>();
    volatile boolean stopped;

    void start() {
      publisher.start();
      long tick = Math.max(1, config.tick().toMillis());
      thread.scheduleWithFixedDelay(this::process, tick, tick, TimeUnit.MILLISECONDS);
      thread.scheduleWithFixedDelay(this::checkHealth, 500, 500, TimeUnit.MILLISECONDS);
      members.attach(this);
      detector.placeholders(writer);
      long poll = NEAR_LINE_POLL.toMillis();
      pollers.scheduleWithFixedDelay(this::pollNearLine, poll, poll, TimeUnit.MILLISECONDS);
    }

    /** The near-line pods waiting for room, from the broker (only with an elastic budget). */
    void pollNearLine() {
      if (stopped) {
        return;
      }
      if (!elastic) {
        detector.setNearLineWaiting(List.of());
        return;
      }
      try {
        List<Resources> waiting = new ArrayList<>();
        for (PodShape s : nearLineClient.capacity().getNearLineWaitingList()) {
          waiting.add(Resources.parse(s.getRequestsMap()));
        }
        detector.setNearLineWaiting(waiting);
      } catch (RuntimeException e) {
        LOG.debug("near-line demand not read from the broker: {}", e.toString());
      }
    }

    void stop() {
      stopped = true;
      members.detach(this);
      try {
        thread
            .submit(
                () -> {
                  watches.values().forEach(ClusterWatch::close);
                  watches.clear();
                  detector.saveHistories();
                })
            .get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("closing member watches failed: {}", e.toString());
      }
      publisher.close();
      thread.shutdownNow();
      pollers.shutdownNow();
      io.shutdownNow();
      try {
        store.flush();
      } catch (RuntimeException e) {
        LOG.warn("idle timers not flushed on stop: {}", e.getMessage());
      }
      try {
        histories.flush();
      } catch (RuntimeException e) {
        LOG.warn("online histories not flushed on stop: {}", e.getMessage());
      }
    }

    void wakeup() {
      if (!stopped && scheduled.compareAndSet(false, true)) {
        thread.schedule(
            () -> {
              scheduled.set(false);
              process();
            },
            config.debounce().toNanos(),
            TimeUnit.NANOSECONDS);
      }
    }

    void process() {
      if (stopped || !election.isLeader()) {
        return; // paused while the lease is not valid (ZooKeeper suspended); the term goes on
      }
      try {
        detector.process();
      } catch (RuntimeException e) {
        LOG.error("idle-detector pass failed", e);
      }
    }

    @Override
    public void added(Member member) {
      thread.execute(
          () -> {
            if (stopped) {
              return;
            }
            removeWatch(member.name());
            ClusterCache cache = new ClusterCache(member.name());
            ClusterWatch watch =
                new ClusterWatch(
                    member,
                    cache,
                    this,
                    pollers,
                    realPeriod(config.metricsInterval()),
                    config.podMetrics(),
                    skippedPods,
                    config.instance());
            writer.add(member);
            detector.addCluster(member.name(), member.roles(), cache);
            watches.put(member.name(), watch);
            try {
              watch.start();
            } catch (RuntimeException e) {
              LOG.error("cannot watch member {}: {}", member.name(), e.toString());
            }
          });
    }

    @Override
    public void removed(String cluster) {
      thread.execute(() -> removeWatch(cluster));
    }

    /**
     * On the directory's thread, the member's client still open: waits (at most {@link
     * #CLAIM_RELEASE_WAIT}) while the detector removes this installation's claims from the member's
     * nodes, then lets go of the member.
     */
    @Override
    public void deregistered(String cluster) {
      if (!stopped) {
        try {
          int released =
              detector
                  .releaseClaims(cluster)
                  .get(CLAIM_RELEASE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
          LOG.info(
              "member {} left the installation: {} claims removed; letting go of it",
              cluster,
              released);
        } catch (TimeoutException e) {
          LOG.warn(
              "member {} left the installation: its claims not all removed within {}; letting go"
                  + " of it",
              cluster,
              CLAIM_RELEASE_WAIT);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
          LOG.warn("member {}: removing its claims failed: {}", cluster, e.getCause().toString());
        }
      }
      removed(cluster);
    }

    private void removeWatch(String cluster) {
      ClusterWatch w = watches.remove(cluster);
      if (w != null) {
        w.close();
        writer.remove(cluster);
        detector.removeCluster(cluster);
        problemSince.remove(cluster);
        reported.remove(cluster);
      }
    }

    @Override
    public void nodeChanged(String cluster, String node, long changeNanos) {
      detector.markNode(cluster, node, changeNanos);
    }

    @Override
    public void clusterChanged(String cluster, long changeNanos) {
      detector.markCluster(cluster, changeNanos);
    }

    void checkHealth() {
      if (stopped || !election.isLeader()) {
        return;
      }
      long now = System.nanoTime();
      for (ClusterWatch w : watches.values()) {
        String problem = w.problem();
        if (problem.isEmpty()) {
          problemSince.remove(w.cluster());
          report(w.cluster(), true, "");
          continue;
        }
        long since = problemSince.computeIfAbsent(w.cluster(), c -> now);
        if (!w.synced() || now - since >= UNREACHABLE_GRACE.toNanos()) {
          report(w.cluster(), false, problem);
        }
      }
    }

    private void report(String cluster, boolean reachable, String message) {
      if (!Boolean.valueOf(reachable).equals(reported.put(cluster, reachable))) {
        detector.setReachable(cluster, reachable, message);
      }
    }

    private Duration realPeriod(Duration simulated) {
      Duration real = clock instanceof AcceleratedClock a ? a.toReal(simulated) : simulated;
      return real.compareTo(Duration.ofMillis(200)) < 0 ? Duration.ofMillis(200) : real;
    }
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
