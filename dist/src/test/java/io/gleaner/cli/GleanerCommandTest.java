package io.gleaner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.api.v1.Capacity;
import io.gleaner.api.v1.ClusterCapacity;
import io.gleaner.api.v1.SourceKind;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GleanerCommandTest {

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = GleanerCommand.execute(args);
      return new Run(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void helpListsTheCommands() {
    Run r = run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains(
            "sandbox",
            "broker",
            "idle-detector",
            "virtual-kubelet",
            "descheduler",
            "capacity",
            "bench");
  }

  @Test
  void everySubcommandHasHelp() {
    for (String cmd :
        new String[] {
          "sandbox",
          "broker",
          "idle-detector",
          "virtual-kubelet",
          "descheduler",
          "capacity",
          "bench"
        }) {
      Run r = run(cmd, "--help");
      assertThat(r.code()).as(cmd).isZero();
      assertThat(r.out()).as(cmd).contains("Usage: gleaner " + cmd);
    }
  }

  @Test
  void everyBenchmarkHasHelp() {
    for (String bench : new String[] {"placement", "detector", "vk", "reclaim"}) {
      Run r = run("bench", bench, "--help");
      assertThat(r.code()).as(bench).isZero();
      assertThat(r.out()).as(bench).contains("Usage: gleaner bench " + bench);
    }
    assertThat(run("bench", "nope").code()).isEqualTo(2);
  }

  @Test
  void badConfigFileExitsWithTwoNamingTheKey(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path config = dir.resolve("gleaner.yaml");
    java.nio.file.Files.writeString(config, "broker:\n  grpc:\n    port: not-a-port\n");
    Run r = run("broker", "--config", config.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("broker.grpc.port");
  }

  @Test
  void badSandboxValueIsAUsageError() {
    Run r = run("sandbox", "--duration", "soon");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--duration");
  }

  @Test
  void unknownCommandExitsWithTwoAndSaysWhy() {
    Run r = run("frobnicate");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("frobnicate");
  }

  @Test
  void unknownFlagExitsWithTwoAndSaysWhy() {
    Run r = run("capacity", "--no-such-flag");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--no-such-flag");
  }

  @Test
  void noCommandIsAUsageError() {
    assertThat(run().code()).isEqualTo(2);
  }

  @Test
  void capacityTableShowsClustersAndTotals() {
    Capacity c =
        Capacity.newBuilder()
            .addClusters(
                ClusterCapacity.newBuilder()
                    .setCluster("online-1")
                    .setSource(SourceKind.IDLE)
                    .setHealthy(true)
                    .setNodes(3)
                    .putOffered("cpu", "24")
                    .putFree("cpu", "20")
                    .putPlaced("cpu", "4")
                    .putFree("memory", "64Gi"))
            .putOffered("cpu", "24")
            .putAdvertisedOffline("cpu", "18")
            .putLargestShape("cpu", "8")
            .build();
    String table = CapacityCommand.render(c);
    assertThat(table).contains("online-1", "IDLE", "yes", "24.0", "20.0", "4.0", "64.0");
    assertThat(table).containsPattern("advertised offline\\s+cpu=18.0");
    assertThat(table).containsPattern("largest pod shape\\s+cpu=8.0");
  }
}
