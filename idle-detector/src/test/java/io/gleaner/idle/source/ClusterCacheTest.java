package io.gleaner.idle.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.idle.offer.MemberPodInfo;
import io.gleaner.idle.offer.Usage;
import io.gleaner.meta.resources.Resources;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterCacheTest {
  private final ClusterCache cache = new ClusterCache("c");

  private static MemberPodInfo pod(String node, String cpu) {
    return new MemberPodInfo(
        "u", "ns", "p", node, Resources.of("cpu", cpu), false, false, false, false, "");
  }

  @Test
  void podChangesReportExactlyTheAffectedNodes() {
    assertThat(cache.putPod(pod("", "1"))).isEmpty();
    assertThat(cache.putPod(pod("n1", "1"))).containsExactly("n1");
    assertThat(cache.putPod(pod("n1", "1"))).isEmpty();
    assertThat(cache.putPod(pod("n1", "2"))).containsExactly("n1");
    assertThat(cache.putPod(pod("n2", "2"))).containsExactlyInAnyOrder("n1", "n2");
    assertThat(cache.podsOn("n1")).isEmpty();
    assertThat(cache.podsOn("n2")).hasSize(1);
    assertThat(cache.removePod("ns", "p")).contains("n2");
    assertThat(cache.podsOn("n2")).isEmpty();
    assertThat(cache.removePod("ns", "p")).isEmpty();
  }

  @Test
  void unchangedNodesAreNotReported() {
    MemberNodeInfo n = MemberNodeInfo.of("n1", Resources.of("cpu", "4"));
    assertThat(cache.putNode(n)).isTrue();
    assertThat(cache.putNode(MemberNodeInfo.of("n1", Resources.of("cpu", "4")))).isFalse();
    assertThat(cache.putNode(n.withReady(false))).isTrue();
    assertThat(cache.removeNode("n1")).isTrue();
    assertThat(cache.removeNode("n1")).isFalse();
  }

  @Test
  void metricsPollsReportNodesWhoseSampleChangedOrVanished() {
    Instant t = Instant.parse("2024-01-01T00:00:00Z");
    assertThat(cache.setNodeUsage(Map.of("a", new Usage(1, 1, t), "b", new Usage(1, 1, t))))
        .containsExactlyInAnyOrder("a", "b");
    assertThat(cache.setNodeUsage(Map.of("a", new Usage(1, 1, t), "b", new Usage(2, 1, t))))
        .containsExactly("b");
    assertThat(cache.setNodeUsage(Map.of("a", new Usage(1, 1, t)))).containsExactly("b");
    assertThat(cache.nodeUsage("b")).isEmpty();
  }
}
