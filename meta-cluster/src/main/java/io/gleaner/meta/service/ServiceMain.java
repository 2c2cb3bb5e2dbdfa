package io.gleaner.meta.service;

import io.gleaner.meta.config.ConfigException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import picocli.CommandLine;

/**
 * Helpers for a service's {@code main}: run a picocli command with Gleaner's exit codes and error
 * style, and name the replica.
 *
 * <p>Exit codes: 0 success, 1 runtime failure (e.g. a component failed to start), 2 usage or
 * configuration error. Configuration and start-up errors print one clear message, no stack trace.
 */
public final class ServiceMain {
  /** Exit code for a failure at run time. */
  public static final int EXIT_FAILURE = 1;

  /** Exit code for bad flags or config. */
  public static final int EXIT_USAGE = 2;

  private ServiceMain() {}

  /**
   * Runs {@code command} with {@code args}; returns the exit code (call {@code System.exit} with
   * it).
   */
  public static int run(Object command, String... args) {
    CommandLine cl = new CommandLine(command);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          if (e instanceof ConfigException) {
            err.println(e.getMessage());
            return EXIT_USAGE;
          }
          if (e instanceof LifecycleException) {
            err.println("error: " + e.getMessage());
            return EXIT_FAILURE;
          }
          throw e;
        });
    cl.setExitCodeExceptionMapper(
        e ->
            e instanceof ConfigException || e instanceof CommandLine.ParameterException
                ? EXIT_USAGE
                : EXIT_FAILURE);
    return cl.execute(args);
  }

  /**
   * This replica's id for leader election and logs: {@code $POD_NAME} when set (the chart sets it
   * from the downward API), else {@code hostname-pid}.
   */
  public static String candidateId() {
    String pod = System.getenv("POD_NAME");
    if (pod != null && !pod.isBlank()) {
      return pod;
    }
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown-host";
    }
    return host + "-" + ManagementFactory.getRuntimeMXBean().getPid();
  }
}
