package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.gleaner.meta.kube.GleanerKeys;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PodCountsTest {
  private static Pod pod(String phase, String cls) {
    PodBuilder b = new PodBuilder().withNewMetadata().withName("p").endMetadata();
    if (cls != null) {
      b.editMetadata().addToLabels(GleanerKeys.CLASS, cls).endMetadata();
    }
    if (phase != null) {
      b.withNewStatus().withPhase(phase).endStatus();
    }
    return b.build();
  }

  @Test
  void tagIsPhaseAndClass() {
    assertThat(PodCounts.phaseAndClass(pod("Running", "offline"))).isEqualTo("Running|offline");
    assertThat(PodCounts.phaseAndClass(pod("Failed", "near-line"))).isEqualTo("Failed|near-line");
  }

  @Test
  void noPhaseCountsAsPendingNoClassAsOfflineAndAnUnknownClassAsInvalid() {
    assertThat(PodCounts.phaseAndClass(pod(null, "offline"))).isEqualTo("Pending|offline");
    assertThat(PodCounts.phaseAndClass(pod("Running", null))).isEqualTo("Running|offline");
    assertThat(PodCounts.phaseAndClass(pod("Running", "batch"))).isEqualTo("Running|invalid");
  }

  @Test
  void countsEveryPhaseOfBothClassesWithZerosAndAddsWhatIsSeen() {
    Map<String, Long> counts =
        PodCounts.count(Stream.of("Running|offline", "Running|offline", "Failed|invalid"));
    assertThat(counts).hasSize(11);
    assertThat(counts).containsEntry("Running|offline", 2L);
    assertThat(counts).containsEntry("Failed|invalid", 1L);
    assertThat(counts).containsEntry("Pending|near-line", 0L);
    assertThat(counts).containsEntry("Unknown|offline", 0L);
  }
}
