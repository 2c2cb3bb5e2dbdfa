package io.gleaner.sandbox.invariants;

import java.time.Clock;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Observes the federation and checks the invariants on every {@link #run()}; each violation is
 * logged once with its evidence and counted for the summary. Graces run on real time ({@code
 * realClock}), whatever the simulated speed.
 */
public final class InvariantMonitor implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(InvariantMonitor.class);

  private final FederationObserver observer;
  private final Clock realClock;
  private final InvariantChecker checker = new InvariantChecker();
  private long observations;

  public InvariantMonitor(FederationObserver observer, Clock realClock) {
    this.observer = observer;
    this.realClock = realClock;
  }

  @Override
  public synchronized void run() {
    observer
        .observe()
        .ifPresent(
            o -> {
              observations++;
              for (InvariantChecker.Violation v : checker.check(o, realClock.instant())) {
                log.warn(
                    "invariant {} violated by {}: {}", v.kind().key(), v.subject(), v.evidence());
              }
            });
  }

  /** How many complete observations were checked. */
  public synchronized long observations() {
    return observations;
  }

  /** Violations so far by kind, zeros included. */
  public synchronized Map<String, Long> counts() {
    return checker.counts();
  }
}
