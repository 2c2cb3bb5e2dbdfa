package io.gleaner.meta.coord;

import io.gleaner.meta.service.AbstractLifecycle;
import io.gleaner.meta.service.Health;
import io.gleaner.meta.service.HealthCheck;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The election of one: leads from start to stop with epoch 1. For {@code --leader-elect=false} and
 * for tests; never run two replicas with it.
 */
public final class AlwaysLeader extends AbstractLifecycle implements LeaderElection {
  private static final Logger log = LoggerFactory.getLogger(AlwaysLeader.class);

  private final String candidateId;
  private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean acting;

  public AlwaysLeader(String candidateId) {
    super("leader-election/always");
    this.candidateId = candidateId;
  }

  @Override
  protected void doStart() {
    log.warn(
        "leader election is disabled: {} acts as leader unconditionally (run only one replica)",
        candidateId);
    synchronized (this) {
      acting = true;
      notifyAll();
    }
    for (LeadershipListener l : listeners) {
      l.onStartedLeading(1);
    }
  }

  @Override
  protected void doStop() {
    boolean was = acting;
    acting = false;
    if (was) {
      for (LeadershipListener l : listeners) {
        l.onStoppedLeading();
      }
    }
  }

  @Override
  public boolean isLeader() {
    return acting;
  }

  @Override
  public long epoch() {
    return acting ? 1 : 0;
  }

  @Override
  public synchronized boolean awaitLeadership(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!acting) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  @Override
  public void addListener(LeadershipListener listener) {
    listeners.add(listener);
  }

  @Override
  public String candidateId() {
    return candidateId;
  }

  @Override
  public Optional<Op> fencingCheck() {
    return Optional.empty();
  }

  @Override
  public HealthCheck readiness() {
    return HealthCheck.of(
        name(),
        () -> acting ? Health.up("leading (election disabled)") : Health.down("not started"));
  }
}
