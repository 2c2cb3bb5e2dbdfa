package io.gleaner.cli.service;

import io.gleaner.idle.IdleDetectorService;
import io.gleaner.idle.IdleDetectorSettings;
import io.gleaner.idle.forecast.DurableHistoryStore;
import io.gleaner.idle.offer.ColocationOffers;
import io.gleaner.idle.source.RegistryMemberDirectory;
import io.gleaner.idle.state.DurableIdleTimerStore;
import io.gleaner.meta.config.GleanerConfig;
import io.gleaner.meta.coord.LeaderElection;
import io.gleaner.meta.coord.ZkStateStore;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.policy.PolicyWatcher;
import io.gleaner.meta.registry.MemberRegistry;

/** Assembles the idle-detector from its configuration and the GleanerPolicy. */
public final class IdleDetectorFactory {
  private IdleDetectorFactory() {}

  /** Starts the idle-detector in {@code ctx}; it stops when {@code ctx} closes. */
  public static IdleDetectorService start(ServiceContext ctx) {
    MemberRegistry registry = ctx.registry(true);
    PolicyWatcher policy = ctx.policy();
    LeaderElection election = ctx.election();
    ZkStateStore state = new ZkStateStore(ctx.curator(), ctx.metrics().registry());
    IdleDetectorService idle =
        new IdleDetectorService(
            ctx.clock(),
            ctx.metrics().registry(),
            new RegistryMemberDirectory(registry),
            ctx.brokerChannel(),
            new DurableIdleTimerStore(state, DurableIdleTimerStore.DEFAULT_ROOT),
            new DurableHistoryStore(state, DurableHistoryStore.DEFAULT_ROOT),
            election,
            config(policy.current(), ctx.config()),
            policy);
    idle.start();
    election.start();
    ctx.onClose(idle::stop);
    ctx.onClose(election::stop);
    ctx.admin().addReadinessCheck(idle.readiness());
    ctx.admin().addLivenessCheck(idle.liveness());
    return idle;
  }

  /** The policy's thresholds plus the config file's resync period and metrics age bound. */
  static IdleDetectorSettings config(EffectivePolicy policy, GleanerConfig config) {
    IdleDetectorSettings b =
        IdleDetectorSettings.fromPolicy(policy, "idle-detector/" + config.instance());
    ColocationOffers colocation =
        new ColocationOffers(
            b.colocation().cpuReclaimPercent(),
            b.colocation().memoryReclaimPercent(),
            config.idleDetector().metricsMaxAge());
    return new IdleDetectorSettings(
        b.criteria(),
        b.idleAfter(),
        b.cooldown(),
        b.nodeHeadroom(),
        colocation,
        b.minOffer(),
        b.metricsInterval(),
        config.idleDetector().resyncPeriod(),
        b.debounce(),
        b.tick(),
        b.sourceId(),
        b.podMetrics(),
        b.forecast(),
        b.elastic());
  }
}
