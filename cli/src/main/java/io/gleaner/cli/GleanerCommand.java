package io.gleaner.cli;

import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code gleaner} command: each service, the capacity table, and the subcommands other modules
 * add through {@link GleanerSubcommand} (the sandbox, the benchmarks), all in one launcher jar.
 *
 * <p>Usage errors (an unknown command or flag, a bad value) print a clear message and exit with
 * code 2.
 */
@Command(
    name = "gleaner",
    mixinStandardHelpOptions = true,
    versionProvider = GleanerCommand.Version.class,
    description =
        "Gathers spare capacity from many Kubernetes clusters and offers it as one virtual node.",
    subcommands = {
      ServiceCommands.Broker.class,
      ServiceCommands.IdleDetector.class,
      ServiceCommands.VirtualKubelet.class,
      ServiceCommands.Descheduler.class,
      CapacityCommand.class,
      CommandLine.HelpCommand.class
    })
public final class GleanerCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing command: try 'gleaner sandbox' or 'gleaner --help'");
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code (2 for usage errors). */
  public static int execute(String... args) {
    CommandLine cl = new CommandLine(new GleanerCommand());
    for (Object extra : discovered()) {
      cl.addSubcommand(extra);
    }
    cl.setCaseInsensitiveEnumValuesAllowed(true).setUsageHelpAutoWidth(true);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof io.gleaner.meta.config.ConfigException) {
            commandLine.getErr().println("gleaner: " + e.getMessage());
            return 2;
          }
          commandLine
              .getErr()
              .println(
                  "gleaner "
                      + commandLine.getCommandName()
                      + ": "
                      + (e.getMessage() != null ? e.getMessage() : e.toString()));
          org.slf4j.LoggerFactory.getLogger(GleanerCommand.class).debug("command failed", e);
          return 1;
        });
    return cl.execute(args);
  }

  /** The subcommands on the class path besides the built-in ones, by name. */
  static List<Object> discovered() {
    return ServiceLoader.load(GleanerSubcommand.class).stream()
        .map(p -> p.get().command())
        .sorted(Comparator.comparing(c -> new CommandLine(c).getCommandName()))
        .toList();
  }

  /** The version from the jar manifest, or "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = GleanerCommand.class.getPackage().getImplementationVersion();
      return new String[] {"gleaner " + (v == null ? "dev" : v)};
    }
  }
}
