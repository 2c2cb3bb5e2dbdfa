package io.gleaner.idle.offer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.idle.offer.ColocationOffers.Basis;
import io.gleaner.idle.offer.ColocationOffers.Result;
import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ColocationOffersTest {
  private static final Instant NOW = Instant.parse("2024-01-01T12:00:00Z");
  private final ColocationOffers calc = ColocationOffers.DEFAULTS;

  /** 10 CPU / 10 GiB capacity, 500m / 512Mi reserved for the system. */
  private static MemberNodeInfo plainNode() {
    return MemberNodeInfo.of("n1", Resources.of("cpu", "9500m", "memory", "9728Mi", "pods", "110"))
        .withCapacity(Resources.of("cpu", "10", "memory", "10Gi", "pods", "110"));
  }

  private static MemberPodInfo pod(String name, Resources req, boolean batch, boolean gleaner) {
    return new MemberPodInfo(
        name, "ns", name, "n1", req.with(Resources.PODS, 1), gleaner, false, false, batch, "");
  }

  @Test
  void batchResourcesMinusBatchRequests() {
    MemberNodeInfo n =
        MemberNodeInfo.of(
            "n1",
            Resources.of(
                "cpu",
                "16",
                "memory",
                "64Gi",
                "pods",
                "110",
                "kubernetes.io/batch-cpu",
                "6000",
                "kubernetes.io/batch-memory",
                "12Gi"));
    List<MemberPodInfo> pods =
        List.of(
            pod(
                "be",
                Resources.of(
                    "kubernetes.io/batch-cpu", "2000", "kubernetes.io/batch-memory", "4Gi"),
                true,
                false),
            pod(
                "lent",
                Resources.of(
                    "kubernetes.io/batch-cpu", "1000", "kubernetes.io/batch-memory", "1Gi"),
                true,
                true),
            pod("web", Resources.of("cpu", "4", "memory", "8Gi"), false, false));
    Result r = calc.compute(n, pods, Optional.empty(), Map.of(), NOW);
    assertThat(r.basis()).isEqualTo(Basis.BATCH_RESOURCES);
    assertThat(r.usable()).isEqualTo(Resources.of("cpu", "4", "memory", "8Gi", "pods", "108"));
  }

  @Test
  void formulaWithPodMetrics() {
    List<MemberPodInfo> pods =
        List.of(
            pod("web", Resources.of("cpu", "4", "memory", "4Gi"), false, false),
            pod(
                "be",
                Resources.of(
                    "kubernetes.io/batch-cpu", "500", "kubernetes.io/batch-memory", "256Mi"),
                true,
                false));
    // node uses 3 CPU / 4 GiB; pods: web 2 CPU / 3 GiB, be 300m / 256Mi -> system 700m / 768Mi
    Usage node = new Usage(3000, 4L << 30, NOW.minusSeconds(30));
    Map<String, Usage> podUsage =
        Map.of(
            "ns/web", new Usage(2000, 3L << 30, NOW.minusSeconds(30)),
            "ns/be", new Usage(300, 256L << 20, NOW.minusSeconds(30)));
    Result r = calc.compute(plainNode(), pods, Optional.of(node), podUsage, NOW);
    assertThat(r.basis()).isEqualTo(Basis.FORMULA);
    // cpu: 10000*60% - max(700, 500) - 2000 - 500 (be request) = 2800
    // mem: 10Gi*65% - max(768Mi, 512Mi) - 3Gi - 256Mi
    long mem = (10L << 30) * 65 / 100 - (768L << 20) - (3L << 30) - (256L << 20);
    assertThat(r.usable())
        .isEqualTo(Resources.ZERO.with("cpu", 2800).with("memory", mem).with("pods", 108));
    assertThat(r.risk()).isBetween(0.3, 0.6);
  }

  @Test
  void formulaWithoutPodMetricsCountsAllButBatchRequestsAsHighPriority() {
    List<MemberPodInfo> pods =
        List.of(
            pod(
                "lent",
                Resources.of(
                    "kubernetes.io/batch-cpu", "1000", "kubernetes.io/batch-memory", "1Gi"),
                true,
                true));
    Usage node = new Usage(3000, 4L << 30, NOW);
    Result r = calc.compute(plainNode(), pods, Optional.of(node), Map.of(), NOW);
    // hp = 3000 - 1000 = 2000; 6000 - max(0, 500) - 2000 = 3500 (Gleaner's own request is the
    // broker's business)
    assertThat(r.usable().cpuMillis()).isEqualTo(3500);
  }

  @Test
  void offersFollowUsage() {
    long previous = Long.MAX_VALUE;
    for (long used = 0; used <= 6000; used += 1000) {
      Result r =
          calc.compute(
              plainNode(), List.of(), Optional.of(new Usage(used, 1L << 30, NOW)), Map.of(), NOW);
      assertThat(r.usable().cpuMillis()).isLessThanOrEqualTo(previous);
      previous = r.usable().cpuMillis();
    }
    assertThat(previous).isZero();
  }

  @Test
  void staleOrMissingMetricsOfferZeroNotTheLastValue() {
    Usage fresh = new Usage(1000, 1L << 30, NOW.minus(Duration.ofMinutes(15)));
    assertThat(
            calc.compute(plainNode(), List.of(), Optional.of(fresh), Map.of(), NOW)
                .usable()
                .isZero())
        .isFalse();
    Usage stale = new Usage(1000, 1L << 30, NOW.minus(Duration.ofMinutes(15)).minusSeconds(1));
    Result r = calc.compute(plainNode(), List.of(), Optional.of(stale), Map.of(), NOW);
    assertThat(r.basis()).isEqualTo(Basis.STALE_METRICS);
    assertThat(r.usable().isZero()).isTrue();
    assertThat(
            calc.compute(plainNode(), List.of(), Optional.empty(), Map.of(), NOW).usable().isZero())
        .isTrue();
  }

  @Test
  void badSettingsAreRejectedByName() {
    assertThatThrownBy(() -> new ColocationOffers(101, 65, Duration.ofMinutes(1)))
        .hasMessageContaining("cpuReclaimPercent");
    assertThatThrownBy(() -> new ColocationOffers(60, -1, Duration.ofMinutes(1)))
        .hasMessageContaining("memoryReclaimPercent");
    assertThatThrownBy(() -> new ColocationOffers(60, 65, Duration.ZERO))
        .hasMessageContaining("metricsMaxAge");
  }
}
