package io.gleaner.meta.config;

import java.util.List;

/**
 * Invalid configuration. Every problem names its key path, e.g. {@code broker.grpc.port: expected
 * an integer, got "abc"}; the message lists them all.
 */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  public ConfigException(String problem) {
    this(List.of(problem), null);
  }

  public ConfigException(String problem, Throwable cause) {
    this(List.of(problem), cause);
  }

  public ConfigException(List<String> problems) {
    this(problems, null);
  }

  private ConfigException(List<String> problems, Throwable cause) {
    super(message(problems), cause);
    this.problems = List.copyOf(problems);
  }

  /** One line per problem, each starting with its key path. */
  public List<String> problems() {
    return problems;
  }

  private static String message(List<String> problems) {
    if (problems.size() == 1) {
      return "invalid configuration: " + problems.get(0);
    }
    return "invalid configuration ("
        + problems.size()
        + " problems):\n  "
        + String.join("\n  ", problems);
  }
}
