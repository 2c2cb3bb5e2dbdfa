package io.gleaner.sim.koordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gleaner.meta.resources.Resources;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ColocationAgentTest {
  @Test
  void batchCapacityIsRatioOfCapacityMinusSystemOrReserveMinusHighPriorityUsage() {
    Resources cap = Resources.of("cpu", "10", "memory", "100Gi");
    Resources system = Resources.of("cpu", "300m", "memory", "5Gi");
    Resources hp = Resources.of("cpu", "2", "memory", "20Gi");
    Resources batch =
        ColocationAgent.batchAllocatable(cap, system, hp, ColocationAgent.Options.DEFAULTS);
    assertThat(batch.get(Resources.BATCH_CPU)).isEqualTo(6000 - 500 - 2000);
    assertThat(batch.get(Resources.BATCH_MEMORY))
        .isEqualTo(Math.round(100L * (1L << 30) * 0.65) - 5L * (1L << 30) - 20L * (1L << 30));
    Resources busy =
        ColocationAgent.batchAllocatable(
            cap,
            system,
            Resources.of("cpu", "9", "memory", "99Gi"),
            ColocationAgent.Options.DEFAULTS);
    assertThat(busy.get(Resources.BATCH_CPU)).isZero();
    assertThat(busy.get(Resources.BATCH_MEMORY)).isZero();
  }

  @Test
  void ratiosAreValidated() {
    assertThatThrownBy(() -> new ColocationAgent.Options(1.5, 0.5, 0.05, Duration.ofMinutes(1)))
        .hasMessageContaining("1.5");
  }
}
