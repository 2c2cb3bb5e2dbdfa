package io.gleaner.sim.autoscaler;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScalePolicyTest {
  static final Resources NODE = Resources.of("cpu", "16", "memory", "64Gi", "pods", "110");

  static Resources pod(String cpu) {
    return Resources.of("cpu", cpu, "memory", "1Gi", "pods", "1");
  }

  @Test
  void pendingPodsArePackedOntoAsFewNewNodesAsTheyFit() {
    assertThat(ScalePolicy.nodesToAdd(List.of(), NODE, full(0), 0, 10)).isZero();
    assertThat(ScalePolicy.nodesToAdd(List.of(pod("4"), pod("4"), pod("8")), NODE, full(0), 0, 10))
        .isEqualTo(1);
    assertThat(
            ScalePolicy.nodesToAdd(List.of(pod("12"), pod("12"), pod("4")), NODE, full(0), 0, 10))
        .isEqualTo(2);
  }

  @Test
  void nodesBeingProvisionedCountAndTheMaximumHolds() {
    List<Resources> three = List.of(pod("12"), pod("12"), pod("12"));
    assertThat(ScalePolicy.nodesToAdd(three, NODE, full(0), 2, 10)).isEqualTo(1);
    assertThat(ScalePolicy.nodesToAdd(three, NODE, full(0), 3, 10)).isZero();
    assertThat(ScalePolicy.nodesToAdd(three, NODE, full(1), 0, 2)).isEqualTo(1);
    assertThat(ScalePolicy.nodesToAdd(three, NODE, full(2), 0, 2)).isZero();
  }

  /** {@code n} existing nodes with no room left. */
  static List<Resources> full(int n) {
    return java.util.Collections.nCopies(n, Resources.ZERO);
  }

  @Test
  void aPodThatFitsTheRoomOfANodeThatExistsAsksForNothing() {
    List<Resources> free = List.of(Resources.of("cpu", "8", "memory", "8Gi", "pods", "10"));
    assertThat(ScalePolicy.nodesToAdd(List.of(pod("8")), NODE, free, 0, 10)).isZero();
    assertThat(ScalePolicy.nodesToAdd(List.of(pod("8"), pod("8")), NODE, free, 0, 10)).isEqualTo(1);
  }

  @Test
  void aPodNoNewNodeCouldHoldAsksForNothing() {
    assertThat(ScalePolicy.nodesToAdd(List.of(pod("32")), NODE, full(0), 0, 10)).isZero();
  }

  @Test
  void onlyNodesEmptyForTheWholeIdlePeriodGo() {
    Instant now = Instant.parse("2026-12-05T10:00:00Z");
    Map<String, Instant> empty =
        Map.of(
            "a", now.minus(Duration.ofMinutes(10)),
            "b", now.minus(Duration.ofMinutes(9)),
            "c", now.minus(Duration.ofHours(1)));
    assertThat(ScalePolicy.nodesToRemove(empty, now, Duration.ofMinutes(10)))
        .containsExactly("a", "c");
    assertThat(ScalePolicy.nodesToRemove(Map.of(), now, Duration.ZERO)).isEmpty();
  }
}
