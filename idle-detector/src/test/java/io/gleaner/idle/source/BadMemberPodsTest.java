package io.gleaner.idle.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.idle.IdleMetrics;
import io.gleaner.idle.offer.IdleOffers;
import io.gleaner.idle.offer.MemberNodeInfo;
import io.gleaner.meta.kube.SkippedPods;
import io.gleaner.meta.resources.Resources;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A member pod whose requests cannot be counted is left out of the cache, counted and logged; the
 * other pods and nodes are handled as usual.
 */
class BadMemberPodsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final SkippedPods skipped = new SkippedPods(registry, IdleMetrics.SKIPPED_PODS);
  private final ClusterCache cache = new ClusterCache("web");

  private static Pod pod(String name, String node, Map<String, String>... containers) {
    var spec =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace("ns")
            .withName(name)
            .withUid("u-" + name)
            .endMetadata()
            .withNewSpec()
            .withNodeName(node);
    int i = 0;
    for (Map<String, String> requests : containers) {
      var c = spec.addNewContainer().withName("c" + i++).withNewResources();
      for (var e : requests.entrySet()) {
        c = c.addToRequests(e.getKey(), new Quantity(e.getValue()));
      }
      spec = c.endResources().endContainer();
    }
    return spec.endSpec().withNewStatus().withPhase("Running").endStatus().build();
  }

  private double skips(String reason) {
    var c =
        registry.find(IdleMetrics.SKIPPED_PODS).tags("cluster", "web", "reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void badPodsAreSkippedAndCountedAndEveryOtherNodeIsStillOffered() {
    ClusterWatch.putPod(
        cache, pod("ok", "n1", Map.of("cpu", "2", "memory", "4Gi")), skipped, "gleaner");
    ClusterWatch.putPod(
        cache,
        pod("sum", "n2", Map.of("memory", "5Ei"), Map.of("memory", "5Ei")),
        skipped,
        "gleaner");
    ClusterWatch.putPod(
        cache, pod("huge", "n2", Map.of("cpu", "9223372036854775807")), skipped, "gleaner");
    ClusterWatch.putPod(cache, pod("lots", "n2", Map.of("cpu", "lots")), skipped, "gleaner");
    ClusterWatch.putPod(cache, pod("ok2", "n2", Map.of("cpu", "1")), skipped, "gleaner");

    assertThat(skips(SkippedPods.OVERFLOW)).isEqualTo(1.0);
    assertThat(skips(SkippedPods.INVALID_QUANTITY)).isEqualTo(2.0);
    assertThat(cache.podCount()).isEqualTo(2);
    MemberNodeInfo n = node("n2");
    assertThat(IdleOffers.usable(n, cache.podsOn("n2"), Resources.ZERO).cpuMillis())
        .isEqualTo(7000);
  }

  @Test
  void aPodThatTurnsBadIsTakenOutOfTheCache() {
    ClusterWatch.putPod(cache, pod("p", "n1", Map.of("cpu", "2")), skipped, "gleaner");
    assertThat(cache.podsOn("n1")).hasSize(1);
    assertThat(
            ClusterWatch.putPod(
                cache,
                pod("p", "n1", Map.of("memory", "5Ei"), Map.of("memory", "5Ei")),
                skipped,
                "gleaner"))
        .containsExactly("n1");
    assertThat(cache.podsOn("n1")).isEmpty();
    assertThat(skips(SkippedPods.OVERFLOW)).isEqualTo(1.0);
  }

  private static MemberNodeInfo node(String name) {
    return new MemberNodeInfo(
        name,
        "1",
        Map.of(),
        Map.of(),
        List.of(),
        "",
        Resources.of("cpu", "8", "memory", "32Gi"),
        Resources.of("cpu", "8", "memory", "32Gi", "pods", "110"),
        true,
        false);
  }
}
