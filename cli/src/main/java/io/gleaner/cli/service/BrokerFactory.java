package io.gleaner.cli.service;

import io.gleaner.broker.BrokerService;
import io.gleaner.broker.dashboard.Dashboard;
import io.gleaner.broker.dashboard.DashboardModel;
import io.gleaner.broker.kueue.KueueQuotaController;
import io.gleaner.broker.membership.MemberOffersWithdrawal;
import io.gleaner.broker.quota.MemberQuotaWatch;
import io.gleaner.broker.teams.PendingPods;
import io.gleaner.meta.config.BrokerConfig;
import io.gleaner.meta.config.VirtualKubeletConfig;
import io.gleaner.meta.policy.PolicyWatcher;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.meta.resources.Resources;
import io.gleaner.meta.time.AcceleratedClock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Assembles the broker from its configuration: ledger, placement, gRPC server and dashboard. */
public final class BrokerFactory {
  private static final Logger log = LoggerFactory.getLogger(BrokerFactory.class);

  private BrokerFactory() {}

  /** Starts the broker in {@code ctx}; it stops when {@code ctx} closes. */
  public static BrokerService start(ServiceContext ctx) {
    MemberRegistry registry = ctx.registry(false);
    PolicyWatcher policy = ctx.policy();
    BrokerService broker =
        new BrokerService(
            ctx.config().broker(),
            policy,
            ctx.clock(),
            ctx.metrics().registry(),
            ctx.curator(),
            () -> MemberViews.lending(registry));
    VirtualKubeletConfig.NamespaceMapping mapping =
        ctx.config().virtualKubelet().namespaceMapping();
    broker.namespaceMapping(mapping);
    broker.start();
    ctx.onClose(broker::stop);
    // a member that leaves (or is gone, disabled) lends nothing from now on, not after the TTL
    registry.addListener(new MemberOffersWithdrawal(broker.ledger()));
    // the members' ResourceQuotas in the namespaces Gleaner maps to, for placement
    MemberQuotaWatch.start(registry, broker.ledger(), mapping);
    // the metadata pods waiting for room, for each team's share (ARCHITECTURE.md §4)
    PendingPods pending = new PendingPods(ctx.meta(), ctx.config().virtualKubelet().nodeName());
    ctx.onClose(pending::close);
    broker.pendingPods(pending::waiting);
    broker.nearLineWaiting(pending::nearLineWaiting);
    ctx.admin().addReadinessCheck(broker.readiness());
    BrokerConfig.Kueue kueue = ctx.config().broker().kueue();
    if (kueue.enabled()) {
      KueueQuotaController controller =
          new KueueQuotaController(
              ctx.meta(),
              ctx.config().virtualKubelet().nodeName(),
              () -> Resources.parse(broker.capacitySnapshot().getAdvertisedMap()),
              kueue.band());
      ScheduledExecutorService timer =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "kueue-quota");
                t.setDaemon(true);
                return t;
              });
      long period =
          (ctx.clock() instanceof AcceleratedClock ac
                  ? ac.toReal(kueue.interval())
                  : kueue.interval())
              .toMillis();
      timer.scheduleWithFixedDelay(
          () -> {
            try {
              controller.reconcile();
            } catch (RuntimeException e) {
              log.warn("Kueue quota pass failed: {}", e.toString());
            }
          },
          0,
          Math.max(100, period),
          TimeUnit.MILLISECONDS);
      ctx.onClose(timer::shutdownNow);
    }
    if (ctx.config().broker().dashboard().enabled()) {
      DashboardModel model =
          new DashboardModel(broker::capacitySnapshot, pending::podCounts, ctx.clock())
              .withMembers(() -> MemberViews.names(registry), () -> MemberViews.problems(registry))
              .withHarvest(broker.harvest()::figures)
              .withTeams(broker::teamShares);
      broker.addReclaimListener(model::record);
      new Dashboard(model).install(ctx.admin(), Duration.ofSeconds(5));
    }
    return broker;
  }
}
