package io.gleaner.cli.service;

import io.gleaner.broker.BrokerService;
import io.gleaner.broker.dashboard.Dashboard;
import io.gleaner.broker.dashboard.DashboardModel;
import io.gleaner.broker.teams.PendingPods;
import io.gleaner.meta.policy.PolicyWatcher;
import io.gleaner.meta.registry.MemberRegistry;
import java.time.Duration;

/** Assembles the broker from its configuration: ledger, placement, gRPC server and dashboard. */
public final class BrokerFactory {
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
            () -> MemberViews.names(registry));
    broker.start();
    ctx.onClose(broker::stop);
    // the metadata pods waiting for room, for each team's share (ARCHITECTURE.md §4)
    PendingPods pending = new PendingPods(ctx.meta(), ctx.config().virtualKubelet().nodeName());
    ctx.onClose(pending::close);
    broker.pendingPods(pending::waiting);
    ctx.admin().addReadinessCheck(broker.readiness());
    if (ctx.config().broker().dashboard().enabled()) {
      DashboardModel model =
          new DashboardModel(broker::capacitySnapshot, null, ctx.clock())
              .withMembers(() -> MemberViews.names(registry), () -> MemberViews.problems(registry))
              .withHarvest(broker.harvest()::figures)
              .withTeams(broker::teamShares);
      broker.addReclaimListener(model::record);
      new Dashboard(model).install(ctx.admin(), Duration.ofSeconds(5));
    }
    return broker;
  }
}
