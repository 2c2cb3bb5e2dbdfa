package io.gleaner.sandbox.cli;

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
      io.gleaner.bench.PlacementBench.class,
      io.gleaner.bench.DetectorBench.class,
      io.gleaner.bench.VkBench.class,
      io.gleaner.bench.ReclaimBench.class
    })
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing benchmark name: one of " + spec.subcommands().keySet());
  }
}
