package io.gleaner.sim.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.gleaner.sim.apiserver.ServerExtensions.ExecOutput;
import io.gleaner.sim.apiserver.ServerExtensions.ExecResult;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimExecTest {
  private static final Instant NOW = Instant.parse("2026-12-03T10:00:00Z");
  private static final JsonNode POD =
      Serialization.jsonMapper()
          .valueToTree(
              java.util.Map.of(
                  "metadata", java.util.Map.of("name", "train-0"),
                  "spec",
                      java.util.Map.of(
                          "containers",
                          List.of(
                              java.util.Map.of(
                                  "name",
                                  "main",
                                  "env",
                                  List.of(
                                      java.util.Map.of("name", "TEAM", "value", "ml"),
                                      java.util.Map.of(
                                          "name", "FROM_SECRET", "valueFrom", java.util.Map.of())),
                                  "resources",
                                  java.util.Map.of(
                                      "requests", java.util.Map.of("cpu", "1500m")))))));

  private static ExecResult run(String... argv) {
    return SimExec.run(POD, "main", List.of(argv), NOW, "typed input\n");
  }

  private static String sh(String script) {
    return stdout(run("sh", "-c", script));
  }

  private static String stdout(ExecResult r) {
    return r.output().stream()
        .filter(o -> o.channel() == 1)
        .map(ExecOutput::text)
        .reduce("", String::concat);
  }

  @Test
  void commandsWithoutAShell() {
    assertThat(run("echo", "a", "b").output()).containsExactly(new ExecOutput(1, "a b\n"));
    assertThat(stdout(run("echo", "-n", "x"))).isEqualTo("x");
    assertThat(stdout(run("hostname"))).isEqualTo("train-0\n");
    assertThat(stdout(run("/bin/cat", "/etc/hostname"))).isEqualTo("train-0\n");
    assertThat(stdout(run("cat"))).isEqualTo("typed input\n");
    assertThat(stdout(run("nproc"))).isEqualTo("2\n");
    assertThat(stdout(run("date"))).isEqualTo("2026-12-03T10:00:00Z\n");
    assertThat(stdout(run("printenv", "TEAM"))).isEqualTo("ml\n");
    assertThat(stdout(run("env")))
        .contains("TEAM=ml\n", "HOSTNAME=train-0\n")
        .doesNotContain("FROM_SECRET");
    assertThat(run("true").exitCode()).isZero();
    assertThat(run("false").exitCode()).isEqualTo(1);
    assertThat(run("printenv", "NOPE").exitCode()).isEqualTo(1);
  }

  @Test
  void anUnknownProgramFailsToStartLikeAMissingBinary() {
    ExecResult r = run("python3", "train.py");
    assertThat(r.startError()).contains("exec: \"python3\": executable file not found in $PATH");
    assertThat(r.output()).isEmpty();
    assertThat(run().startError()).contains("at least one command");
  }

  @Test
  void shellScriptsSequenceExpandAndRedirect() {
    ExecResult r =
        run("sh", "-c", "echo one; echo two >&2; echo \"team $TEAM\" 'not $TEAM'; exit 7");
    assertThat(r.output())
        .containsExactly(
            new ExecOutput(1, "one\n"),
            new ExecOutput(2, "two\n"),
            new ExecOutput(1, "team ml not $TEAM\n"));
    assertThat(r.exitCode()).isEqualTo(7);
    assertThat(sh("false && echo no; false || echo yes; echo $?")).isEqualTo("yes\n0\n");
    assertThat(sh("false; echo status=$?")).isEqualTo("status=1\n");
    assertThat(sh("echo ${HOSTNAME}-x $ alone")).isEqualTo("train-0-x $ alone\n");
    assertThat(sh("echo 'a;b'; echo \"c && d\"")).isEqualTo("a;b\nc && d\n");
    assertThat(run("sh", "-c", "exit 300").exitCode()).isEqualTo(44);
  }

  @Test
  void anUnknownCommandInAScriptIsNotFound() {
    ExecResult r = run("bash", "-c", "nvidia-smi; echo after");
    assertThat(r.output())
        .containsExactly(
            new ExecOutput(2, "sh: nvidia-smi: not found\n"), new ExecOutput(1, "after\n"));
    assertThat(r.exitCode()).isZero();
    assertThat(run("sh", "-c", "nvidia-smi").exitCode()).isEqualTo(127);
  }

  @Test
  void aShellWithoutScriptReadsItsCommandsFromStdin() {
    ExecResult r = SimExec.run(POD, "main", List.of("sh"), NOW, "echo hi\nhostname\n");
    assertThat(stdout(r)).isEqualTo("hi\ntrain-0\n");
  }
}
