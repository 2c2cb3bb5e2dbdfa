package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.gleaner.meta.fair.Candidate;
import io.gleaner.meta.kube.GleanerKeys;
import io.gleaner.vk.translate.Gangs;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A whole gang as one candidate of fair placement ({@link GangStep#candidate}). */
class GangCandidateTest {
  private static final Gangs.Membership GANG =
      new Gangs.Membership("ml", "train", Gangs.Flavor.VOLCANO);

  private static Pod pod(String name, String cls, String cpu, String gpu, String created) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("ml")
        .withUid("uid-" + name)
        .withCreationTimestamp(created)
        .addToLabels(GleanerKeys.CLASS, cls)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("main")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .addToRequests("nvidia.com/gpu", new Quantity(gpu))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  @Test
  void theGangAsksForTheSumOfItsPodsUnderItsKeyAndSinceItsOldestPod() {
    Candidate c =
        GangStep.candidate(
            GangStep.gateKey(GANG),
            GANG,
            List.of(
                pod("w0", "near-line", "2", "1", "2026-12-06T01:00:05Z"),
                pod("w1", "near-line", "1500m", "1", "2026-12-06T01:00:01Z"),
                pod("w2", "near-line", "500m", "0", "2026-12-06T01:00:03Z")));

    assertThat(c.id()).isEqualTo("gang:ml/train");
    assertThat(GangStep.isGateKey(c.id())).isTrue();
    assertThat(c.namespace()).isEqualTo("ml");
    assertThat(c.request().cpuMillis()).isEqualTo(4000);
    assertThat(c.request().get("nvidia.com/gpu")).isEqualTo(2);
    assertThat(c.nearLine()).isTrue();
    assertThat(c.since()).isEqualTo(Instant.parse("2026-12-06T01:00:01Z"));
  }

  @Test
  void aGangWithAnOfflinePodIsOffline() {
    Candidate c =
        GangStep.candidate(
            GangStep.gateKey(GANG),
            GANG,
            List.of(
                pod("w0", "near-line", "1", "0", "2026-12-06T01:00:00Z"),
                pod("w1", "offline", "1", "0", "2026-12-06T01:00:00Z")));

    assertThat(c.nearLine()).isFalse();
  }

  @Test
  void aPodUidIsNoGangKey() {
    assertThat(GangStep.isGateKey("9a70af6f-4ad1-4695-86ee-b9b711ca65de")).isFalse();
  }
}
