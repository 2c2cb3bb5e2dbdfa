package io.gleaner.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.meta.time.FakeClock;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SandboxOptionsTest {

  @Test
  void theSimulatedDayStartsOnTheCurrentDateAtTheTracesMorning() {
    FakeClock now = new FakeClock(Instant.parse("2026-12-05T19:45:12Z"));

    assertThat(SandboxOptions.defaultStart(now)).isEqualTo(Instant.parse("2026-12-05T08:00:00Z"));
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
}
