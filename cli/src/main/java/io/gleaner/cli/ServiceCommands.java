package io.gleaner.cli;

import io.gleaner.cli.service.BrokerFactory;
import io.gleaner.cli.service.DeschedulerFactory;
import io.gleaner.cli.service.IdleDetectorFactory;
import io.gleaner.cli.service.ServiceContext;
import io.gleaner.cli.service.VirtualKubeletFactory;
import io.gleaner.meta.config.CommonOptions;
import io.gleaner.meta.config.GleanerConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * One command per service, as deployed by the Helm chart: {@code gleaner broker}, {@code gleaner
 * idle-detector}, {@code gleaner virtual-kubelet}, {@code gleaner descheduler}. Each reads the
 * shared config file and flags, has its service's factory assemble it, serves {@code /healthz},
 * {@code /readyz} and {@code /metrics}, and runs until it is terminated.
 */
public final class ServiceCommands {
  private ServiceCommands() {}

  /** Something a factory starts in a context. */
  @FunctionalInterface
  interface Starter {
    void start(ServiceContext ctx) throws Exception;
  }

  static int run(String service, CommonOptions common, Starter starter) throws Exception {
    ServiceContext ctx = ServiceContext.open(service, GleanerConfig.load(common));
    try {
      starter.start(ctx);
    } catch (Exception | Error e) {
      ctx.close();
      throw e;
    }
    return ctx.serve();
  }

  /** {@code gleaner broker}. */
  @Command(
      name = "broker",
      mixinStandardHelpOptions = true,
      description =
          "Runs the broker: capacity ledger, placement, the gleaner.v1 gRPC server and the capacity dashboard.")
  public static final class Broker implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      return run("broker", common, BrokerFactory::start);
    }
  }

  /** {@code gleaner idle-detector}. */
  @Command(
      name = "idle-detector",
      mixinStandardHelpOptions = true,
      description =
          "Runs the capacity sources: idle online nodes, Volcano fragments and co-location capacity, offered to the broker.")
  public static final class IdleDetector implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      return run("idle-detector", common, IdleDetectorFactory::start);
    }
  }

  /** {@code gleaner virtual-kubelet}. */
  @Command(
      name = "virtual-kubelet",
      mixinStandardHelpOptions = true,
      description =
          "Runs the virtual node in the metadata cluster: node lifecycle, pod controller and the kubelet API.")
  public static final class VirtualKubelet implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      // the chart sets POD_IP from the downward API
      return run(
          "virtual-kubelet",
          common,
          ctx -> VirtualKubeletFactory.start(ctx, System.getenv("POD_IP")));
    }
  }

  /** {@code gleaner descheduler}. */
  @Command(
      name = "descheduler",
      mixinStandardHelpOptions = true,
      description =
          "Runs the event-driven descheduler: reclaims lent capacity when online pods cannot schedule, and publishes reclaim events.")
  public static final class Descheduler implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
      return run("descheduler", common, DeschedulerFactory::start);
    }
  }
}
