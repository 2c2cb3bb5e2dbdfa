package io.gleaner.meta.resources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ResourcesTest {

  @Test
  void arithmeticIsExactWithoutDrift() {
    Resources tenth = Resources.of("cpu", "100m");
    Resources sum = Resources.ZERO;
    for (int i = 0; i < 10_000; i++) {
      sum = sum.plus(tenth);
    }
    assertThat(sum.cpuMillis()).isEqualTo(1_000_000);
    assertThat(sum.format("cpu")).isEqualTo("1000");
    for (int i = 0; i < 10_000; i++) {
      sum = sum.minus(tenth);
    }
    assertThat(sum).isEqualTo(Resources.ZERO);
    assertThat(sum.isZero()).isTrue();
  }

  @Test
  void zeroEntriesAreDroppedSoEqualityIsByAmount() {
    assertThat(Resources.of("cpu", "1", "memory", "0")).isEqualTo(Resources.of("cpu", "1000m"));
    assertThat(Resources.of("cpu", "1").hashCode())
        .isEqualTo(Resources.of("cpu", "1000m").hashCode());
    assertThat(Resources.of("cpu", "1").names()).containsExactly("cpu");
  }

  @Test
  void plusMinusAcrossDisjointNames() {
    Resources a = Resources.of("cpu", "2", "nvidia.com/gpu", "1");
    Resources b = Resources.of("memory", "1Gi", "example.com/fpga", "2");
    Resources s = a.plus(b);
    assertThat(s.toStrings())
        .containsExactly(
            Map.entry("cpu", "2"), Map.entry("example.com/fpga", "2"),
            Map.entry("memory", "1Gi"), Map.entry("nvidia.com/gpu", "1"));
    assertThat(s.minus(b)).isEqualTo(a);
    assertThat(a.minus(b).get("memory")).isEqualTo(-(1L << 30));
    assertThat(a.minus(b).hasNegative()).isTrue();
    assertThat(a.minus(b).clampAtZero()).isEqualTo(a);
  }

  @Test
  void fitsChecksEveryRequestedResource() {
    Resources node = Resources.of("cpu", "4", "memory", "8Gi", "pods", "10");
    assertThat(Resources.of("cpu", "4", "memory", "8Gi").fitsIn(node)).isTrue();
    assertThat(Resources.of("cpu", "4001m").fitsIn(node)).isFalse();
    assertThat(Resources.of("nvidia.com/gpu", "1").fitsIn(node)).isFalse();
    assertThat(Resources.ZERO.fitsIn(node)).isTrue();
    assertThat(Resources.ZERO.fitsIn(Resources.ZERO)).isTrue();
    assertThat(Resources.of("cpu", "1").fitsIn(node.minus(Resources.of("cpu", "8")))).isFalse();
  }

  @Test
  void shortfallNamesWhatIsMissing() {
    Resources node = Resources.of("cpu", "6", "memory", "64Gi");
    Resources pod = Resources.of("cpu", "16", "memory", "32Gi", "nvidia.com/gpu", "1");
    assertThat(pod.shortfall(node)).isEqualTo(Resources.of("cpu", "10", "nvidia.com/gpu", "1"));
  }

  @Test
  void dominantShareIsTheLargestFraction() {
    Resources total = Resources.of("cpu", "10", "memory", "100Gi");
    assertThat(Resources.of("cpu", "2", "memory", "50Gi").dominantShare(total)).isEqualTo(0.5);
    assertThat(Resources.of("cpu", "5").dominantShare(total)).isEqualTo(0.5);
    assertThat(Resources.ZERO.dominantShare(total)).isZero();
    assertThat(Resources.of("nvidia.com/gpu", "1").dominantShare(total)).isInfinite();
  }

  @Test
  void scaleFloorsExactly() {
    Resources r = Resources.of("cpu", "1001m", "memory", "10");
    assertThat(r.scale(90, 100))
        .isEqualTo(Resources.ofCanonical(Map.of("cpu", 900L, "memory", 9L)));
    assertThat(r.scale(0, 1)).isEqualTo(Resources.ZERO);
    assertThatThrownBy(() -> r.scale(1, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void minMaxWithAndWithout() {
    Resources a = Resources.of("cpu", "2", "memory", "1Gi");
    Resources b = Resources.of("cpu", "1", "memory", "2Gi", "pods", "3");
    assertThat(a.min(b)).isEqualTo(Resources.of("cpu", "1", "memory", "1Gi"));
    assertThat(a.max(b)).isEqualTo(Resources.of("cpu", "2", "memory", "2Gi", "pods", "3"));
    assertThat(a.with("cpu", 5)).isEqualTo(Resources.of("cpu", "5m", "memory", "1Gi"));
    assertThat(a.without("memory")).isEqualTo(Resources.of("cpu", "2"));
  }

  @Test
  void overflowFailsInsteadOfWrapping() {
    Resources big = Resources.ofCanonical(Map.of("memory", Long.MAX_VALUE - 1));
    assertThatThrownBy(() -> big.plus(Resources.of("memory", "2")))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void invalidInputNamesResourceAndValue() {
    assertThatThrownBy(() -> Resources.parse(Map.of("nvidia.com/gpu", "one")))
        .isInstanceOf(InvalidQuantityException.class)
        .hasMessageContaining("nvidia.com/gpu")
        .hasMessageContaining("\"one\"");
    assertThatThrownBy(() -> Resources.of("cpu")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Resources.of(" ", "1")).hasMessageContaining("resource name");
  }

  @Test
  void fabric8QuantitiesRoundTrip() {
    Map<String, Quantity> q =
        Map.of(
            "cpu",
            new Quantity("1500m"),
            "memory",
            new Quantity("2", "Gi"),
            "pods",
            new Quantity("110"));
    Resources r = Resources.fromQuantities(q);
    assertThat(r).isEqualTo(Resources.of("cpu", "1.5", "memory", "2Gi", "pods", "110"));
    assertThat(Resources.fromQuantities(r.toQuantities())).isEqualTo(r);
    assertThat(Resources.fromQuantities(null)).isEqualTo(Resources.ZERO);
  }

  @Test
  void randomSumsAreAssociativeAndInvertible() {
    Random random = new Random(42);
    String[] names = {"cpu", "memory", "pods", "nvidia.com/gpu", "example.com/x"};
    for (int round = 0; round < 500; round++) {
      Resources a = random(random, names);
      Resources b = random(random, names);
      Resources c = random(random, names);
      assertThat(a.plus(b).plus(c)).isEqualTo(a.plus(b.plus(c)));
      assertThat(a.plus(b)).isEqualTo(b.plus(a));
      assertThat(a.plus(b).minus(b)).isEqualTo(a);
      assertThat(a.min(b).plus(a.max(b))).isEqualTo(a.plus(b));
      assertThat(a.fitsIn(a.plus(b))).isTrue();
      assertThat(a.clampAtZero().hasNegative()).isFalse();
      assertThat(Resources.parse(a.toStrings())).isEqualTo(a);
    }
  }

  private static Resources random(Random random, String[] names) {
    Resources.Builder b = Resources.builder();
    for (String n : names) {
      if (random.nextBoolean()) {
        b.putCanonical(n, random.nextInt(1_000_000));
      }
    }
    return b.build();
  }
}
