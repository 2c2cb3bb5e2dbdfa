package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.time.FakeClock;
import io.gleaner.sim.load.LoadCurve;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class SandboxOptionsTest {

  @Test
  void everyDayTheSimulatedRunStartsAtTheSameQuietMorningOfTheTrace() {
    LoadCurve trace = LoadCurve.alibaba2018();
    Instant first = Instant.parse("2026-12-05T08:00:00Z"); // a start of the trace's 8-day cycle
    double morning = trace.cpu(first);
    for (int day = 0; day < 16; day++) {
      for (String time : List.of("T00:00:00Z", "T07:59:59Z", "T08:00:00Z", "T19:45:12Z")) {
        Instant now = Instant.parse(LocalDate.of(2026, 12, 1).plusDays(day) + time);
        Instant start = SandboxOptions.defaultStart(new FakeClock(now));

        assertThat(start)
            .as("at %s", now)
            .isBeforeOrEqualTo(now)
            .isAfter(now.minus(Duration.ofDays(8)));
        assertThat(start.atZone(ZoneOffset.UTC).toLocalTime()).isEqualTo(LocalTime.of(8, 0));
        assertThat(trace.cpu(start))
            .as("the trace's CPU at the start of a run at %s", now)
            .isEqualTo(morning);
      }
    }
    assertThat(morning).as("quiet: the trace's lowest morning").isLessThan(0.2);
    assertThat(SandboxOptions.defaultStart(new FakeClock(first))).isEqualTo(first);
    assertThat(SandboxOptions.defaultStart(new FakeClock(Instant.parse("2026-12-07T19:45:12Z"))))
        .isEqualTo(first);
  }

  @Test
  void oneElasticMemberByDefaultNoneWhenTheClustersAreChosenAndNeverNegative() {
    SandboxOptions d = SandboxOptions.defaults(java.nio.file.Path.of("k"));
    org.assertj.core.api.Assertions.assertThat(d.elasticClusters()).isEqualTo(1);
    org.assertj.core.api.Assertions.assertThat(d.withClusters(1, 0, 0).elasticClusters()).isZero();
    org.assertj.core.api.Assertions.assertThat(d.withElastic(2).elasticClusters()).isEqualTo(2);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.withElastic(-1))
        .hasMessageContaining("--elastic");
  }

  @Test
  void offlinePodsDeclareTheirRunTimesByDefaultAndEveryWitherKeepsTheChoice() {
    SandboxOptions d = SandboxOptions.defaults(java.nio.file.Path.of("k"));
    assertThat(d.declaredRuntimes()).isTrue();
    SandboxOptions off = d.withDeclaredRuntimes(false);
    assertThat(off.declaredRuntimes()).isFalse();
    assertThat(off.withDeclaredRuntimes(false)).isEqualTo(off);
    assertThat(off.withSpeed(10).declaredRuntimes()).isFalse();
    assertThat(off.withPorts(1, 2).declaredRuntimes()).isFalse();
    assertThat(off.withClusters(1, 0, 0).declaredRuntimes()).isFalse();
    assertThat(off.withElastic(0).declaredRuntimes()).isFalse();
    assertThat(off.withDeclaredRuntimes(true)).isEqualTo(d);
    // the constructor without the choice declares them, as the defaults do
    assertThat(
            new SandboxOptions(
                    d.speed(),
                    d.simulatedStart(),
                    d.onlineClusters(),
                    d.trainingClusters(),
                    d.colocationClusters(),
                    d.kubeconfigDir(),
                    d.dashboardPort(),
                    d.brokerPort(),
                    d.idleAfter(),
                    d.submitEvery(),
                    d.gangEvery(),
                    d.seed(),
                    d.forecast(),
                    d.fairness(),
                    d.elasticClusters())
                .declaredRuntimes())
        .isTrue();
  }
}
