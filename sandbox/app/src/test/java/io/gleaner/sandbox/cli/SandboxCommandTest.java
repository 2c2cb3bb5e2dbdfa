package io.gleaner.sandbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The sandbox's flags as the options they give. */
class SandboxCommandTest {
  private static SandboxOptions parse(String... args) {
    SandboxCommand command = new SandboxCommand();
    new CommandLine(command).parseArgs(args);
    return command.options();
  }

  @Test
  void offlinePodsDeclareTheirRunTimesUnlessToldNot() {
    assertThat(parse().declaredRuntimes()).isTrue();
    assertThat(parse("--declared-runtime").declaredRuntimes()).isTrue();
    SandboxOptions off = parse("--no-declared-runtime");
    assertThat(off.declaredRuntimes()).isFalse();
    assertThat(off.forecast()).as("the other flags keep their defaults").isTrue();
    assertThat(off.fairness()).isTrue();
    assertThat(parse("--no-forecast", "--no-declared-runtime").forecast()).isFalse();
  }
}
