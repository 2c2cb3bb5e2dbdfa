package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.gleaner.meta.registry.MemberHandle;
import io.gleaner.meta.registry.MemberRegistry;
import io.gleaner.meta.registry.MemberRegistryConfig;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Deploying" step 2, run as written: its shell commands with the real kubectl and its
 * {@code member-a.yaml}, against a simulated metadata cluster; then Gleaner's own member registry
 * must connect the member they registered. A change to the README's commands or manifest that
 * Gleaner would not understand fails here.
 */
class DeployingStepsIT {
  @TempDir Path dir;

  @Test
  void stepTwoOfTheReadmeRegistersAMemberThatGleanerConnects() throws Exception {
    String step = Readme.between(Readme.text(), "**2. Register each member", "**3. Install");
    List<String> commands = shellLines(Readme.block(step, "sh"));
    String manifest = Readme.block(step, "yaml");
    assertThat(commands).as("README step 2 commands").isNotEmpty();
    assertThat(manifest).contains("kind: MemberCluster");

    try (SimRuntime runtime = SimRuntime.create();
        SimulatedCluster meta =
            SimulatedCluster.builder("meta").runtime(runtime).gleanerCrds(true).build();
        SimulatedCluster member =
            SimulatedCluster.builder("member-a")
                .runtime(runtime)
                .nodes(NodeShape.of(1, "8", "32Gi"))
                .build()) {
      Path metaKubeconfig = dir.resolve("meta.kubeconfig");
      Files.writeString(metaKubeconfig, meta.kubeconfig());
      Files.writeString(dir.resolve("member-a.kubeconfig"), member.kubeconfig());
      Files.writeString(dir.resolve("member-a.yaml"), manifest);
      for (String command : commands) {
        run(metaKubeconfig, command);
      }

      MemberRegistry registry =
          new MemberRegistry(
              meta.client(),
              MemberRegistryConfig.defaults("gleaner-system")
                  .withProbe(Duration.ofMillis(200), Duration.ofSeconds(10)),
              Clock.systemUTC(),
              new SimpleMeterRegistry());
      registry.start();
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> registry.member("member-a").map(MemberHandle::isHealthy).orElse(false));
        assertThat(registry.member("member-a").orElseThrow().kubernetes().nodes().list().getItems())
            .as("the registered kubeconfig reaches the member")
            .hasSize(1);
      } finally {
        registry.close();
      }
    }
  }

  /** Runs one README command line; only kubectl lines are expected, with its arguments. */
  private void run(Path kubeconfig, String line) throws Exception {
    List<String> words = new ArrayList<>(List.of(line.trim().split("\\s+")));
    assertThat(words.get(0)).as("README step 2 uses kubectl only: %s", line).isEqualTo("kubectl");
    words.remove(0);
    String out = InstallTools.kubectlIn(dir, kubeconfig, words.toArray(String[]::new));
    System.out.println("$ " + line + "\n" + out);
  }

  private static List<String> shellLines(String block) {
    return block.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
  }
}
