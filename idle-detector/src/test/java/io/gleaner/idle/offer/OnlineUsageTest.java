package io.gleaner.idle.offer;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class OnlineUsageTest {
  private static final Duration MAX_AGE = Duration.ofMinutes(2);
  private final Instant t0 = Instant.parse("2024-01-01T00:00:00Z");
  private final OnlineUsage usage = new OnlineUsage();

  private static MemberPodInfo gleaner(String name, String cpu, boolean terminated) {
    return new MemberPodInfo(
        name,
        "gleaner",
        name,
        "n1",
        Resources.of("cpu", cpu, "memory", "1Gi"),
        true,
        false,
        terminated,
        false,
        "");
  }

  private OptionalLong at(Duration after, Usage sample, List<MemberPodInfo> pods) {
    return usage.evaluate(Optional.ofNullable(sample), pods, Map.of(), t0.plus(after), MAX_AGE);
  }

  private Usage sample(long cpuMillis, Duration at, Duration window) {
    return new Usage(cpuMillis, 0, t0.plus(at), window);
  }

  @Test
  void aDepartedPodIsSubtractedUntilASampleWhoseWindowBeganAfterItsDeparture() {
    MemberPodInfo pod = gleaner("train", "4", false);
    Usage during = sample(4200, Duration.ofSeconds(5), Duration.ofSeconds(10));
    assertThat(at(Duration.ofSeconds(6), during, List.of(pod))).hasValue(200);
    // the pod is deleted; the sample still covers it
    assertThat(at(Duration.ofSeconds(8), during, List.of())).hasValue(200);
    assertThat(usage.departuresKept()).isEqualTo(1);
    // a sample taken after the departure whose window began before it still includes part of it
    assertThat(
            at(
                Duration.ofSeconds(12),
                sample(2300, Duration.ofSeconds(12), Duration.ofSeconds(10)),
                List.of()))
        .hasValue(0);
    assertThat(usage.departuresKept()).isEqualTo(1);
    // the first sample wholly after the departure is taken as it is, and the pod forgotten
    assertThat(
            at(
                Duration.ofSeconds(18),
                sample(2300, Duration.ofSeconds(18), Duration.ofSeconds(10)),
                List.of()))
        .hasValue(2300);
    assertThat(usage.departuresKept()).isZero();
  }

  @Test
  void aFinishedPodIsADepartureToo() {
    Usage during = sample(4200, Duration.ofSeconds(5), Duration.ZERO);
    assertThat(at(Duration.ofSeconds(6), during, List.of(gleaner("train", "4", false))))
        .hasValue(200);
    assertThat(at(Duration.ofSeconds(7), during, List.of(gleaner("train", "4", true))))
        .hasValue(200);
    assertThat(
            at(Duration.ofSeconds(8), sample(300, Duration.ofSeconds(8), Duration.ZERO), List.of()))
        .hasValue(300);
    assertThat(usage.departuresKept()).isZero();
  }

  @Test
  void theLastKnownPodMetricsAreSubtractedOnceThePodsMetricsAreGone() {
    MemberPodInfo pod = gleaner("train", "4", false);
    Usage during = sample(3200, Duration.ofSeconds(5), Duration.ZERO);
    Map<String, Usage> podUsage =
        Map.of(pod.key(), sample(3000, Duration.ofSeconds(5), Duration.ZERO));
    assertThat(
            usage.evaluate(Optional.of(during), List.of(pod), podUsage, t0.plusSeconds(6), MAX_AGE))
        .hasValue(200);
    assertThat(usage.evaluate(Optional.of(during), List.of(), Map.of(), t0.plusSeconds(7), MAX_AGE))
        .hasValue(200);
  }

  @Test
  void onlineUsageInASampleWithoutDeparturesCountsAtOnce() {
    MemberPodInfo pod = gleaner("train", "4", false);
    assertThat(
            at(
                Duration.ofSeconds(1),
                sample(6000, Duration.ofSeconds(1), Duration.ofSeconds(30)),
                List.of(pod)))
        .hasValue(2000);
  }

  @Test
  void departuresAreForgottenWhileMetricsAreStaleOnceNoFreshSampleCouldCoverThem() {
    Usage during = sample(4200, Duration.ofSeconds(5), Duration.ofSeconds(10));
    at(Duration.ofSeconds(6), during, List.of(gleaner("train", "4", false)));
    assertThat(at(Duration.ofMinutes(1), null, List.of())).isEmpty();
    assertThat(usage.departuresKept()).isEqualTo(1);
    assertThat(at(Duration.ofMinutes(4), null, List.of())).isEmpty();
    assertThat(usage.departuresKept()).isZero();
  }
}
