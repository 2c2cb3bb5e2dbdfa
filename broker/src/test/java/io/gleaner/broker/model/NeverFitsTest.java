package io.gleaner.broker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.resources.Resources;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NeverFitsTest {
  private static final Resources N16 = Resources.of("cpu", "16", "memory", "64Gi", "pods", "110");
  private static final Resources N8 = Resources.of("cpu", "8", "memory", "32Gi", "pods", "110");

  private static Map<String, Resources> nodes(Object... nameBound) {
    Map<String, Resources> m = new LinkedHashMap<>();
    for (int i = 0; i < nameBound.length; i += 2) {
      m.put((String) nameBound[i], (Resources) nameBound[i + 1]);
    }
    return m;
  }

  private static NeverFits.Verdict never(Resources pod, Map<String, Resources> bounds) {
    Optional<NeverFits.Verdict> v = NeverFits.check(pod, bounds);
    assertThat(v).as("verdict for %s", pod).isPresent();
    return v.get();
  }

  @Test
  void aPodLargerThanEveryNodeNeverFitsAndNamesTheLargestNode() {
    NeverFits.Verdict v =
        never(Resources.of("cpu", "5000", "memory", "1Gi"), nodes("m1/a", N8, "m2/b", N16));
    assertThat(v.resource()).isEqualTo("cpu");
    assertThat(v.requested()).isEqualTo(5_000_000);
    assertThat(v.largest()).isEqualTo(16_000);
    assertThat(v.largestNode()).isEqualTo("m2/b");
    assertThat(v.requestedQuantity()).isEqualTo("5000");
    assertThat(v.largestQuantity()).isEqualTo("16");
    assertThat(v.message())
        .isEqualTo(
            "no member node has enough resource: cpu, requested: 5000, largest member node: 16 (m2/b)");
  }

  @Test
  void aResourceNoNodeHasNeverFits() {
    NeverFits.Verdict v =
        never(Resources.of("cpu", "1", "example.com/fpga", "1"), nodes("m1/a", N8, "m2/b", N16));
    assertThat(v.resource()).isEqualTo("example.com/fpga");
    assertThat(v.largest()).isZero();
    assertThat(v.largestNode()).isEmpty();
    assertThat(v.message())
        .isEqualTo(
            "no member node has resource example.com/fpga (requested: 1, known member nodes: 2)");
  }

  @Test
  void eachNodeIsTakenAsAWholeNotPerResourceMaxima() {
    Resources cpuOnly = Resources.of("cpu", "16", "memory", "64Gi");
    Resources gpuSmall = Resources.of("cpu", "8", "memory", "64Gi", "nvidia.com/gpu", "4");
    Resources pod = Resources.of("cpu", "12", "nvidia.com/gpu", "2");
    NeverFits.Verdict v = never(pod, nodes("m1/cpu", cpuOnly, "m1/gpu", gpuSmall));
    // one node lacks cpu, the other GPUs: a tie, named in name order
    assertThat(v.resource()).isEqualTo("cpu");
    assertThat(v.largest()).isEqualTo(16_000);
    assertThat(v.message())
        .isEqualTo(
            "no member node holds all of the pod's requests {cpu=12, nvidia.com/gpu=2} at once:"
                + " 1 of 2 known member nodes lack cpu (requested: 12)");
  }

  @Test
  void theResourceMostNodesLackIsNamed() {
    Resources pod = Resources.of("cpu", "10", "memory", "40Gi");
    NeverFits.Verdict v =
        never(
            pod,
            nodes(
                "a", Resources.of("cpu", "16", "memory", "32Gi"),
                "b", Resources.of("cpu", "16", "memory", "32Gi"),
                "c", Resources.of("cpu", "8", "memory", "64Gi")));
    assertThat(v.resource()).isEqualTo("memory");
    assertThat(v.largestNode()).isEqualTo("c");
  }

  @Test
  void aPodThatFitsOneNodeAsAWholeMayFitLater() {
    assertThat(
            NeverFits.check(Resources.of("cpu", "16", "memory", "64Gi"), nodes("a", N8, "b", N16)))
        .isEmpty();
    assertThat(NeverFits.check(Resources.of("cpu", "8"), nodes("a", N8))).isEmpty();
  }

  @Test
  void aNodeThatDidNotReportItsBoundCouldHoldAnything() {
    assertThat(
            NeverFits.check(
                Resources.of("cpu", "5000"), nodes("a", N8, "unreported", Resources.ZERO)))
        .isEmpty();
  }

  @Test
  void noKnownNodeMeansAMemberMayStillJoin() {
    assertThat(NeverFits.check(Resources.of("cpu", "5000"), Map.of())).isEmpty();
  }

  @Test
  void podSlotsAndEmptyRequestsAreNotJudged() {
    Resources noSlots = Resources.of("cpu", "16", "memory", "64Gi");
    assertThat(NeverFits.check(Resources.of("cpu", "1", "pods", "1"), nodes("a", noSlots)))
        .isEmpty();
    assertThat(NeverFits.check(Resources.ZERO, nodes("a", N8))).isEmpty();
    assertThat(NeverFits.check(Resources.of("pods", "1"), nodes("a", N8))).isEmpty();
  }

  @Test
  void exactlyTheBoundFits() {
    assertThat(NeverFits.check(N16, nodes("a", N16))).isEmpty();
    assertThat(NeverFits.check(N16.with("cpu", 16_001), nodes("a", N16))).isPresent();
  }

  /** Against the definition, on random federations: never ⇔ no node holds every request. */
  @Test
  void agreesWithTheDefinitionOnRandomFederations() {
    Random rnd = new Random(7);
    String[] names = {"cpu", "memory", "nvidia.com/gpu", "example.com/fpga"};
    for (int round = 0; round < 2_000; round++) {
      Map<String, Resources> bounds = new LinkedHashMap<>();
      int n = 1 + rnd.nextInt(4);
      for (int i = 0; i < n; i++) {
        Resources.Builder b = Resources.builder().putCanonical("cpu", 1 + rnd.nextInt(8));
        for (int k = 1; k < names.length; k++) {
          if (rnd.nextBoolean()) {
            b.putCanonical(names[k], rnd.nextInt(8));
          }
        }
        bounds.put("n" + i, b.build());
      }
      Resources.Builder p = Resources.builder();
      for (String name : names) {
        if (rnd.nextInt(3) > 0) {
          p.putCanonical(name, rnd.nextInt(9));
        }
      }
      Resources pod = p.build();
      boolean someNodeHolds = pod.isZero() || bounds.values().stream().anyMatch(pod::fitsIn);
      Optional<NeverFits.Verdict> v = NeverFits.check(pod, bounds);
      assertThat(v.isPresent()).as("%s on %s", pod, bounds).isEqualTo(!someNodeHolds);
      v.ifPresent(
          x -> {
            assertThat(pod.get(x.resource())).isEqualTo(x.requested()).isPositive();
            long max = bounds.values().stream().mapToLong(r -> r.get(x.resource())).max().orElse(0);
            assertThat(x.largest()).isEqualTo(max);
            assertThat(bounds.values().stream().anyMatch(r -> r.get(x.resource()) < x.requested()))
                .isTrue();
          });
    }
  }
}
