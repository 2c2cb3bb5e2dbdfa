package io.gleaner.sandbox.invariants;

import io.gleaner.sim.apiserver.audit.AuditLog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Observes the federation and checks the invariants on every {@link #run()}; each violation is
 * logged once with its evidence and counted for the summary. Graces run on real time ({@code
 * realClock}), whatever the simulated speed. The members' audit trails, read from where the last
 * run stopped, are judged by {@link PodOwnershipRule}; the looks also by {@link OnlineWaitRule}.
 */
public final class InvariantMonitor implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(InvariantMonitor.class);
  private static final int AUDIT_PAGE = 10_000;

  private final FederationObserver observer;
  private final Clock realClock;
  private final Supplier<Map<String, AuditLog>> memberAudits;
  private final InvariantChecker checker = new InvariantChecker();
  private final PodOwnershipRule ownership;
  private final OnlineWaitRule onlineWaits;
  private final Supplier<InvariantChecker.Acting> acting;
  private String cannotAct;
  private final Map<String, Long> auditRead = new HashMap<>();
  private long observations;
  private long auditEventsMissed;

  /**
   * @param memberAudits the members' audit trails by cluster name
   * @param gleaner whether a user name is one of Gleaner's identities in the members
   * @param speed how much faster than real time the simulated clock runs
   * @param acting whether ZooKeeper has a quorum and a virtual-kubelet replica leads, asked once a
   *     look has read the federation (see {@link Invariant#clearedByActing()})
   */
  public InvariantMonitor(
      FederationObserver observer,
      Clock realClock,
      Supplier<Map<String, AuditLog>> memberAudits,
      Predicate<String> gleaner,
      double speed,
      Supplier<InvariantChecker.Acting> acting) {
    this.observer = observer;
    this.realClock = realClock;
    this.memberAudits = memberAudits;
    this.ownership = new PodOwnershipRule(gleaner);
    this.onlineWaits = new OnlineWaitRule(speed);
    this.acting = acting;
  }

  @Override
  public synchronized void run() {
    // the audit first: a pod deleted after this look was created before it
    memberAudits
        .get()
        .forEach(
            (cluster, audit) -> {
              long after = auditRead.getOrDefault(cluster, 0L);
              while (true) {
                AuditLog.Page page = audit.read(after, AUDIT_PAGE);
                if (page.missed() > 0) {
                  auditEventsMissed += page.missed();
                  log.warn(
                      "audit trail of {}: {} events dropped before they were read; pods created"
                          + " then are unknown to the ownership check",
                      cluster,
                      page.missed());
                }
                logAll(
                    checker.report(ownership.accept(cluster, page.events()), realClock.instant()));
                after = page.last();
                if (page.events().size() < AUDIT_PAGE) {
                  break;
                }
              }
              auditRead.put(cluster, after);
            });
    Instant started = realClock.instant();
    observer
        .observe()
        .ifPresent(
            o -> {
              observations++;
              InvariantChecker.Acting who = acting.get();
              Instant now = realClock.instant();
              List<InvariantChecker.Violation> found = checker.check(o, now, who);
              if (!found.isEmpty()) {
                log.info(
                    "the look that found them took {} ms",
                    Duration.between(started, now).toMillis());
              }
              logAll(found);
              String cannot = who.cannot();
              if (!Objects.equals(cannot, cannotAct)) {
                if (cannot == null) {
                  log.info(
                      "Gleaner may act again ({} conditions holding): the graces of lags only"
                          + " acting clears run from the last look without it ({})",
                      checker.holding(),
                      cannotAct);
                } else {
                  log.info(
                      "{} ({} conditions holding): nothing clears the lags only acting clears;"
                          + " their graces wait for it to come back (a failover for at most {})",
                      cannot,
                      checker.holding(),
                      InvariantChecker.LONGEST_FAILOVER);
                }
                cannotAct = cannot;
              }
              logAll(checker.report(onlineWaits.check(o), now));
            });
  }

  private static void logAll(List<InvariantChecker.Violation> violations) {
    for (InvariantChecker.Violation v : violations) {
      log.warn("invariant {} violated by {}: {}", v.kind().key(), v.subject(), v.evidence());
    }
  }

  /** How many complete observations were checked. */
  public synchronized long observations() {
    return observations;
  }

  /** Violations so far by kind, zeros included. */
  public synchronized Map<String, Long> counts() {
    return checker.counts();
  }

  /**
   * Violations by kind (zeros included) whose condition was first seen from {@code from} to before
   * {@code to} (null: no end), real time; see {@link InvariantChecker#countsFirstSeen}.
   */
  public synchronized Map<String, Long> countsFirstSeen(Instant from, Instant to) {
    return checker.countsFirstSeen(from, to);
  }

  /** Gangs placed through the virtual node seen running whole so far. */
  public synchronized long gangsRunWhole() {
    return checker.gangsRunWhole();
  }

  /** The online pods' waits for Gleaner judged so far (simulated time). */
  public synchronized List<OnlineWaitRule.Wait> onlineWaits() {
    return onlineWaits.judged();
  }

  /** Audit events dropped before this monitor read them (0 when the ownership check saw all). */
  public synchronized long auditEventsMissed() {
    return auditEventsMissed;
  }
}
