package io.gleaner.meta.coord;

import io.gleaner.meta.config.GleanerConfig;
import io.gleaner.meta.service.AbstractLifecycle;
import io.gleaner.meta.service.HealthCheck;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;

/**
 * A service's ZooKeeper side in one component: the client, the state store and the leader election
 * (or {@link AlwaysLeader} with {@code --leader-elect=false}). Start it before the components that
 * act on leadership; stopping it gives up leadership first, then closes the client.
 *
 * <pre>{@code
 * Coordination coord = new Coordination(config, "broker", ServiceMain.candidateId(), metrics.registry());
 * coord.addListener(ledger);                 // before start
 * runner.add(coord).add(ledger).add(grpcServer).add(admin);
 * admin.addReadinessCheck(coord.readiness());
 * }</pre>
 */
public final class Coordination extends AbstractLifecycle {
  private final GleanerConfig config;
  private final String election;
  private final String candidateId;
  private final MeterRegistry registry;
  private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
  private volatile CuratorFramework client;
  private volatile LeaderElection leaderElection;
  private volatile ZkStateStore store;

  /**
   * @param election the election name, normally the service name
   * @param candidateId this replica's id, e.g. {@link
   *     io.gleaner.meta.service.ServiceMain#candidateId()}
   */
  public Coordination(
      GleanerConfig config, String election, String candidateId, MeterRegistry registry) {
    super("coordination");
    this.config = Objects.requireNonNull(config, "config");
    this.election = Objects.requireNonNull(election, "election");
    this.candidateId = Objects.requireNonNull(candidateId, "candidateId");
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** Adds a leadership listener; before {@link #start()}. */
  public Coordination addListener(LeadershipListener listener) {
    if (state() != State.NEW) {
      throw new IllegalStateException("add leadership listeners before starting coordination");
    }
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  @Override
  protected void doStart() {
    client = Zk.connect(config.zk(), config.leaderElection().leaseDuration());
    Zk.instrument(client, registry);
    store = new ZkStateStore(client, registry);
    LeaderElection e =
        config.leaderElection().enabled()
            ? new ZkLeaderElection(client, election, candidateId, registry)
            : new AlwaysLeader(candidateId);
    listeners.forEach(e::addListener);
    leaderElection = e;
    e.start();
  }

  @Override
  protected void doStop() {
    LeaderElection e = leaderElection;
    if (e != null) {
      e.stop();
    }
    CuratorFramework c = client;
    if (c != null) {
      c.close();
    }
  }

  /** The connected client; valid once started. */
  public CuratorFramework client() {
    return requireStarted(client);
  }

  /** The leader election; valid once started. */
  public LeaderElection election() {
    return requireStarted(leaderElection);
  }

  /** The state store on this service's client; valid once started. */
  public StateStore stateStore() {
    return requireStarted(store);
  }

  /** Readiness: connected to ZooKeeper and the election running (leading or standing by). */
  public HealthCheck readiness() {
    return HealthCheck.of(
        name(),
        () -> {
          LeaderElection e = leaderElection;
          CuratorFramework c = client;
          if (e == null || c == null || !isRunning()) {
            return io.gleaner.meta.service.Health.down("coordination is " + state());
          }
          if (!c.getZookeeperClient().isConnected()) {
            return io.gleaner.meta.service.Health.down(
                "not connected to ZooKeeper at " + config.zk().connect());
          }
          return e.readiness().check();
        });
  }

  private <T> T requireStarted(T value) {
    if (value == null) {
      throw new IllegalStateException("coordination is " + state() + "; start it first");
    }
    return value;
  }
}
