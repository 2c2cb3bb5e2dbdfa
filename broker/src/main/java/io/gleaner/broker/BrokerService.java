package io.gleaner.broker;

import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.ReclaimEvent;
import io.gleaner.broker.grpc.BrokerGrpcService;
import io.gleaner.broker.grpc.BrokerMetrics;
import io.gleaner.broker.grpc.BrokerServer;
import io.gleaner.broker.grpc.CapacityPublisher;
import io.gleaner.broker.grpc.HarvestMetrics;
import io.gleaner.broker.grpc.ReclaimLog;
import io.gleaner.broker.ledger.InMemoryLedgerStore;
import io.gleaner.broker.ledger.Ledger;
import io.gleaner.broker.ledger.LedgerStore;
import io.gleaner.broker.ledger.ZkLedgerStore;
import io.gleaner.broker.model.Placement;
import io.gleaner.broker.placement.PlacementPolicy;
import io.gleaner.broker.teams.TeamMetrics;
import io.gleaner.broker.teams.TeamShareBook;
import io.gleaner.broker.teams.TeamShares;
import io.gleaner.meta.config.BrokerConfig;
import io.gleaner.meta.config.VirtualKubeletConfig;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.TeamSpec;
import io.gleaner.meta.fair.Team;
import io.gleaner.meta.fair.Teams;
import io.gleaner.meta.policy.PolicySource;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.service.AbstractLifecycle;
import io.gleaner.meta.service.Health;
import io.gleaner.meta.service.HealthCheck;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's composition root: the ledger (on ZooKeeper, or in memory without a Curator client),
 * the gRPC server, capacity publishing, the TTL sweep and metrics. Replicas on one ZooKeeper are
 * safe without leader election: every ledger change is a compare-and-set on the node's record.
 *
 * <p>For the dashboard: {@link #capacitySnapshot()} and {@link #addReclaimListener}.
 */
public final class BrokerService extends AbstractLifecycle {
  private static final Logger log = LoggerFactory.getLogger(BrokerService.class);

  /** Where the ledger lives, relative to the Curator client's namespace. */
  public static final String LEDGER_PATH = "/broker/ledger";

  /** The most capacity pushes per second to each watcher. */
  public static final Duration CAPACITY_MIN_INTERVAL = Duration.ofMillis(200);

  private final BrokerConfig config;

  /** Guarded by this: the policy in force, handed to the ledger when it exists. */
  private PlacementPolicy policy;

  private final Clock clock;
  private final MeterRegistry registry;
  private final CuratorFramework curator;
  private final Supplier<Set<String>> knownClusters;
  private final ReclaimLog reclaims = new ReclaimLog(1000);

  private VirtualKubeletConfig.NamespaceMapping namespaceMapping =
      VirtualKubeletConfig.DEFAULTS.namespaceMapping();

  private LedgerStore store;
  private Ledger ledger;
  private CapacityPublisher publisher;
  private BrokerServer server;
  private ScheduledExecutorService sweeper;
  private HarvestMetrics harvest;
  private volatile Teams teams = Teams.only(Team.of(TeamSpec.DEFAULT_TEAM, 1));
  private TeamShareBook teamBook;
  private TeamMetrics teamMetrics;
  private volatile Function<Set<String>, Collection<TeamShareBook.PodDemand>> pendingPods =
      placed -> List.of();

  private volatile Function<Set<String>, List<Resources>> nearLineWaiting = placed -> List.of();
  private volatile List<Resources> nearLineWaitingNow = List.of();

  /** How often the teams' shares are recomputed (real time). */
  public static final Duration TEAM_SHARES_PERIOD = Duration.ofSeconds(5);

  /**
   * @param curator a started Curator client (namespaced per installation), or null for an in-memory
   *     ledger
   * @param knownClusters the member clusters offers may come from, or null to accept any
   */
  public BrokerService(
      BrokerConfig config,
      PlacementPolicy policy,
      Clock clock,
      MeterRegistry registry,
      CuratorFramework curator,
      Supplier<Set<String>> knownClusters) {
    super("broker");
    this.config = config;
    this.policy = policy;
    this.clock = clock;
    this.registry = registry;
    this.curator = curator;
    this.knownClusters = knownClusters;
  }

  /**
   * A broker whose reserve margins and near-line reserve follow {@code policy}: its current value
   * is in force from the start, and every change is applied live (advertised capacity and the next
   * placement) without a restart.
   */
  public BrokerService(
      BrokerConfig config,
      PolicySource policy,
      Clock clock,
      MeterRegistry registry,
      CuratorFramework curator,
      Supplier<Set<String>> knownClusters) {
    this(config, PlacementPolicy.from(policy.current()), clock, registry, curator, knownClusters);
    this.teams = policy.current().teams();
    policy.addListener(this::applyPolicy);
  }

  private synchronized void applyPolicy(EffectivePolicy next) {
    policy = policy.withMarginsOf(next);
    teams = next.teams();
    log.info(
        "placement policy now: margins {} %, near-line reserve {} %",
        policy.marginPercent(), policy.nearLineReservePercent());
    if (ledger != null) {
      ledger.policy(policy);
    }
  }

  /**
   * Where the virtual-kubelet puts each metadata namespace's pods in the members, so that placement
   * finds the member ResourceQuotas that apply (default: {@code gleaner-<namespace>}). Set before
   * {@link #start()}.
   */
  public synchronized BrokerService namespaceMapping(VirtualKubeletConfig.NamespaceMapping m) {
    this.namespaceMapping = Objects.requireNonNull(m, "namespaceMapping");
    return this;
  }

  /** The placement policy in force. */
  public synchronized PlacementPolicy policy() {
    return policy;
  }

  @Override
  protected void doStart() {
    store = curator != null ? new ZkLedgerStore(curator, LEDGER_PATH) : new InMemoryLedgerStore();
    synchronized (this) {
      ledger = new Ledger(store, policy, clock, config.offerTtl(), knownClusters, namespaceMapping);
    }
    BrokerMetrics metrics = new BrokerMetrics(registry, ledger);
    harvest = new HarvestMetrics(registry, clock);
    reclaims.addListener(harvest::reclaim);
    publisher =
        new CapacityPublisher(
            ledger,
            CAPACITY_MIN_INTERVAL,
            s -> {
              metrics.update(s);
              harvest.update(s.clusters());
            });
    BrokerGrpcService grpc = new BrokerGrpcService(ledger, publisher, reclaims, metrics);
    grpc.teams(() -> teamBook == null ? List.of() : TeamShares.toProto(teamBook.shares()));
    grpc.nearLineWaiting(() -> nearLineWaitingNow);
    grpc.gangTtl(config.gangTtl());
    BrokerConfig.Grpc g = config.grpc();
    server =
        new BrokerServer(
            g.host(),
            g.port(),
            g.tls().certFile(),
            g.tls().keyFile(),
            g.tls().clientCaFile(),
            List.of(grpc),
            registry);
    server.start();
    sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "broker-offer-ttl");
              t.setDaemon(true);
              return t;
            });
    sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
    teamBook = new TeamShareBook(clock);
    teamMetrics = new TeamMetrics(registry, teamBook);
    sweeper.scheduleWithFixedDelay(
        this::updateTeamShares, 0, TEAM_SHARES_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    log.info(
        "broker started: {} nodes and {} placements loaded, gRPC on port {}",
        ledger.offeredNodes().size(),
        ledger.placements(null).size(),
        server.port());
  }

  private void sweep() {
    try {
      int n = ledger.expireOffers();
      if (n > 0) {
        log.info("withdrew {} offers not refreshed within {}", n, config.offerTtl());
      }
      ledger.expireReservations();
    } catch (RuntimeException e) {
      log.warn("offer TTL sweep failed", e);
    }
  }

  /**
   * Where the metadata pods waiting for room come from: given the UIDs the ledger holds, the pods
   * bound to the virtual node and not placed and those held at the fair-share gate ({@link
   * io.gleaner.broker.teams.PendingPods}). Without it no pod counts as waiting.
   */
  public void pendingPods(Function<Set<String>, Collection<TeamShareBook.PodDemand>> source) {
    this.pendingPods = Objects.requireNonNull(source, "source");
  }

  /**
   * Where the requests of the near-line metadata pods waiting for room come from (given the UIDs
   * the ledger holds); GetCapacity reports them as of the last team-share pass, for elastic
   * scale-up.
   */
  public void nearLineWaiting(Function<Set<String>, List<Resources>> source) {
    this.nearLineWaiting = Objects.requireNonNull(source, "source");
  }

  /** Recomputes each team's share: the ledger's placements, the pods waiting, the offered pool. */
  public void updateTeamShares() {
    try {
      List<Placement> placed = ledger.placements(null);
      Set<String> uids = new HashSet<>();
      List<TeamShareBook.PodDemand> held = new ArrayList<>(placed.size());
      for (Placement p : placed) {
        uids.add(p.podUid());
        held.add(new TeamShareBook.PodDemand(p.namespace(), p.resources()));
      }
      Resources pool = Resources.parse(publisher.current().getOfferedMap());
      teamMetrics.update(teamBook.update(pool, teams, held, pendingPods.apply(uids)));
      List<Resources> nearLine = nearLineWaiting.apply(uids);
      nearLineWaitingNow = List.copyOf(nearLine.subList(0, Math.min(200, nearLine.size())));
    } catch (RuntimeException e) {
      log.warn("team shares not updated", e);
    }
  }

  /** Each team's share of the pool, as last computed (core-hours up to now). */
  public List<TeamShareBook.Share> teamShares() {
    requireRunning();
    return teamBook.shares();
  }

  @Override
  protected void doStop() {
    if (sweeper != null) {
      sweeper.shutdownNow();
    }
    if (server != null) {
      server.stop();
    }
    if (publisher != null) {
      publisher.close();
    }
    if (store != null) {
      store.close();
    }
  }

  /** The bound gRPC port. */
  public int port() {
    requireRunning();
    return server.port();
  }

  /** {@code 127.0.0.1:<port>}, for clients in the same JVM or host. */
  public String target() {
    return "127.0.0.1:" + port();
  }

  public Ledger ledger() {
    requireRunning();
    return ledger;
  }

  /** The capacity the broker advertises now (the latest published snapshot), for the dashboard. */
  public Capacity capacitySnapshot() {
    requireRunning();
    return publisher.current();
  }

  /** Called with every reclaim event a Withdraw carries. */
  public void addReclaimListener(Consumer<ReclaimEvent> listener) {
    reclaims.addListener(listener);
  }

  /** What the ledger says was harvested, per source. */
  public HarvestMetrics harvest() {
    requireRunning();
    return harvest;
  }

  public ReclaimLog reclaims() {
    return reclaims;
  }

  /** Ready while running and, with ZooKeeper, connected to it. */
  public HealthCheck readiness() {
    return HealthCheck.of(
        "broker",
        () -> {
          if (!isRunning()) {
            return Health.down("broker is " + state());
          }
          if (curator != null && !curator.getZookeeperClient().isConnected()) {
            return Health.down("not connected to ZooKeeper");
          }
          return Health.up(ledger.offeredNodes().size() + " nodes offered");
        });
  }
}
