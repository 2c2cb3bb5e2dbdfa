package io.gleaner.meta.coord;

import io.gleaner.meta.service.HealthCheck;
import io.gleaner.meta.service.Lifecycle;
import java.time.Duration;
import java.util.Optional;

/**
 * Decides which replica of a service acts. {@link ZkLeaderElection} elects through ZooKeeper;
 * {@link AlwaysLeader} is for {@code --leader-elect=false} (one replica).
 *
 * <p>A replica acts only while {@link #isLeader()} is true. It pauses as soon as its ZooKeeper
 * connection is suspended (before its session can expire and another replica take over), resumes
 * the same leadership if the connection comes back within the session, and re-enters the election
 * when the session is lost. Listeners hear only of the start and the end of a leadership, not of
 * pauses.
 */
public interface LeaderElection extends Lifecycle {

  /**
   * Whether this replica may act now: it leads and its lease ({@link LeaderLease}) has not run out.
   * Cheap (a volatile read and a {@code nanoTime}); every write checks it (the clients' fencing).
   */
  boolean isLeader();

  /** The fencing epoch of the current leadership, or 0 when not leading. */
  long epoch();

  /**
   * Waits until this replica leads and its listeners have been told, or {@code timeout} passes;
   * true when leading.
   */
  boolean awaitLeadership(Duration timeout) throws InterruptedException;

  /** Adds a listener; call before {@link #start()} to see every transition. */
  void addListener(LeadershipListener listener);

  /** This replica's id in the election. */
  String candidateId();

  /**
   * A transaction op that fails unless this replica's last leadership is still current: add it to
   * every {@link StateStore#transaction} that must not be applied by a deposed leader. Empty when
   * there is nothing to fence against (never led, or {@link AlwaysLeader}).
   */
  Optional<Op> fencingCheck();

  /** Readiness: UP while running and able to act or stand by. */
  HealthCheck readiness();
}
