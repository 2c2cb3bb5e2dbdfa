package io.gleaner.meta.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.gleaner.meta.resources.InvalidQuantityException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class SkippedPodsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final SkippedPods skipped = new SkippedPods(registry, "gleaner.test.skipped_pods");

  private static Pod pod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace("web")
        .withName(name)
        .withUid("u-" + name)
        .endMetadata()
        .build();
  }

  @Test
  void everySkipIsCountedAndEachPodLoggedOnce() {
    assertThat(skipped.skipped("m1", pod("a"), new ArithmeticException("long overflow"))).isTrue();
    assertThat(skipped.skipped("m1", pod("a"), new ArithmeticException("long overflow"))).isFalse();
    assertThat(skipped.skipped("m1", pod("b"), new InvalidQuantityException("bad cpu"))).isTrue();
    assertThat(
            registry
                .get("gleaner.test.skipped_pods")
                .tags("cluster", "m1", "reason", SkippedPods.OVERFLOW)
                .counter()
                .count())
        .isEqualTo(2.0);
    assertThat(
            registry
                .get("gleaner.test.skipped_pods")
                .tags("cluster", "m1", "reason", SkippedPods.INVALID_QUANTITY)
                .counter()
                .count())
        .isEqualTo(1.0);
    skipped.forget("m1", pod("a"));
    assertThat(skipped.skipped("m1", pod("a"), new ArithmeticException("long overflow"))).isTrue();
  }

  @Test
  void onlyQuantityAndOverflowFailuresAreBadRequests() {
    assertThat(SkippedPods.isBadRequests(new InvalidQuantityException("x"))).isTrue();
    assertThat(SkippedPods.isBadRequests(new ArithmeticException("x"))).isTrue();
    assertThat(SkippedPods.isBadRequests(new IllegalStateException("x"))).isFalse();
  }

  @Test
  void requestsAbove1PiOfOneResourceAreNotCountable() {
    io.gleaner.meta.resources.Resources ok =
        io.gleaner.meta.resources.Resources.of("memory", "1Pi", "cpu", "64");
    assertThat(SkippedPods.countable(ok)).isSameAs(ok);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> SkippedPods.countable(io.gleaner.meta.resources.Resources.of("memory", "2Pi")))
        .isInstanceOf(ArithmeticException.class)
        .hasMessage("requests of memory (2Pi) exceed the most Gleaner counts for one pod (1Pi)");
  }
}
