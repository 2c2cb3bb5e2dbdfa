package io.gleaner.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code gleaner bench <name>}: the benchmarks whose figures the README quotes. Each prints one
 * JSON line last.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Runs a benchmark scenario and prints its figures; the last line is one JSON object.",
    subcommands = {
      PlacementBench.class,
      DetectorBench.class,
      VkBench.class,
      ReclaimBench.class,
      FairnessBench.class,
      HarvestBench.class,
      io.gleaner.bench.system.SystemBench.class
    })
public final class BenchCommand implements Runnable {
  /** Adds {@code bench} to the {@code gleaner} command. */
  public static final class Provider implements io.gleaner.cli.GleanerSubcommand {
    @Override
    public Object command() {
      return new BenchCommand();
    }
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing benchmark name: one of " + spec.subcommands().keySet());
  }
}
