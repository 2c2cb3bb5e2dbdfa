package io.gleaner.idle.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.gleaner.idle.source.KubeNodeWriter;
import io.gleaner.idle.source.Members;
import io.gleaner.idle.source.NodePatch;
import io.gleaner.idle.source.NodeWriter.Outcome;
import io.gleaner.idle.source.NodeWriter.Written;
import io.gleaner.meta.crd.MemberRole;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.NodeShape;
import io.gleaner.sim.SimRuntime;
import io.gleaner.sim.SimulatedCluster;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The idle-detector's node writes against a simulated API server, which refuses a patch on a stale
 * {@code metadata.resourceVersion} as kube-apiserver does: a claim decided on an old version of the
 * node is refused as a conflict and changes nothing, and of two claims decided on one version only
 * one lands.
 */
class ClaimWritesIT {
  private SimRuntime runtime;
  private SimulatedCluster member;
  private KubernetesClient client;
  private ExecutorService io;
  private String node;

  @BeforeEach
  void setUp() {
    runtime = SimRuntime.create();
    member =
        SimulatedCluster.builder("web")
            .runtime(runtime)
            .clock(new FakeClock())
            .nodes(NodeShape.of(1, "8", "32Gi"))
            .build();
    client = member.client();
    io = Executors.newFixedThreadPool(4);
    node = member.nodeNames().get(0);
  }

  @AfterEach
  void tearDown() throws Exception {
    io.shutdownNow();
    io.awaitTermination(10, TimeUnit.SECONDS);
    member.close();
    runtime.close();
  }

  /** One installation's writer, as its detector's service builds it. */
  private KubeNodeWriter writer() {
    KubeNodeWriter w = new KubeNodeWriter(io);
    w.add(Members.direct("web", client, Set.of(MemberRole.TRAINING)));
    return w;
  }

  private static NodePatch claim(String instance) {
    return new NodePatch(
        Map.of(GleanerKeys.POOL, "volcano", GleanerKeys.LENT_BY, instance),
        Map.of(GleanerKeys.LENT_RENEWED_AT, "2024-01-01T00:00:00Z"));
  }

  private Node read() {
    return client.nodes().withName(node).get();
  }

  @Test
  void aClaimDecidedOnAnOldVersionIsRefusedAndChangesNothing() throws Exception {
    KubeNodeWriter writer = writer();
    String seen = read().getMetadata().getResourceVersion();
    client
        .nodes()
        .withName(node)
        .edit(
            n -> {
              n.getMetadata().getLabels().put("example.com/changed", "yes");
              return n;
            });
    String now = read().getMetadata().getResourceVersion();

    Written refused = writer.patch("web", node, claim("a").ifAt(seen)).get(10, TimeUnit.SECONDS);

    assertThat(refused.outcome()).isEqualTo(Outcome.CONFLICT);
    assertThat(read().getMetadata().getResourceVersion()).isEqualTo(now);
    assertThat(read().getMetadata().getLabels()).doesNotContainKey(GleanerKeys.LENT_BY);

    Written applied = writer.patch("web", node, claim("a").ifAt(now)).get(10, TimeUnit.SECONDS);

    assertThat(applied.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(applied.resourceVersion())
        .isNotEqualTo(now)
        .isEqualTo(read().getMetadata().getResourceVersion());
    assertThat(read().getMetadata().getLabels()).containsEntry(GleanerKeys.LENT_BY, "a");
    // an unconditional patch is not refused whatever version the node is at
    Written plain =
        writer
            .patch("web", node, new NodePatch(Map.of("gleaner.io/x", "y"), Map.of()))
            .get(10, TimeUnit.SECONDS);
    assertThat(plain.outcome()).isEqualTo(Outcome.APPLIED);
  }

  @Test
  void ofTwoClaimsDecidedOnOneVersionExactlyOneLands() throws Exception {
    KubeNodeWriter a = writer();
    KubeNodeWriter b = writer();
    for (int round = 0; round < 20; round++) {
      String seen = read().getMetadata().getResourceVersion();
      CompletableFuture<Written> byA = a.patch("web", node, claim("a").ifAt(seen));
      CompletableFuture<Written> byB = b.patch("web", node, claim("b").ifAt(seen));
      List<Written> answers = List.of(byA.get(10, TimeUnit.SECONDS), byB.get(10, TimeUnit.SECONDS));

      assertThat(answers)
          .extracting(Written::outcome)
          .as("round %d", round)
          .containsExactlyInAnyOrder(Outcome.APPLIED, Outcome.CONFLICT);
      String winner = answers.get(0).outcome() == Outcome.APPLIED ? "a" : "b";
      assertThat(read().getMetadata().getLabels()).containsEntry(GleanerKeys.LENT_BY, winner);
      client
          .nodes()
          .withName(node)
          .edit(
              n -> {
                n.getMetadata().getLabels().remove(GleanerKeys.LENT_BY);
                return n;
              });
    }
  }
}
