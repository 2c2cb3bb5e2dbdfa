package io.gleaner.cli.service;

import io.gleaner.descheduler.DeschedulerService;
import io.gleaner.descheduler.DeschedulerSettings;
import io.gleaner.descheduler.MemberSource;
import io.gleaner.meta.registry.MemberRegistry;

/** Assembles the descheduler from its configuration; it follows the member registry. */
public final class DeschedulerFactory {
  private DeschedulerFactory() {}

  /** Starts the descheduler in {@code ctx}; it stops when {@code ctx} closes. */
  public static DeschedulerService start(ServiceContext ctx) {
    MemberRegistry registry = ctx.registry(false);
    DeschedulerService d =
        new DeschedulerService(
            ctx.clock(),
            ctx.metrics().registry(),
            MemberSource.of(registry),
            ctx.brokerChannel(),
            ctx.election(),
            DeschedulerSettings.from(ctx.config().descheduler())
                .withInstance(ctx.config().instance()),
            ctx.policy(),
            ctx.config().descheduler().hooks().server());
    d.start();
    ctx.onClose(d::stop);
    return d;
  }
}
