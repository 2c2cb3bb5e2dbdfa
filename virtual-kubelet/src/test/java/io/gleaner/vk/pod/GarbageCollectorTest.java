package io.gleaner.vk.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class GarbageCollectorTest {
  private static Pod created(String at) {
    return new PodBuilder().withNewMetadata().withCreationTimestamp(at).endMetadata().build();
  }

  @Test
  void olderThanComparesTheCreationTime() {
    Instant t = Instant.parse("2026-01-02T03:04:05Z");
    Pod p = created(t.toString());
    Duration age = Duration.ofMinutes(1);
    assertThat(GarbageCollector.olderThan(p, t.plusSeconds(59).toEpochMilli(), age)).isFalse();
    assertThat(GarbageCollector.olderThan(p, t.plusSeconds(60).toEpochMilli(), age)).isTrue();
  }

  @Test
  void aPodWithoutAReadableCreationTimeCountsAsOld() {
    assertThat(GarbageCollector.olderThan(created(null), 0, Duration.ofHours(1))).isTrue();
    assertThat(GarbageCollector.olderThan(created("soon"), 0, Duration.ofHours(1))).isTrue();
  }
}
