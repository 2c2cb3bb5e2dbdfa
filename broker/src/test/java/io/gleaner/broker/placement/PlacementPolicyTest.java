package io.gleaner.broker.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.gleaner.broker.model.WorkloadClass;
import io.gleaner.meta.crd.CapacitySource;
import io.gleaner.meta.crd.EffectivePolicy;
import io.gleaner.meta.crd.GleanerPolicySpec;
import org.junit.jupiter.api.Test;

class PlacementPolicyTest {

  @Test
  void marginsAndNearLineReserveComeFromTheGleanerPolicy() {
    PlacementPolicy p = PlacementPolicy.from(EffectivePolicy.DEFAULTS);
    for (CapacitySource s : CapacitySource.values()) {
      assertThat(p.margin(s))
          .as(s.name())
          .isEqualTo((int) Math.round(EffectivePolicy.DEFAULTS.reserveMargin(s) * 100));
    }
    assertThat(p.nearLineReservePercent())
        .isEqualTo((int) Math.round(EffectivePolicy.DEFAULTS.nearLineReserve() * 100));
    // Source preference is Gleaner's, not the policy's: offline never uses elastic capacity.
    assertThat(p.order(WorkloadClass.OFFLINE)).doesNotContain(CapacitySource.ELASTIC);
    assertThat(p.order(WorkloadClass.NEAR_LINE)).startsWith(CapacitySource.IDLE);
  }

  @Test
  void defaultSpecAndDefaultsAgree() {
    assertThat(PlacementPolicy.from(new GleanerPolicySpec().effective()))
        .isEqualTo(PlacementPolicy.from(EffectivePolicy.DEFAULTS));
  }

  @Test
  void builtInDefaultsAreTheGleanerPolicyDefaults() {
    // Once 10/5/20/0 % and a 10 % near-line reserve here, 10/10/15/5 % and 20 % in the policy.
    PlacementPolicy d = PlacementPolicy.defaults();
    assertThat(d).isEqualTo(PlacementPolicy.from(EffectivePolicy.DEFAULTS));
    assertThat(d.margin(CapacitySource.VOLCANO)).isEqualTo(10);
    assertThat(d.margin(CapacitySource.COLOCATION)).isEqualTo(15);
    assertThat(d.margin(CapacitySource.ELASTIC)).isEqualTo(5);
    assertThat(d.nearLineReservePercent()).isEqualTo(20);
  }
}
